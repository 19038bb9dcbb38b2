/**
 * TimeDistributed (TF.js Layers): applies a layer to every step of [steps, ...] inputs — the steps become
 * extra rows of one call of the wrapped layer (Dense over [steps, features] runs as one gemm). The config
 * nests the layer's (`layer: { className, config }`); its weights are named after the wrapper, as TF.js
 * names them (`time_distributed/kernel`). Loss fusion and folded SGD pass through to the wrapped layer.
 */
import type { ActivationName, Backend, DType, FloatArray } from '../backend/ops';
import { activationToFile } from '../backend/activations';
import type { FoldedSgd, Param } from '../training/contracts';
import type { Rng } from '../random';
import type { ConfigReader, Fail } from './config-reader';
import { Layer, type LayerArgs, type WeightSpec } from './layer';
import type { LayerEntry, LayerJson } from './layer-entry';
import type { Shape } from './shape';

export interface TimeDistributedArgs extends LayerArgs {
  /** The layer applied to each step (a Dense, usually). */
  layer: Layer;
}

export class TimeDistributed extends Layer {
  readonly className = 'TimeDistributed';
  readonly layer: Layer;

  constructor(args: TimeDistributedArgs) {
    const where = 'layers.timeDistributed()';
    super(args, where);
    if (!(args?.layer instanceof Layer)) {
      throw new Error(`${where}: 'layer' must be a layer, e.g. { layer: bp.layers.dense({ units: 10 }) }`);
    }
    if (args.layer.built) throw new Error(`${where}: 'layer' belongs to another model; create a new layer`);
    this.layer = args.layer;
    if (!this.layer.name) this.layer.name = this.layer.kind;
  }

  private stepShape(inputShape: Shape): Shape {
    if (inputShape.length < 2) this.badInput(inputShape, 'expected [steps, ...] per sample');
    return inputShape.slice(1);
  }

  private get steps(): number {
    return this.inputShape![0];
  }

  computeOutputShape(inputShape: Shape): Shape {
    return [inputShape[0], ...this.layer.computeOutputShape(this.stepShape(inputShape))];
  }

  override weightSpecs(inputShape: Shape): WeightSpec[] {
    return this.layer.weightSpecs(this.stepShape(inputShape));
  }

  override build(inputShape: Shape, dtype: DType, rng: Rng): void {
    this.layer.weightScope = this.name;
    this.layer.trainable = this.trainable;
    this.layer.build(this.stepShape(inputShape), dtype, rng);
    this.dtype = dtype;
    this.inputShape = [...inputShape];
    this.outputShape = [...this.computeOutputShape(inputShape)];
    this.resetBuffers();
    this.built = true;
  }

  /** A replica (a shared call) shares the wrapped layer's weights. */
  override shareWeightsFrom(primary: Layer): void {
    this.layer.shareWeightsFrom((primary as TimeDistributed).layer);
  }

  override weights(): Param[] {
    return this.layer.weights();
  }

  override params(): Param[] {
    return this.trainable ? this.layer.params() : [];
  }

  override macsPerSample(): number {
    return this.built ? this.steps * this.layer.macsPerSample() : 0;
  }

  /** The wrapped layer's, for batches of rows × steps. */
  override stepBufferValues(inputShape: Shape): number {
    return inputShape[0] * this.layer.stepBufferValues(inputShape.slice(1));
  }

  /** Works on each step alone, so a sequence mask passes through (the wrapped layer sees none). */
  override maskFlow(inputMasked: boolean): boolean {
    this.layer.maskFlow(false);
    return inputMasked;
  }

  override get outputActivation(): ActivationName | undefined {
    return this.layer.outputActivation;
  }

  override preActivation(): FloatArray {
    return this.layer.preActivation();
  }

  override get canFoldSgd(): boolean {
    return this.layer.canFoldSgd;
  }

  forward(b: Backend, x: FloatArray, rows: number, training: boolean, rng: Rng): FloatArray {
    return this.layer.forward(b, x, rows * this.steps, training, rng, null);
  }

  override forwardAsync(b: Backend, x: FloatArray, rows: number, training: boolean, rng: Rng): Promise<FloatArray> {
    return this.layer.forwardAsync(b, x, rows * this.steps, training, rng, null);
  }

  backward(
    b: Backend,
    dy: FloatArray,
    rows: number,
    needDx: boolean,
    lossFused: boolean,
    fold: FoldedSgd | null,
  ): FloatArray | null {
    return this.layer.backward(b, dy, rows * this.steps, needDx, lossFused, fold);
  }

  override backwardAsync(
    b: Backend,
    dy: FloatArray,
    rows: number,
    needDx: boolean,
    lossFused: boolean,
  ): Promise<FloatArray | null> {
    return this.layer.backwardAsync(b, dy, rows * this.steps, needDx, lossFused);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), layer: { className: this.layer.className, config: this.layer.getConfig() } };
  }
}

/** The registry's own functions, given to the entry so this file does not import the registry (no cycle). */
export interface NestedLayers {
  fromConfig(className: string, config: Record<string, unknown>, where: string, fail: Fail): Layer;
  toFile(layer: Layer): LayerJson[];
}

export function timeDistributedEntry(nested: NestedLayers): LayerEntry {
  return {
    className: 'TimeDistributed',
    fromConfig(c: ConfigReader): TimeDistributed {
      const inner = c.nested('layer');
      const className = inner.str('className');
      if (className === 'TimeDistributed' || className === 'Bidirectional') {
        inner.fail('className', `${className} cannot be wrapped in TimeDistributed`);
      }
      const config = inner.nested('config');
      // An unknown class is reported at layer.className, a bad value at its key under layer.config.
      const fail: Fail = (where, message) =>
        where === config.where
          ? inner.fail('className', message)
          : config.fail(where.slice(config.where.length + 1), message);
      const layer = nested.fromConfig(className, config.config, config.where, fail);
      return new TimeDistributed({ ...c.layerArgs(), layer });
    },
    toFile(layer): LayerJson[] {
      const td = layer as TimeDistributed;
      const files = nested.toFile(td.layer);
      if (files.length !== 1) {
        throw new Error(
          `${td.className} '${td.name}': its ${td.layer.className} cannot be saved in the TF.js format inside ` +
            `TimeDistributed (TF.js writes it as ${files.length} layers); use an activation TF.js names`,
        );
      }
      const config = { ...files[0].config };
      if (typeof config.activation === 'string') config.activation = activationToFile(config.activation);
      return [{ className: 'TimeDistributed', config: { ...td.getConfig(), layer: { ...files[0], config } } }];
    },
  };
}
