/**
 * GlobalAveragePooling1D (TF.js Layers): [steps, features] → [features], the mean over steps. With a
 * sequence mask it averages the real steps only (as Keras; a sample with none gives 0), and the mask ends
 * here. Plain loops: the work is a few additions per input value.
 */
import type { Backend, FloatArray } from '../backend/ops';
import type { ConfigReader } from './config-reader';
import { Layer, type LayerArgs } from './layer';
import type { LayerEntry } from './layer-entry';
import type { Shape } from './shape';

export class GlobalAveragePooling1D extends Layer {
  readonly className = 'GlobalAveragePooling1D';
  private lastMask: FloatArray | null = null;

  constructor(args: LayerArgs = {}) {
    super(args, 'layers.globalAveragePooling1d()');
  }

  computeOutputShape(inputShape: Shape): Shape {
    if (inputShape.length !== 2) this.badInput(inputShape, 'expected [steps, features] per sample');
    return [inputShape[1]];
  }

  /** Averages the real steps: takes a mask, and its output has none. */
  override maskFlow(): boolean {
    return false;
  }

  override outputMask(): FloatArray | null {
    return null;
  }

  /** How many real steps sample r has (all of them without a mask). */
  private count(r: number, T: number): number {
    const m = this.lastMask;
    if (!m) return T;
    let n = 0;
    for (let t = 0; t < T; t++) if (m[r * T + t] !== 0) n++;
    return n;
  }

  forward(
    _b: Backend,
    x: FloatArray,
    rows: number,
    _training: boolean,
    _rng: unknown,
    mask?: FloatArray | null,
  ): FloatArray {
    const [T, F] = this.inputShape!;
    const [y] = this.buffers(rows, [F, T * F]);
    this.lastMask = mask ?? null;
    y.fill(0);
    for (let r = 0; r < rows; r++) {
      const n = this.count(r, T);
      if (n === 0) continue;
      for (let t = 0; t < T; t++) {
        if (mask && mask[r * T + t] === 0) continue;
        const o = (r * T + t) * F;
        for (let f = 0; f < F; f++) y[r * F + f] += x[o + f];
      }
      for (let f = 0; f < F; f++) y[r * F + f] /= n;
    }
    return y;
  }

  backward(_b: Backend, dy: FloatArray, rows: number, needDx: boolean): FloatArray | null {
    if (!needDx) return null;
    const [T, F] = this.inputShape!;
    const dx = this.buffers(rows, [F, T * F])[1];
    const mask = this.lastMask;
    for (let r = 0; r < rows; r++) {
      const n = this.count(r, T);
      for (let t = 0; t < T; t++) {
        const o = (r * T + t) * F;
        const real = n > 0 && (!mask || mask[r * T + t] !== 0);
        for (let f = 0; f < F; f++) dx[o + f] = real ? dy[r * F + f] / n : 0;
      }
    }
    return dx;
  }
}

export const globalAveragePooling1dEntry: LayerEntry = {
  className: 'GlobalAveragePooling1D',
  fromConfig(c: ConfigReader): GlobalAveragePooling1D {
    if (c.has('dataFormat') && c.str('dataFormat') !== 'channels_last') {
      c.fail('dataFormat', `only 'channels_last' ([steps, features]) is supported`);
    }
    return new GlobalAveragePooling1D(c.layerArgs());
  },
};
