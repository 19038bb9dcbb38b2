/**
 * Bidirectional (TF.js Layers): runs a recurrent layer forwards and a copy of it backwards over the same
 * input and merges the two: 'concat' (default; [..., 2·units]), 'sum', 'mul' or 'ave'. With returnSequences
 * the backward layer's outputs are put back in time order before merging. The config nests the layer's own
 * (`layer: { className, config }`); the weights are named as TF.js names them:
 * `<name>/forward_<layer>/kernel`, ..., `<name>/backward_<layer>/kernel`, ...
 */
import type { Backend, FloatArray } from '../backend/ops';
import { activationToFile } from '../backend/activations';
import type { Param } from '../training/contracts';
import type { DType } from '../backend/ops';
import type { Rng } from '../random';
import type { ConfigReader } from './config-reader';
import { gruEntry } from './gru';
import { Layer, type LayerArgs, type WeightSpec } from './layer';
import type { LayerEntry, LayerJson } from './layer-entry';
import { lstmEntry } from './lstm';
import { Recurrent } from './recurrent';
import { shapeSize, type Shape } from './shape';
import { simpleRnnEntry } from './simple-rnn';

export const MERGE_MODES = ['concat', 'sum', 'mul', 'ave'] as const;
export type MergeMode = (typeof MERGE_MODES)[number];

export interface BidirectionalArgs extends LayerArgs {
  /** The recurrent layer (lstm, gru, simpleRNN) to run both ways. */
  layer: Recurrent;
  /** How the two directions' outputs combine (default 'concat'). */
  mergeMode?: MergeMode;
}

const INNER: LayerEntry[] = [lstmEntry, gruEntry, simpleRnnEntry];

export class Bidirectional extends Layer {
  readonly className = 'Bidirectional';
  readonly forwardLayer: Recurrent;
  readonly backwardLayer: Recurrent;
  readonly mergeMode: MergeMode;

  constructor(args: BidirectionalArgs) {
    const where = 'layers.bidirectional()';
    super(args, where);
    if (!(args?.layer instanceof Recurrent)) {
      throw new Error(`${where}: 'layer' must be a recurrent layer, e.g. { layer: bp.layers.lstm({ units: 32 }) }`);
    }
    if (args.layer.built) throw new Error(`${where}: 'layer' belongs to another model; create a new layer`);
    const mode = args.mergeMode ?? 'concat';
    if (!MERGE_MODES.includes(mode)) {
      throw new Error(`${where}: 'mergeMode' must be one of ${MERGE_MODES.join(', ')}, got ${String(mode)}`);
    }
    this.mergeMode = mode;
    this.forwardLayer = args.layer;
    if (!this.forwardLayer.name) this.forwardLayer.name = this.forwardLayer.kind;
    this.backwardLayer = this.forwardLayer.reversedCopy();
  }

  private get both(): [Recurrent, Recurrent] {
    return [this.forwardLayer, this.backwardLayer];
  }

  computeOutputShape(inputShape: Shape): Shape {
    const out = this.forwardLayer.computeOutputShape(inputShape);
    if (this.mergeMode !== 'concat') return out;
    return [...out.slice(0, -1), 2 * out[out.length - 1]];
  }

  override weightSpecs(inputShape: Shape): WeightSpec[] {
    return this.both.flatMap((l, i) =>
      l.weightSpecs(inputShape).map((s) => ({ ...s, name: `${i ? 'backward' : 'forward'}_${l.name}/${s.name}` })),
    );
  }

  override build(inputShape: Shape, dtype: DType, rng: Rng): void {
    this.forwardLayer.weightScope = `${this.name}/forward_${this.forwardLayer.name}`;
    this.backwardLayer.weightScope = `${this.name}/backward_${this.backwardLayer.name}`;
    this.forwardLayer.trainable = this.backwardLayer.trainable = this.trainable;
    for (const l of this.both) l.build(inputShape, dtype, rng);
    this.dtype = dtype;
    this.inputShape = [...inputShape];
    this.outputShape = [...this.computeOutputShape(inputShape)];
    this.resetBuffers();
    this.built = true;
  }

