/**
 * LayerNormalization (TF.js Layers) over the last axis: each position's features are normalised to zero mean
 * and unit variance, then scaled by gamma and shifted by beta (`center`, `scale`); weights gamma then beta,
 * as TF.js orders them. Computed by the fused layerNormForward / layerNormBackward ops.
 */
import type { Backend, FloatArray } from '../backend/ops';
import type { Initializer, Regularizer } from '../training/contracts';
import { getInitializer, type InitializerIdentifier } from '../training/initializers';
import { getRegularizer, type RegularizerIdentifier } from '../training/regularizers';
import type { ConfigReader } from './config-reader';
import { Layer, type LayerArgs, type WeightSpec } from './layer';
import type { LayerEntry } from './layer-entry';
import { serializeInitializer, serializeRegularizer } from './serialize';
import { shapeSize, type Shape } from './shape';
import { preview } from '../quote';

export interface LayerNormalizationArgs extends LayerArgs {
  /** The normalised axis: only the last, -1 (TF.js files may write it as [rank], counting the batch axis). */
  axis?: number | number[];
  /** Added to the variance (default 1e-3, as TF.js). */
  epsilon?: number;
  /** Add beta (default true). */
  center?: boolean;
  /** Multiply by gamma (default true). */
  scale?: boolean;
  betaInitializer?: InitializerIdentifier;
  gammaInitializer?: InitializerIdentifier;
  betaRegularizer?: RegularizerIdentifier;
  gammaRegularizer?: RegularizerIdentifier;
}

export class LayerNormalization extends Layer {
  readonly className = 'LayerNormalization';
  readonly axis: number | number[];
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly betaInitializer: Initializer;
  readonly gammaInitializer: Initializer;
  readonly betaRegularizer?: Regularizer;
  readonly gammaRegularizer?: Regularizer;
  private lastX?: FloatArray;

  constructor(args: LayerNormalizationArgs = {}) {
    const where = 'layers.layerNormalization()';
    super(args, where);
    const a = args ?? {};
    const axis = a.axis ?? -1;
    const axes = Array.isArray(axis) ? axis : [axis];
    if (axes.length !== 1 || !Number.isInteger(axes[0]) || !(axes[0] === -1 || axes[0] >= 1)) {
      throw new Error(
        `${where}: 'axis' must be -1 (the last axis; only that one is supported), got ${JSON.stringify(axis)}`,
      );
    }
    this.axis = axis;
    const eps = a.epsilon ?? 1e-3;
    if (typeof eps !== 'number' || !(eps > 0) || !Number.isFinite(eps)) {
      throw new Error(`${where}: 'epsilon' must be a positive number, got ${String(a.epsilon)}`);
    }
    this.epsilon = eps;
    for (const key of ['center', 'scale'] as const) {
      if (a[key] !== undefined && typeof a[key] !== 'boolean') {
        throw new Error(`${where}: '${key}' must be true or false, got ${preview(a[key])}`);
      }
    }
    this.center = a.center ?? true;
    this.scale = a.scale ?? true;
    this.betaInitializer = getInitializer(a.betaInitializer ?? 'zeros');
    this.gammaInitializer = getInitializer(a.gammaInitializer ?? 'ones');
    if (a.betaRegularizer) this.betaRegularizer = getRegularizer(a.betaRegularizer);
    if (a.gammaRegularizer) this.gammaRegularizer = getRegularizer(a.gammaRegularizer);
  }

  computeOutputShape(inputShape: Shape): Shape {
    const axis = Array.isArray(this.axis) ? this.axis[0] : this.axis;
    if (axis !== -1 && axis !== inputShape.length) {
      this.badInput(inputShape, `'axis' ${axis} is not the last axis (${inputShape.length}, or -1)`);
    }
    return inputShape;
  }

  override weightSpecs(inputShape: Shape): WeightSpec[] {
    const n = inputShape[inputShape.length - 1];
    const specs: WeightSpec[] = [];
    if (this.scale) {
      specs.push({
        name: 'gamma',
        shape: [n],
        trainable: true,
        initializer: this.gammaInitializer,
        regularizer: this.gammaRegularizer,
      });
    }
    if (this.center) {
      specs.push({
        name: 'beta',
        shape: [n],
        trainable: true,
        initializer: this.betaInitializer,
        regularizer: this.betaRegularizer,
      });
    }
    return specs;
  }

  /** Normalises each step alone, so a sequence mask passes through. */
  override maskFlow(inputMasked: boolean): boolean {
    return inputMasked;
  }

  private get cols(): number {
    return this.inputShape![this.inputShape!.length - 1];
  }

  /** y, two statistics per normalized row, dx. */
  override stepBufferValues(inputShape: Shape): number {
    const n = shapeSize(inputShape);
    return 2 * n + (2 * n) / inputShape[inputShape.length - 1];
  }

  override macsPerSample(): number {
    return this.built ? 4 * this.inputSize : 0;
  }

  /** y, stats (2 per normalised row), dx. */
  private bufs(rows: number): FloatArray[] {
    return this.buffers(rows, [this.inputSize, (2 * this.inputSize) / this.cols, this.inputSize]);
  }

  forward(b: Backend, x: FloatArray, rows: number): FloatArray {
    const [y, stats] = this.bufs(rows);
    this.lastX = x;
    const gamma = this.scale ? this.weight('gamma').value : null;
    const beta = this.center ? this.weight('beta').value : null;
    const n = (rows * this.inputSize) / this.cols;
    b.layerNormForward(x, gamma, beta, y, stats, n, this.cols, this.epsilon);
    return y;
  }

  backward(b: Backend, dy: FloatArray, rows: number, needDx: boolean): FloatArray | null {
    const [, stats, dx] = this.bufs(rows);
    const gamma = this.scale ? this.weight('gamma') : null;
    const beta = this.center ? this.weight('beta') : null;
    const n = (rows * this.inputSize) / this.cols;
    b.layerNormBackward(
      this.lastX!,
      gamma?.value ?? null,
      stats,
      dy,
      needDx ? dx : null,
      gamma?.grad ?? null,
      beta?.grad ?? null,
      n,
      this.cols,
    );
    return needDx ? dx : null;
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      axis: this.axis,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      betaInitializer: serializeInitializer(this.betaInitializer),
      gammaInitializer: serializeInitializer(this.gammaInitializer),
      betaRegularizer: serializeRegularizer(this.betaRegularizer),
      gammaRegularizer: serializeRegularizer(this.gammaRegularizer),
    };
  }
}

export const layerNormalizationEntry: LayerEntry = {
  className: 'LayerNormalization',
  fromConfig(c: ConfigReader): LayerNormalization {
    c.unsupported('betaConstraint', 'gammaConstraint');
    const v = c.get('axis');
    const axis = Array.isArray(v) ? c.ints('axis', 1, 1, 64) : c.int('axis', -1, 64, -1);
    return new LayerNormalization({
      ...c.layerArgs(),
      axis,
      epsilon: c.num('epsilon', 1e-3),
      center: c.bool('center', true),
      scale: c.bool('scale', true),
      betaInitializer: c.initializer('betaInitializer', 'zeros'),
      gammaInitializer: c.initializer('gammaInitializer', 'ones'),
      betaRegularizer: c.regularizer('betaRegularizer'),
      gammaRegularizer: c.regularizer('gammaRegularizer'),
    });
  },
};
