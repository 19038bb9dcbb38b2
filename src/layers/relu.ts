/**
 * ReLU with Keras' options: `f(x) = min(x, maxValue)` above `threshold`, `negativeSlope·(x − threshold)` at or
 * below it (ReLU6 is `maxValue: 6`, MobileNet's activation; `negativeSlope` alone is a leaky ReLU). Elementwise
 * over any rank, so a sequence mask passes through. TF.js's ReLU knows `maxValue` only: a file written with a
 * non-zero `negativeSlope` (and a `maxValue` or `threshold`) or `threshold` loads in Keras and backprop, while TF.js
 * reads it and ignores those two keys. A leaky ReLU alone is written as TF.js's LeakyReLU, which it computes.
 */
import type { Backend, FloatArray } from '../backend/ops';
import type { ConfigReader } from './config-reader';
import { Layer, type LayerArgs } from './layer';
import type { LayerEntry, LayerJson } from './layer-entry';
import { shapeSize, type Shape } from './shape';

export interface ReLUArgs extends LayerArgs {
  /** The largest output (ReLU6: 6); none by default. At least 0. */
  maxValue?: number | null;
  /** Slope at or below the threshold (default 0). At least 0. */
  negativeSlope?: number;
  /** Inputs above it pass (default 0). At least 0. */
  threshold?: number;
}

export class ReLU extends Layer {
  readonly className = 'ReLU';
  readonly maxValue: number | null;
  readonly negativeSlope: number;
  readonly threshold: number;
  private lastX?: FloatArray;

  constructor(args: ReLUArgs = {}) {
    const where = 'layers.reLU()';
    super(args, where);
    const a = args ?? {};
    const nonNegative = (name: string, v: unknown): number => {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
        throw new Error(`${where}: '${name}' must be a finite number >= 0 (as in Keras), got ${JSON.stringify(v)}`);
      }
      return v;
    };
    this.maxValue = a.maxValue === undefined || a.maxValue === null ? null : nonNegative('maxValue', a.maxValue);
    this.negativeSlope = nonNegative('negativeSlope', a.negativeSlope ?? 0);
    this.threshold = nonNegative('threshold', a.threshold ?? 0);
  }

  /** Works on each value alone, so a sequence mask passes through. */
  override maskFlow(inputMasked: boolean): boolean {
    return inputMasked;
  }

  /** y only: backward scales dy in place into the input gradient. */
  override stepBufferValues(inputShape: Shape): number {
    return shapeSize(inputShape);
  }

  computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }

  forward(_b: Backend, x: FloatArray, rows: number): FloatArray {
    const [y] = this.buffers(rows, [this.outputSize]);
    const max = this.maxValue ?? Infinity,
      t = this.threshold,
      slope = this.negativeSlope;
    const n = rows * this.outputSize;
    for (let i = 0; i < n; i++) {
      const v = x[i];
      // NaN fails both tests and stays NaN, as in TF.js and Keras; `+ 0` turns relu's −0 into 0.
      y[i] = v > t ? (v < max ? v : max) : v <= t ? slope * (v - t) + 0 : v;
    }
    this.lastX = x;
    return y;
  }

  backward(_b: Backend, dy: FloatArray, rows: number, needDx: boolean): FloatArray | null {
    if (!needDx) return null;
    const x = this.lastX!;
    const max = this.maxValue ?? Infinity,
      t = this.threshold,
      slope = this.negativeSlope;
    const n = rows * this.outputSize;
    for (let i = 0; i < n; i++) {
      const v = x[i];
      dy[i] *= v > t ? (v < max ? 1 : 0) : slope;
    }
    return dy;
  }

  override getConfig(): Record<string, unknown> {
    const config: Record<string, unknown> = { ...super.getConfig(), maxValue: this.maxValue };
    // TF.js writes maxValue only; Keras' two other options are written when they are used.
    if (this.negativeSlope !== 0) config.negativeSlope = this.negativeSlope;
    if (this.threshold !== 0) config.threshold = this.threshold;
    return config;
  }
}

export const reluEntry: LayerEntry = {
  className: 'ReLU',
  fromConfig(c: ConfigReader): ReLU {
    const atLeastZero = (key: string): number | undefined => {
      if (!c.has(key)) return undefined;
      const v = c.num(key);
      if (v < 0) c.fail(key, `must be >= 0 (as in Keras), got ${v}`);
      return v;
    };
    return new ReLU({
      ...c.layerArgs(),
      maxValue: atLeastZero('maxValue') ?? null,
      negativeSlope: atLeastZero('negativeSlope'),
      threshold: atLeastZero('threshold'),
    });
  },
  toFile(layer): LayerJson[] {
    const r = layer as ReLU;
    const config = r.getConfig();
    if (r.negativeSlope !== 0 && r.maxValue === null && r.threshold === 0) {
      // A leaky ReLU: TF.js computes it as LeakyReLU (its ReLU would ignore the slope).
      return [
        { className: 'LeakyReLU', config: { name: config.name, trainable: config.trainable, alpha: r.negativeSlope } },
      ];
    }
    return [{ className: 'ReLU', config }];
  },
};
