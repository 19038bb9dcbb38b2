/**
 * RepeatVector: [features] → [n, features], the vector repeated n times (e.g. an encoder's state fed to every step
 * of a decoder). Backward sums the n gradients of each feature.
 */
import type { Backend, FloatArray } from '../backend/ops';
import type { ConfigReader } from './config-reader';
import { MAX_DIMENSION } from './config-reader';
import { Layer, type LayerArgs } from './layer';
import type { LayerEntry } from './layer-entry';
import type { Shape } from './shape';

export interface RepeatVectorArgs extends LayerArgs {
  /** How many times to repeat the input. */
  n: number;
}

export class RepeatVector extends Layer {
  readonly className = 'RepeatVector';
  readonly n: number;

  constructor(args: RepeatVectorArgs) {
    const where = 'layers.repeatVector()';
    super(args, where);
    const n = args?.n;
    if (!Number.isSafeInteger(n) || n < 1 || n > MAX_DIMENSION) {
      throw new Error(`${where}: 'n' must be a positive integer, got ${JSON.stringify(n)}. Example: { n: 10 }`);
    }
    this.n = n;
  }

  computeOutputShape(inputShape: Shape): Shape {
    if (inputShape.length !== 1) {
      this.badInput(inputShape, 'RepeatVector takes vectors [features] (flatten or pool the input first)');
    }
    return [this.n, inputShape[0]];
  }

  forward(_b: Backend, x: FloatArray, rows: number): FloatArray {
    const [y] = this.buffers(rows, [this.outputSize, this.inputSize]);
    const f = this.inputSize;
    for (let r = 0; r < rows; r++) {
      for (let t = 0; t < this.n; t++) {
        const o = (r * this.n + t) * f;
        for (let j = 0; j < f; j++) y[o + j] = x[r * f + j];
      }
    }
    return y;
  }

  backward(_b: Backend, dy: FloatArray, rows: number, needDx: boolean): FloatArray | null {
    if (!needDx) return null;
    const dx = this.buffers(rows, [this.outputSize, this.inputSize])[1];
    const f = this.inputSize;
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < f; j++) {
        let s = 0;
        for (let t = 0; t < this.n; t++) s += dy[(r * this.n + t) * f + j];
        dx[r * f + j] = s;
      }
    }
    return dx;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), n: this.n };
  }
}

export const repeatVectorEntry: LayerEntry = {
  className: 'RepeatVector',
  fromConfig: (c: ConfigReader) => new RepeatVector({ ...c.layerArgs(), n: c.int('n', 1, MAX_DIMENSION) }),
};