  /** A replica (a shared call) shares both directions' weights. */
  override shareWeightsFrom(primary: Layer): void {
    const p = primary as Bidirectional;
    this.forwardLayer.shareWeightsFrom(p.forwardLayer);
    this.backwardLayer.shareWeightsFrom(p.backwardLayer);
  }

  override weights(): Param[] {
    return [...this.forwardLayer.weights(), ...this.backwardLayer.weights()];
  }

  override params(): Param[] {
    return this.trainable ? [...this.forwardLayer.params(), ...this.backwardLayer.params()] : [];
  }

  override macsPerSample(): number {
    return this.forwardLayer.macsPerSample() + this.backwardLayer.macsPerSample();
  }

  /** Its own buffers (see bufs) and both directions'. */
  override stepBufferValues(inputShape: Shape): number {
    const T = this.forwardLayer.returnSequences ? inputShape[0] : 1;
    const own =
      shapeSize(this.computeOutputShape(inputShape)) + 2 * this.forwardLayer.units * T + shapeSize(inputShape);
    return own + this.forwardLayer.stepBufferValues(inputShape) + this.backwardLayer.stepBufferValues(inputShape);
  }

  override maskFlow(inputMasked: boolean): boolean {
    return this.forwardLayer.maskFlow(inputMasked);
  }

  override outputMask(inputMask: FloatArray | null): FloatArray | null {
    return inputMask && this.forwardLayer.returnSequences ? inputMask : null;
  }

  /** The merged output, the two directions' output gradients, dx. */
  private bufs(rows: number): FloatArray[] {
    const [T, U] = this.dims();
    return this.buffers(rows, [this.outputSize, U * T, U * T, this.inputSize]);
  }

  /** Steps of the output and units per direction. */
  private dims(): [number, number] {
    return [this.forwardLayer.returnSequences ? this.inputShape![0] : 1, this.forwardLayer.units];
  }

  /** out = merge(yf, yb), yb's steps reversed (the backward layer's outputs come last step first). */
  private merge(yf: FloatArray, yb: FloatArray, rows: number): FloatArray {
    const [T, U] = this.dims();
    const [out] = this.bufs(rows);
    const mode = this.mergeMode;
    for (let r = 0; r < rows; r++) {
      for (let t = 0; t < T; t++) {
        const f = (r * T + t) * U,
          bk = (r * T + (T - 1 - t)) * U;
        const o = mode === 'concat' ? (r * T + t) * 2 * U : f;
        for (let j = 0; j < U; j++) {
          const a = yf[f + j],
            c = yb[bk + j];
          if (mode === 'concat') {
            out[o + j] = a;
            out[o + U + j] = c;
          } else out[o + j] = mode === 'sum' ? a + c : mode === 'mul' ? a * c : (a + c) / 2;
        }
      }
    }
    return out;
  }

  forward(b: Backend, x: FloatArray, rows: number, training: boolean, rng: Rng, mask?: FloatArray | null): FloatArray {
    const yf = this.forwardLayer.forward(b, x, rows, training, rng, mask);
    const yb = this.backwardLayer.forward(b, x, rows, training, rng, mask);
    return this.merge(yf, yb, rows);
  }

  override async forwardAsync(
    b: Backend,
    x: FloatArray,
    rows: number,
    training: boolean,
    rng: Rng,
    mask?: FloatArray | null,
  ): Promise<FloatArray> {
    const yf = await this.forwardLayer.forwardAsync(b, x, rows, training, rng, mask);
    const yb = await this.backwardLayer.forwardAsync(b, x, rows, training, rng, mask);
    return this.merge(yf, yb, rows);
  }

