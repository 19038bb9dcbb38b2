/**
 * BatchNormalization over the last axis (channels): in training, each channel is normalized with the batch's
 * mean and variance (over every other axis) and the moving statistics are updated (m ← m − (m − stat)·(1 −
 * momentum), as TF.js); in inference (predict, evaluate) the moving statistics are used. Weights in TF.js order:
 * gamma, beta (when scale/center), moving_mean, moving_variance (not trainable). One fused op each way,
 * statistics accumulated in float64.
 */
import type { Backend, FloatArray } from '../backend/ops';
import { floatArray, isAsyncSafe } from '../backend/memory';
import type { Initializer, Regularizer } from '../training/contracts';
import { getInitializer, type InitializerIdentifier } from '../training/initializers';
import { getRegularizer, type RegularizerIdentifier } from '../training/regularizers';
import type { ConfigReader } from './config-reader';
import { Layer, type LayerArgs, type WeightSpec } from './layer';
import type { LayerEntry } from './layer-entry';
import { serializeInitializer, serializeRegularizer } from './serialize';
import type { Shape } from './shape';
import { preview } from '../quote';

export interface BatchNormalizationArgs extends LayerArgs {
  /** The normalized axis: only the last one (-1, the default, or its index counting the batch axis). */
  axis?: number | number[];
  /** Decay of the moving statistics, in [0, 1] (default 0.99). */
  momentum?: number;
  /** Added to the variance before the square root, > 0 (default 1e-3). */
  epsilon?: number;
  /** Whether to learn an offset beta (default true). */
  center?: boolean;
  /** Whether to learn a scale gamma (default true). */
  scale?: boolean;
  betaInitializer?: InitializerIdentifier;
  gammaInitializer?: InitializerIdentifier;
  movingMeanInitializer?: InitializerIdentifier;
  movingVarianceInitializer?: InitializerIdentifier;
  betaRegularizer?: RegularizerIdentifier;
  gammaRegularizer?: RegularizerIdentifier;
}

export class BatchNormalization extends Layer {
  readonly className = 'BatchNormalization';
  readonly axis: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly betaInitializer: Initializer;
  readonly gammaInitializer: Initializer;
  readonly movingMeanInitializer: Initializer;
  readonly movingVarianceInitializer: Initializer;
  readonly betaRegularizer?: Regularizer;
  readonly gammaRegularizer?: Regularizer;
  /** The statistics of the last forward (batch ones in training), for backward. */
  private mean?: FloatArray;
  private invStd?: FloatArray;
  private lastX?: FloatArray;
  /** Whether the last forward used batch statistics (training and not frozen). */
  private lastTraining = false;

  constructor(args: BatchNormalizationArgs = {}) {
    const where = 'layers.batchNormalization()';
    super(args, where);
    const a = args ?? {};
    const axis = Array.isArray(a.axis) && a.axis.length === 1 ? a.axis[0] : (a.axis ?? -1);
    if (!Number.isSafeInteger(axis) || (axis as number) < -1) {
      throw new Error(`${where}: 'axis' must be -1 (the last axis, channels), got ${JSON.stringify(a.axis)}`);
    }
    this.axis = axis as number;
    this.momentum = checkRange(where, 'momentum', a.momentum, 0.99, 0, 1);
    this.epsilon = checkRange(where, 'epsilon', a.epsilon, 1e-3, Number.MIN_VALUE, Infinity);
    for (const key of ['center', 'scale'] as const) {
      if (a[key] !== undefined && typeof a[key] !== 'boolean') {
        throw new Error(`${where}: '${key}' must be true or false, got ${preview(a[key])}`);
      }
    }
    this.center = a.center ?? true;
    this.scale = a.scale ?? true;
    this.betaInitializer = getInitializer(a.betaInitializer ?? 'zeros');
    this.gammaInitializer = getInitializer(a.gammaInitializer ?? 'ones');
    this.movingMeanInitializer = getInitializer(a.movingMeanInitializer ?? 'zeros');
    this.movingVarianceInitializer = getInitializer(a.movingVarianceInitializer ?? 'ones');
    if (a.betaRegularizer) this.betaRegularizer = getRegularizer(a.betaRegularizer);
    if (a.gammaRegularizer) this.gammaRegularizer = getRegularizer(a.gammaRegularizer);
  }

