/**
 * Elementwise merges of a list of inputs, as Keras and TF.js: Add, Subtract (exactly two: a − b), Multiply,
 * Average, Maximum, Minimum. Per-sample shapes broadcast as NumPy's do, aligned at the last axis (an input of
 * [3] merges with one of [4, 3]; dimensions of 1 stretch), which is what TF.js gets by expanding lower-rank inputs
 * after the batch axis. The gradient of a broadcast input sums over the axes it was stretched along. Maximum and
 * Minimum send the gradient to the first input holding the extreme value (as the pairwise reduction TF.js does).
 */
import { addValues } from '../backend/add-values';
import type { Backend, FloatArray } from '../backend/ops';
import type { ConfigReader } from './config-reader';
import type { LayerArgs } from './layer';
import type { LayerEntry } from './layer-entry';
import { MergeLayer } from './merge-layer';
import { formatShape, shapeSize, type Shape } from './shape';

type MergeOp = 'add' | 'subtract' | 'multiply' | 'average' | 'maximum' | 'minimum';

/** The NumPy broadcast of per-sample shapes (aligned at the last axis), or an error naming them. */
export function broadcastShapes(who: string, shapes: readonly Shape[]): Shape {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = new Array(rank).fill(1);
  for (const s of shapes) {
    for (let k = 0; k < s.length; k++) {
      const a = rank - s.length + k;
      const d = s[k];
      if (out[a] === 1) out[a] = d;
      else if (d !== 1 && d !== out[a]) {
        throw new Error(
          `${who}: inputs of shapes ${shapes.map(formatShape).join(', ')} cannot be merged: dimensions must be equal ` +
            `or 1 (aligned at the last axis)`,
        );
      }
    }
  }
  return out;
}

/** For each value of one output sample, the index of the value of an input sample of `shape` it reads. */
function broadcastIndex(shape: Shape, out: Shape): Int32Array {
  const n = shapeSize(out);
  const map = new Int32Array(n);
  const rank = out.length;
  const offset = rank - shape.length;
  const strides = new Array<number>(rank).fill(0);
  let stride = 1;
  for (let k = shape.length - 1; k >= 0; k--) {
    strides[offset + k] = shape[k] === 1 ? 0 : stride;
    stride *= shape[k];
  }
  const idx = new Array<number>(rank).fill(0);
  for (let j = 0; j < n; j++) {
    let src = 0;
    for (let a = 0; a < rank; a++) src += idx[a] * strides[a];
    map[j] = src;
    for (let a = rank - 1; a >= 0; a--) {
      if (++idx[a] < out[a]) break;
      idx[a] = 0;
    }
  }
  return map;
}

function gatherSample(y: FloatArray, yo: number, x: FloatArray, xo: number, map: Int32Array, o: number): void {
  for (let j = 0; j < o; j++) y[yo + j] = x[xo + map[j]];
}

/** y[yo..yo+n) ∘= x[xo..xo+n) for the op (one loop per op, so the inner loop has no branch). */
function combine(op: MergeOp, y: FloatArray, yo: number, x: FloatArray, xo: number, n: number): void {
  switch (op) {
    case 'add':
    case 'average':
      for (let j = 0; j < n; j++) y[yo + j] += x[xo + j];
      return;
    case 'subtract':
      for (let j = 0; j < n; j++) y[yo + j] -= x[xo + j];
      return;
    case 'multiply':
      for (let j = 0; j < n; j++) y[yo + j] *= x[xo + j];
      return;
    case 'maximum':
      for (let j = 0; j < n; j++) if (x[xo + j] > y[yo + j]) y[yo + j] = x[xo + j];
      return;
    case 'minimum':
      for (let j = 0; j < n; j++) if (x[xo + j] < y[yo + j]) y[yo + j] = x[xo + j];
      return;
  }
}

function combineMapped(op: MergeOp, y: FloatArray, yo: number, x: FloatArray, xo: number, map: Int32Array, o: number) {
  for (let j = 0; j < o; j++) {
    const v = x[xo + map[j]];
    const a = y[yo + j];
    if (op === 'add' || op === 'average') y[yo + j] = a + v;
    else if (op === 'subtract') y[yo + j] = a - v;
    else if (op === 'multiply') y[yo + j] = a * v;
    else if (op === 'maximum') y[yo + j] = v > a ? v : a;
    else y[yo + j] = v < a ? v : a;
  }
}

export abstract class ElementwiseMerge extends MergeLayer {
  protected abstract readonly op: MergeOp;
  /** Per input: null when its shape is the output's, else the broadcast index map. */
  private maps: (Int32Array | null)[] = [];
  private lastXs: FloatArray[] = [];

  protected outputShapeFor(shapes: readonly Shape[]): Shape {
    return broadcastShapes(this.describe(), shapes);
  }

  protected override onBuiltMerge(): void {
    const out = this.outputShape!;
    this.maps = this.inputShapes.map((s) =>
      s.length === out.length && s.every((d, k) => d === out[k]) ? null : broadcastIndex(s, out),
    );
  }

