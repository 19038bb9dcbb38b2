/** One-hot encoding, scalers fitted on training data, train/test split and shuffling. */
import { Rng } from '../random';
import { toMatrix, type Tensor2D } from './tensor';

type Matrix = Tensor2D | number[][];

/**
 * Integer labels → one-hot rows.
 * @example bp.data.oneHot([0, 2, 1], 3) // [[1,0,0],[0,0,1],[0,1,0]]
 */
export function oneHot(labels: Int32Array | number[], numClasses?: number): Tensor2D {
  const n = labels.length;
  let k = numClasses;
  if (k === undefined) { k = 0; for (let i = 0; i < n; i++) k = Math.max(k, labels[i] + 1); }
  if (!Number.isInteger(k) || k < 1) throw new Error(`oneHot(): 'numClasses' must be a positive integer, got ${numClasses}`);
  const data = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (!Number.isInteger(l) || l < 0 || l >= k) throw new Error(`oneHot(): label at index ${i} is ${l}; labels must be integers in [0, ${k})`);
    data[i * k + l] = 1;
  }
  return { data, shape: [n, k], dtype: 'float32' };
}

export interface ScalerState { kind: 'standard' | 'minmax'; offset: number[]; scale: number[] }

/** A per-column affine scaler: x' = (x - offset) / scale, fitted on training data. */
export class Scaler {
  offset: Float64Array = new Float64Array(0);
  scale: Float64Array = new Float64Array(0);
  constructor(readonly kind: 'standard' | 'minmax') {}

  /** Fits offsets and scales on `x` (columns with no spread get scale 1, so they map to 0). */
  fit(x: Matrix): this {
    const m = toMatrix(x, `${this.kind}Scaler.fit(): 'x'`, 'float64');
    if (m.rows === 0) throw new Error(`${this.kind}Scaler.fit(): 'x' has no rows`);
    this.offset = new Float64Array(m.cols);
    this.scale = new Float64Array(m.cols);
    for (let c = 0; c < m.cols; c++) {
      let a = 0, b = 0;
      if (this.kind === 'standard') {
        for (let r = 0; r < m.rows; r++) a += m.data[r * m.cols + c];
        a /= m.rows;
        for (let r = 0; r < m.rows; r++) b += (m.data[r * m.cols + c] - a) ** 2;
        b = Math.sqrt(b / m.rows);
      } else {
        let lo = Infinity, hi = -Infinity;
        for (let r = 0; r < m.rows; r++) { const v = m.data[r * m.cols + c]; lo = Math.min(lo, v); hi = Math.max(hi, v); }
        a = lo;
        b = hi - lo;
      }
      this.offset[c] = a;
      this.scale[c] = b > 1e-12 ? b : 1;
    }
    return this;
  }

  private apply(x: Matrix, inverse: boolean): Tensor2D {
    const what = `${this.kind}Scaler.${inverse ? 'inverseTransform' : 'transform'}()`;
    if (!this.offset.length) throw new Error(`${what}: call fit() first`);
    const m = toMatrix(x, `${what}: 'x'`, 'float64');
    if (m.cols !== this.offset.length) throw new Error(`${what}: 'x' has ${m.cols} columns but the scaler was fitted on ${this.offset.length}`);
    const out = new Float32Array(m.rows * m.cols);
    for (let i = 0; i < out.length; i++) {
      const c = i % m.cols;
      out[i] = inverse ? m.data[i] * this.scale[c] + this.offset[c] : (m.data[i] - this.offset[c]) / this.scale[c];
    }
    return { data: out, shape: [m.rows, m.cols], dtype: 'float32' };
  }
  transform(x: Matrix): Tensor2D { return this.apply(x, false); }
  inverseTransform(x: Matrix): Tensor2D { return this.apply(x, true); }
  fitTransform(x: Matrix): Tensor2D { return this.fit(x).transform(x); }
  toJSON(): ScalerState { return { kind: this.kind, offset: Array.from(this.offset), scale: Array.from(this.scale) }; }
  static fromJSON(s: ScalerState): Scaler {
    if (!s || (s.kind !== 'standard' && s.kind !== 'minmax') || !Array.isArray(s.offset) || !Array.isArray(s.scale) || s.offset.length !== s.scale.length ||
      ![...s.offset, ...s.scale].every((v) => typeof v === 'number' && Number.isFinite(v)) || s.scale.some((v) => v === 0)) {
      throw new Error('Scaler.fromJSON(): not a saved scaler state');
    }
    const sc = new Scaler(s.kind);
    sc.offset = Float64Array.from(s.offset);
    sc.scale = Float64Array.from(s.scale);
    return sc;
  }
}
/** Standardisation (zero mean, unit variance per column). @example const s = bp.data.standardScaler().fit(xTrain); s.transform(xTest) */
export const standardScaler = (): Scaler => new Scaler('standard');
/** Min-max scaling to [0, 1] per column. @example bp.data.minMaxScaler().fitTransform(x) */
export const minMaxScaler = (): Scaler => new Scaler('minmax');

