/**
 * Permute the per-sample axes: `dims` is a permutation of 1..rank (1-based, the batch axis stays first), as
 * Keras. Forward gathers through an index map built once per input shape; backward scatters the gradient back.
 */
import type { Backend, FloatArray } from '../backend/ops';
import type { ConfigReader } from './config-reader';
import { Layer, type LayerArgs } from './layer';
import type { LayerEntry } from './layer-entry';
import { MAX_RANK, shapeSize, type Shape } from './shape';

export interface PermuteArgs extends LayerArgs {
  /** A permutation of 1..rank: output axis i is input axis dims[i]. */
  dims: number[];
}

export class Permute extends Layer {
  /** y and dx. */
  override stepBufferValues(inputShape: Shape): number {
    return 2 * shapeSize(inputShape);
  }

  readonly className = 'Permute';
  readonly dims: number[];
  /** source[j] = the input index read by output index j, within one sample. */
  private source?: Int32Array;

  constructor(args: PermuteArgs) {
    super(args, 'layers.permute()');
    const d = args?.dims;
    const ok =
      Array.isArray(d) &&
      d.length >= 1 &&
      d.length <= MAX_RANK &&
      [...d].sort((a, b) => a - b).every((v, i) => v === i + 1);
    if (!ok) {
      throw new Error(
        `layers.permute(): 'dims' must be a permutation of 1..rank (1-based), got ${JSON.stringify(d)}. ` +
          'Example: layers.permute({ dims: [2, 1] })',
      );
    }
    this.dims = [...d];
  }

  computeOutputShape(inputShape: Shape): Shape {
    if (inputShape.length !== this.dims.length) {
      this.badInput(inputShape, `dims ${JSON.stringify(this.dims)} permute ${this.dims.length} axes`);
    }
    return this.dims.map((d) => inputShape[d - 1]);
  }

  protected override onBuilt(): void {
    const inShape = this.inputShape!;
    const outShape = this.outputShape!;
    const rank = inShape.length;
    const inStrides = new Array<number>(rank);
    let s = 1;
    for (let a = rank - 1; a >= 0; a--) {
      inStrides[a] = s;
      s *= inShape[a];
    }
    const size = shapeSize(inShape);
    const source = new Int32Array(size);
    const idx = new Array<number>(rank).fill(0);
    for (let j = 0; j < size; j++) {
      let from = 0;
      for (let a = 0; a < rank; a++) from += idx[a] * inStrides[this.dims[a] - 1];
      source[j] = from;
      for (let a = rank - 1; a >= 0; a--) {
        if (++idx[a] < outShape[a]) break;
        idx[a] = 0;
      }
    }
    this.source = source;
  }

  forward(_b: Backend, x: FloatArray, rows: number): FloatArray {
    const [y] = this.buffers(rows, [this.outputSize, this.outputSize]);
    const src = this.source!;
    const n = src.length;
    for (let r = 0; r < rows; r++) {
      const o = r * n;
      for (let j = 0; j < n; j++) y[o + j] = x[o + src[j]];
    }
    return y;
  }

  backward(_b: Backend, dy: FloatArray, rows: number, needDx: boolean): FloatArray | null {
    if (!needDx) return null;
    const dx = this.buffers(rows, [this.outputSize, this.outputSize])[1];
    const src = this.source!;
    const n = src.length;
    for (let r = 0; r < rows; r++) {
      const o = r * n;
      for (let j = 0; j < n; j++) dx[o + src[j]] = dy[o + j];
    }
    return dx;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), dims: [...this.dims] };
  }
}

export const permuteEntry: LayerEntry = {
  className: 'Permute',
  fromConfig(c: ConfigReader): Permute {
    const d = c.get('dims');
    if (!Array.isArray(d) || d.length < 1 || d.length > MAX_RANK) c.fail('dims', 'expected a permutation of 1..rank');
    return new Permute({ ...c.layerArgs(), dims: c.ints('dims', d.length, 1, MAX_RANK) });
  },
};