  /** Splits dy into the two directions' output gradients (the backward one in its processing order). */
  private split(dy: FloatArray, rows: number): [FloatArray, FloatArray] {
    const [T, U] = this.dims();
    const [, dyf, dyb] = this.bufs(rows);
    const mode = this.mergeMode;
    // For 'mul', each direction's gradient is dy times the other's output (still in the inner buffers).
    const yf = mode === 'mul' ? this.forwardLayer.outputOf(rows) : null;
    const yb = mode === 'mul' ? this.backwardLayer.outputOf(rows) : null;
    for (let r = 0; r < rows; r++) {
      for (let t = 0; t < T; t++) {
        const f = (r * T + t) * U,
          bk = (r * T + (T - 1 - t)) * U;
        const o = mode === 'concat' ? (r * T + t) * 2 * U : f;
        for (let j = 0; j < U; j++) {
          if (mode === 'concat') {
            dyf[f + j] = dy[o + j];
            dyb[bk + j] = dy[o + U + j];
          } else if (mode === 'mul') {
            dyf[f + j] = dy[o + j] * yb![bk + j];
            dyb[bk + j] = dy[o + j] * yf![f + j];
          } else {
            const g = mode === 'ave' ? dy[o + j] / 2 : dy[o + j];
            dyf[f + j] = g;
            dyb[bk + j] = g;
          }
        }
      }
    }
    return [dyf, dyb];
  }

  private sum(dxf: FloatArray | null, dxb: FloatArray | null, rows: number): FloatArray | null {
    if (!dxf || !dxb) return null;
    const dx = this.bufs(rows)[3];
    for (let i = 0; i < dx.length; i++) dx[i] = dxf[i] + dxb[i];
    return dx;
  }

  backward(b: Backend, dy: FloatArray, rows: number, needDx: boolean): FloatArray | null {
    const [dyf, dyb] = this.split(dy, rows);
    const dxf = this.forwardLayer.backward(b, dyf, rows, needDx);
    const dxb = this.backwardLayer.backward(b, dyb, rows, needDx);
    return this.sum(dxf, dxb, rows);
  }

  override async backwardAsync(b: Backend, dy: FloatArray, rows: number, needDx: boolean): Promise<FloatArray | null> {
    const [dyf, dyb] = this.split(dy, rows);
    const dxf = await this.forwardLayer.backwardAsync(b, dyf, rows, needDx);
    const dxb = await this.backwardLayer.backwardAsync(b, dyb, rows, needDx);
    return this.sum(dxf, dxb, rows);
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      layer: { className: this.forwardLayer.className, config: this.forwardLayer.getConfig() },
      mergeMode: this.mergeMode,
    };
  }
}

export const bidirectionalEntry: LayerEntry = {
  className: 'Bidirectional',
  fromConfig(c: ConfigReader): Bidirectional {
    c.unsupported('backwardLayer', 'weights');
    const nested = c.nested('layer');
    const className = nested.oneOf('className', ['LSTM', 'GRU', 'SimpleRNN'] as const);
    const entry = INNER.find((e) => e.className === className)!;
    const layer = entry.fromConfig(nested.nested('config')) as Recurrent;
    return new Bidirectional({ ...c.layerArgs(), layer, mergeMode: c.oneOf('mergeMode', MERGE_MODES, 'concat') });
  },
  toFile(layer): LayerJson[] {
    const l = layer as Bidirectional;
    const entry = INNER.find((e) => e.className === l.forwardLayer.className)!;
    const nested = entry.toFile
      ? entry.toFile(l.forwardLayer)[0]
      : { className: l.forwardLayer.className, config: l.forwardLayer.getConfig() };
    const config = { ...nested.config };
    if (typeof config.activation === 'string') config.activation = activationToFile(config.activation);
    return [
      { className: 'Bidirectional', config: { ...l.getConfig(), layer: { className: nested.className, config } } },
    ];
  },
};