type Targets = Tensor2D | Int32Array;

function rowsOf(y: Targets): number {
  return y instanceof Int32Array ? y.length : y.shape[0];
}
function takeRows(t: Tensor2D, idx: number[]): Tensor2D {
  const cols = t.shape[1];
  const C = t.data instanceof Float64Array ? Float64Array : Float32Array;
  const out = new C(idx.length * cols);
  idx.forEach((src, r) => out.set(t.data.subarray(src * cols, (src + 1) * cols), r * cols));
  return { data: out, shape: [idx.length, cols], dtype: t.dtype };
}
function takeTargets(y: Targets, idx: number[]): Targets {
  return y instanceof Int32Array ? Int32Array.from(idx, (i) => y[i]) : takeRows(y, idx);
}
const asTensor = (x: Matrix): Tensor2D => {
  if (Array.isArray(x)) { const m = toMatrix(x, 'x', 'float32'); return { data: m.data, shape: [m.rows, m.cols], dtype: 'float32' }; }
  return x;
};

/**
 * Splits rows into train and test sets, keeping x and y aligned; `stratify` keeps class proportions.
 * @example const { xTrain, xTest, yTrain, yTest } = bp.data.trainTestSplit(x, labels, { testSize: 0.2, seed: 1, stratify: true });
 */
export function trainTestSplit<Y extends Targets>(xIn: Matrix, y: Y, { testSize = 0.2, shuffle: doShuffle = true, seed = 0, stratify = false }: { testSize?: number; shuffle?: boolean; seed?: number; stratify?: boolean } = {}):
  { xTrain: Tensor2D; xTest: Tensor2D; yTrain: Y; yTest: Y } {
  const x = asTensor(xIn);
  const n = x.shape[0];
  if (rowsOf(y) !== n) throw new Error(`trainTestSplit(): 'x' has ${n} rows but 'y' has ${rowsOf(y)}`);
  if (!(testSize > 0 && testSize < 1)) throw new Error(`trainTestSplit(): 'testSize' must be in (0, 1), got ${testSize}`);
  const rng = new Rng(seed);
  let test: number[] = [], train: number[] = [];
  if (stratify) {
    const byClass = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      const c = y instanceof Int32Array ? y[i] : argmaxRow(y, i);
      (byClass.get(c) ?? byClass.set(c, []).get(c)!).push(i);
    }
    for (const idx of [...byClass.keys()].sort((a, b) => a - b).map((k) => byClass.get(k)!)) {
      if (doShuffle) rng.shuffle(idx);
      const k = Math.round(idx.length * testSize);
      test.push(...idx.slice(0, k));
      train.push(...idx.slice(k));
    }
    if (doShuffle) { rng.shuffle(train); rng.shuffle(test); }
  } else {
    const idx = Array.from({ length: n }, (_, i) => i);
    if (doShuffle) rng.shuffle(idx);
    const k = Math.max(1, Math.round(n * testSize));
    test = idx.slice(n - k);
    train = idx.slice(0, n - k);
  }
  return { xTrain: takeRows(x, train), xTest: takeRows(x, test), yTrain: takeTargets(y, train) as Y, yTest: takeTargets(y, test) as Y };
}

function argmaxRow(t: Tensor2D, r: number): number {
  const c = t.shape[1];
  let best = 0;
  for (let j = 1; j < c; j++) if (t.data[r * c + j] > t.data[r * c + best]) best = j;
  return c === 1 ? Math.round(t.data[r]) : best;
}

/** Shuffles x and y rows together (returns new arrays). @example const s = bp.data.shuffle(x, y, 7) */
export function shuffle<Y extends Targets>(xIn: Matrix, y: Y, seed = 0): { x: Tensor2D; y: Y } {
  const x = asTensor(xIn);
  if (rowsOf(y) !== x.shape[0]) throw new Error(`shuffle(): 'x' has ${x.shape[0]} rows but 'y' has ${rowsOf(y)}`);
  const idx = new Rng(seed).shuffle(Array.from({ length: x.shape[0] }, (_, i) => i));
  return { x: takeRows(x, idx), y: takeTargets(y, idx) as Y };
}