  computeOutputShape(inputShape: Shape): Shape {
    // Keras counts the batch axis: the last axis of a [batch, h, w, c] input is 3 = inputShape.length.
    if (this.axis !== -1 && this.axis !== inputShape.length) {
      this.badInput(
        inputShape,
        `only the last axis can be normalized (axis -1 or ${inputShape.length}), not ${this.axis}`,
      );
    }
    return inputShape;
  }

  override weightSpecs(inputShape: Shape): WeightSpec[] {
    const c = [inputShape[inputShape.length - 1]];
    const specs: WeightSpec[] = [];
    if (this.scale) {
      specs.push({
        name: 'gamma',
        shape: c,
        trainable: true,
        initializer: this.gammaInitializer,
        regularizer: this.gammaRegularizer,
      });
    }
    if (this.center) {
      specs.push({
        name: 'beta',
        shape: c,
        trainable: true,
        initializer: this.betaInitializer,
        regularizer: this.betaRegularizer,
      });
    }
    specs.push({ name: 'moving_mean', shape: c, trainable: false, initializer: this.movingMeanInitializer });
    specs.push({ name: 'moving_variance', shape: c, trainable: false, initializer: this.movingVarianceInitializer });
    return specs;
  }

  private get channels(): number {
    return this.inputShape![this.inputShape!.length - 1];
  }

  protected override onBuilt(): void {
    this.mean = floatArray(this.dtype, this.channels);
    this.invStd = floatArray(this.dtype, this.channels);
  }

  override macsPerSample(): number {
    return this.built ? 2 * this.inputSize : 0;
  }

  private forwardArgs(x: FloatArray, rows: number, training: boolean) {
    const [y] = this.buffers(rows, [this.outputSize, this.inputSize]);
    this.lastX = x;
    const c = this.channels;
    return [
      x,
      this.scale ? this.weight('gamma').value : null,
      this.center ? this.weight('beta').value : null,
      this.weight('moving_mean').value,
      this.weight('moving_variance').value,
      this.mean!,
      this.invStd!,
      y,
      (rows * this.inputSize) / c,
      c,
      this.epsilon,
      this.momentum,
      training,
    ] as const;
  }

  /**
   * A frozen layer (trainable false) runs in inference mode even while the model trains, as in Keras: it
   * normalises with its moving statistics and leaves them unchanged (TF.js keeps using batch statistics).
   */
  forward(b: Backend, x: FloatArray, rows: number, training: boolean): FloatArray {
    this.lastTraining = training && this.trainable;
    const args = this.forwardArgs(x, rows, this.lastTraining);
    b.batchNormForward(...args);
    return args[7];
  }

  override async forwardAsync(b: Backend, x: FloatArray, rows: number, training: boolean): Promise<FloatArray> {
    if (!b.batchNormForwardAsync || !isAsyncSafe(x)) return this.forward(b, x, rows, training);
    this.lastTraining = training && this.trainable;
    const args = this.forwardArgs(x, rows, this.lastTraining);
    await b.batchNormForwardAsync(...args);
    return args[7];
  }

  /**
   * Backward of an inference-mode forward (a frozen layer inside a model whose earlier layers train): the
   * layer is then a per-channel affine map, dx = dy·γ·invStd with the moving statistics' invStd.
   */
  private frozenBackward(dy: FloatArray, rows: number, needDx: boolean): FloatArray | null {
    if (!needDx) return null;
    const dx = this.buffers(rows, [this.outputSize, this.inputSize])[1];
    const c = this.channels;
    const gamma = this.scale ? this.weight('gamma').value : null;
    const inv = this.invStd!;
    const n = rows * this.inputSize;
    for (let o = 0; o < n; o += c) {
      for (let j = 0; j < c; j++) dx[o + j] = dy[o + j] * (gamma ? gamma[j] * inv[j] : inv[j]);
    }
    return dx;
  }