  forwardMany(b: Backend, xs: readonly FloatArray[], rows: number): FloatArray {
    const o = this.outputSize;
    const n = xs.length;
    const [y] = this.allBuffers(rows);
    const total = rows * o;
    this.lastXs.length = n;
    for (let i = 0; i < n; i++) this.lastXs[i] = xs[i];
    // The first input initialises y, the others combine into it in order (the order fixes the float sums); a sum
    // of two unstretched inputs is one pass, y = x0 + x1.
    const first = this.maps[0];
    const summed = (this.op === 'add' || this.op === 'average') && n >= 2 && !first && !this.maps[1];
    if (summed) addValues(b, xs[0], xs[1], y, total);
    else if (!first) y.set(xs[0].subarray(0, total));
    else for (let r = 0; r < rows; r++) gatherSample(y, r * o, xs[0], r * this.inputSizeOf(0), first, o);
    for (let i = summed ? 2 : 1; i < n; i++) {
      const map = this.maps[i];
      if (!map && (this.op === 'add' || this.op === 'average')) addValues(b, y, xs[i], y, total);
      else if (!map) combine(this.op, y, 0, xs[i], 0, total);
      else {
        const s = this.inputSizeOf(i);
        for (let r = 0; r < rows; r++) combineMapped(this.op, y, r * o, xs[i], r * s, map, o);
      }
    }
    if (this.op === 'average') {
      const inv = 1 / n;
      for (let j = 0; j < total; j++) y[j] *= inv;
    }
    return y;
  }

  backwardMany(
    _b: Backend,
    dy: FloatArray,
    rows: number,
    needDx: readonly boolean[],
    dxs: (FloatArray | null)[],
  ): void {
    const n = this.inputShapes.length;
    const o = this.outputSize;
    const total = rows * o;
    const bufs = this.allBuffers(rows);
    const y = bufs[0];
    const linear = this.op === 'add' || this.op === 'subtract' || this.op === 'average';
    // For a linear merge every input's gradient is ±dy/n: one input (unstretched) can take dy itself, the
    // others get their own copies (each producer may overwrite what it receives).
    let dyTaken = false;
    for (let i = 0; i < n; i++) {
      dxs[i] = null;
      if (!needDx[i]) continue;
      const map = this.maps[i];
      const s = this.inputSizeOf(i);
      const scale = this.op === 'average' ? 1 / n : this.op === 'subtract' && i === 1 ? -1 : 1;
      if (linear && !map) {
        if (!dyTaken && scale === 1) {
          dxs[i] = dy;
          dyTaken = true;
          continue;
        }
        const dx = bufs[1 + i];
        if (scale === 1) dx.set(dy.length === total ? dy : dy.subarray(0, total));
        else for (let j = 0; j < total; j++) dx[j] = dy[j] * scale;
        dxs[i] = dx;
        continue;
      }
      const dx = bufs[1 + i];
      dx.fill(0, 0, rows * s);
      for (let r = 0; r < rows; r++) {
        const yo = r * o,
          xo = r * s;
        for (let j = 0; j < o; j++) {
          const g = dy[yo + j];
          let d: number;
          if (linear) d = g * scale;
          else if (this.op === 'multiply') {
            d = g;
            for (let k = 0; k < n; k++) if (k !== i) d *= this.valueAt(k, r, j);
          } else d = this.firstExtreme(r, j, y[yo + j]) === i ? g : 0;
          dx[xo + (map ? map[j] : j)] += d;
        }
      }
      dxs[i] = dx;
    }
    // dy was handed on as one input's gradient and may now be overwritten: y (read by Maximum/Minimum above) is
    // our own buffer, untouched.
  }

  /** Input k's value feeding output value j of sample r. */
  private valueAt(k: number, r: number, j: number): number {
    const map = this.maps[k];
    return this.lastXs[k][r * this.inputSizeOf(k) + (map ? map[j] : j)];
  }

  /** The first input whose value at (r, j) equals the merged extreme. */
  private firstExtreme(r: number, j: number, extreme: number): number {
    for (let k = 0; k < this.lastXs.length; k++) if (this.valueAt(k, r, j) === extreme) return k;
    return 0;
  }
}

/** Sum of the inputs. */
export class Add extends ElementwiseMerge {
  readonly className = 'Add';
  protected readonly op = 'add';
  constructor(args: LayerArgs = {}) {
    super(args, 'layers.add()');
  }
}

/** The first input minus the second (exactly two). */
export class Subtract extends ElementwiseMerge {
  readonly className = 'Subtract';
  protected readonly op = 'subtract';
  constructor(args: LayerArgs = {}) {
    super(args, 'layers.subtract()');
  }
  protected override get maxInputs(): number {
    return 2;
  }
}

/** Elementwise product of the inputs. */
export class Multiply extends ElementwiseMerge {
  readonly className = 'Multiply';
  protected readonly op = 'multiply';
  constructor(args: LayerArgs = {}) {
    super(args, 'layers.multiply()');
  }
}

/** Mean of the inputs. */
export class Average extends ElementwiseMerge {
  readonly className = 'Average';
  protected readonly op = 'average';
  constructor(args: LayerArgs = {}) {
    super(args, 'layers.average()');
  }
}

/** Elementwise maximum of the inputs. */
export class Maximum extends ElementwiseMerge {
  readonly className = 'Maximum';
  protected readonly op = 'maximum';
  constructor(args: LayerArgs = {}) {
    super(args, 'layers.maximum()');
  }
}

/** Elementwise minimum of the inputs. */
export class Minimum extends ElementwiseMerge {
  readonly className = 'Minimum';
  protected readonly op = 'minimum';
  constructor(args: LayerArgs = {}) {
    super(args, 'layers.minimum()');
  }
}

function entry(className: string, make: (args: LayerArgs) => MergeLayer): LayerEntry {
  return {
    className,
    fromConfig(c: ConfigReader) {
      return make(c.layerArgs());
    },
  };
}

export const addEntry = entry('Add', (a) => new Add(a));
export const subtractEntry: LayerEntry = {
  ...entry('Subtract', (a) => new Subtract(a)),
  notInTfjs: 'Keras has it, TF.js does not',
};
export const multiplyEntry = entry('Multiply', (a) => new Multiply(a));
export const averageEntry = entry('Average', (a) => new Average(a));
export const maximumEntry = entry('Maximum', (a) => new Maximum(a));
export const minimumEntry = entry('Minimum', (a) => new Minimum(a));