  private backwardArgs(dy: FloatArray, rows: number) {
    const dx = this.buffers(rows, [this.outputSize, this.inputSize])[1];
    const c = this.channels;
    return [
      this.lastX!,
      this.scale ? this.weight('gamma').value : null,
      this.mean!,
      this.invStd!,
      dy,
      dx,
      this.scale ? this.weight('gamma').grad : null,
      this.center ? this.weight('beta').grad : null,
      (rows * this.inputSize) / c,
      c,
    ] as const;
  }

  backward(b: Backend, dy: FloatArray, rows: number, needDx: boolean): FloatArray | null {
    if (!this.lastTraining) return this.frozenBackward(dy, rows, needDx);
    const args = this.backwardArgs(dy, rows);
    b.batchNormBackward(...args);
    return needDx ? args[5] : null;
  }

  override async backwardAsync(b: Backend, dy: FloatArray, rows: number, needDx: boolean): Promise<FloatArray | null> {
    if (!this.lastTraining) return this.frozenBackward(dy, rows, needDx);
    if (!b.batchNormBackwardAsync || !isAsyncSafe(this.lastX!) || !isAsyncSafe(dy)) {
      return this.backward(b, dy, rows, needDx);
    }
    const args = this.backwardArgs(dy, rows);
    await b.batchNormBackwardAsync(...args);
    return needDx ? args[5] : null;
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      axis: this.axis,
      momentum: this.momentum,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      betaInitializer: serializeInitializer(this.betaInitializer),
      gammaInitializer: serializeInitializer(this.gammaInitializer),
      movingMeanInitializer: serializeInitializer(this.movingMeanInitializer),
      movingVarianceInitializer: serializeInitializer(this.movingVarianceInitializer),
      betaRegularizer: serializeRegularizer(this.betaRegularizer),
      gammaRegularizer: serializeRegularizer(this.gammaRegularizer),
      betaConstraint: null,
      gammaConstraint: null,
    };
  }
}

function checkRange(where: string, name: string, v: unknown, def: number, lo: number, hi: number): number {
  const x = v ?? def;
  if (typeof x !== 'number' || !(x >= lo && x <= hi) || !Number.isFinite(x)) {
    throw new Error(`${where}: '${name}' must be a number in [${lo}, ${hi}], got ${String(v)}`);
  }
  return x;
}

export const batchNormalizationEntry: LayerEntry = {
  className: 'BatchNormalization',
  fromConfig(c: ConfigReader): BatchNormalization {
    c.unsupported('betaConstraint', 'gammaConstraint');
    // Keras writes renorm/virtual_batch_size/adjustment options; only their defaults are supported.
    for (const key of ['renorm', 'synchronized']) if (c.has(key) && c.bool(key)) c.fail(key, 'is not supported');
    c.unsupported('virtualBatchSize', 'adjustment');
    const axis = c.get('axis');
    return new BatchNormalization({
      ...c.layerArgs(),
      axis: Array.isArray(axis) ? c.ints('axis', 1, -1, 64) : c.int('axis', -1, 64, -1),
      momentum: c.num('momentum', 0.99),
      epsilon: c.num('epsilon', 1e-3),
      center: c.bool('center', true),
      scale: c.bool('scale', true),
      betaInitializer: c.initializer('betaInitializer', 'zeros'),
      gammaInitializer: c.initializer('gammaInitializer', 'ones'),
      movingMeanInitializer: c.initializer('movingMeanInitializer', 'zeros'),
      movingVarianceInitializer: c.initializer('movingVarianceInitializer', 'ones'),
      betaRegularizer: c.regularizer('betaRegularizer'),
      gammaRegularizer: c.regularizer('gammaRegularizer'),
    });
  },
};
