/** One-hot encoding, scalers fitted on training data, train/test split and shuffling. */
import { Rng } from '../random';
import { toMatrix, type Tensor2D } from './tensor';
import { isLabel } from './labels';
import { quoteValue } from '../quote';

type Matrix = Tensor2D | number[][];
type Targets = Tensor2D | Int32Array;

/**
 * Integer labels → one-hot rows. `numClasses` defaults to the largest label + 1.
 * @example bp.data.oneHot([0, 2, 1], 3) // data [1,0,0, 0,0,1, 0,1,0], shape [3, 3]
 */
export function oneHot(labels: Int32Array | number[], numClasses?: number): Tensor2D {
  const n = labels.length;
  let k = numClasses;
  if (k === undefined) {
    k = 0;
    // Only valid labels size the output: 2^32 + 1 must be reported, not allocated for.
    for (let i = 0; i < n; i++) if (isLabel(labels[i])) k = Math.max(k, labels[i] + 1);
    if (n > 0 && k < 1) k = 1; // so the label check below names the bad index
  }
  if (!Number.isInteger(k) || k < 1)
    throw new Error(`oneHot(): 'numClasses' must be a positive integer, got ${numClasses}`);
  const data = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (!Number.isInteger(l) || l < 0 || l >= k)
      throw new Error(`oneHot(): label at index ${i} is ${l}; labels must be integers in [0, ${k})`);
    data[i * k + l] = 1;
  }
  return { data, shape: [n, k], dtype: 'float32' };
}

export interface ScalerState {
  kind: 'standard' | 'minmax';
  offset: number[];
  scale: number[];
}

/**
 * A per-column affine scaler, x' = (x - offset) / scale, fitted on training data only so the test set is
 * scaled by the same numbers (no leakage).
 */
export class Scaler {
  offset: Float64Array = new Float64Array(0);
  scale: Float64Array = new Float64Array(0);
  constructor(readonly kind: 'standard' | 'minmax') {}

  /**
   * Fits offsets and scales on `x`. A column with no spread gets scale 1, so it maps to 0 instead of NaN.
   * @example const s = bp.data.standardScaler().fit(xTrain);
   */
  fit(x: Matrix): this {
    const m = toMatrix(x, `${this.kind}Scaler.fit(): 'x'`, 'float64');
    if (m.rows === 0) throw new Error(`${this.kind}Scaler.fit(): 'x' has no rows; fit on the training data`);
    this.offset = new Float64Array(m.cols);
    this.scale = new Float64Array(m.cols);
    for (let c = 0; c < m.cols; c++) {
      let lo = Infinity,
        hi = -Infinity,
        mean = 0;
      for (let r = 0; r < m.rows; r++) {
        const v = m.data[r * m.cols + c];
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
        mean += v;
      }
      mean /= m.rows;
      let a: number, b: number;
      if (this.kind === 'standard') {
        let ss = 0;
        for (let r = 0; r < m.rows; r++) ss += (m.data[r * m.cols + c] - mean) ** 2;
        a = mean;
        b = Math.sqrt(ss / m.rows);
      } else {
        a = lo;
        b = hi - lo;
      }
      // A constant column can still show rounding noise in its std (mean is rounded), hence relative.
      const constant = lo === hi || b <= 1e-12 * Math.max(1, Math.abs(lo), Math.abs(hi));
      this.offset[c] = a;
      this.scale[c] = constant ? 1 : b;
    }
    return this;
  }

  private apply(x: Matrix, inverse: boolean): Tensor2D {
    const what = `${this.kind}Scaler.${inverse ? 'inverseTransform' : 'transform'}()`;
    if (!this.offset.length) throw new Error(`${what}: the scaler is not fitted; call fit() first`);
    const m = toMatrix(x, `${what}: 'x'`, 'float64');
    if (m.cols !== this.offset.length)
      throw new Error(`${what}: 'x' has ${m.cols} columns but the scaler was fitted on ${this.offset.length}`);
    // Keep a float64 input float64; everything else comes out as the library's default float32.
    const dtype = !Array.isArray(x) && x.dtype === 'float64' ? 'float64' : 'float32';
    const out = dtype === 'float64' ? new Float64Array(m.rows * m.cols) : new Float32Array(m.rows * m.cols);
    for (let i = 0; i < out.length; i++) {
      const c = i % m.cols;
      out[i] = inverse ? m.data[i] * this.scale[c] + this.offset[c] : (m.data[i] - this.offset[c]) / this.scale[c];
    }
    return { data: out, shape: [m.rows, m.cols], dtype };
  }

  /** Scales `x` with the fitted numbers. @example const xTest2 = scaler.transform(xTest); */
  transform(x: Matrix): Tensor2D {
    return this.apply(x, false);
  }
  /**
   * Undoes transform (e.g. to report predictions in the original units).
   * @example scaler.inverseTransform(scaler.transform(x)) // ≈ x
   */
  inverseTransform(x: Matrix): Tensor2D {
    return this.apply(x, true);
  }
  /** fit(x) then transform(x). @example const xs = bp.data.minMaxScaler().fitTransform(x); */
  fitTransform(x: Matrix): Tensor2D {
    return this.fit(x).transform(x);
  }
  /** The fitted state as plain JSON (saved with a model). @example JSON.stringify(scaler) */
  toJSON(): ScalerState {
    return { kind: this.kind, offset: Array.from(this.offset), scale: Array.from(this.scale) };
  }

  /**
   * Restores a scaler from toJSON()'s output, checking it so a corrupt file fails here, not as NaNs later.
   * @example const s = bp.data.Scaler.fromJSON(JSON.parse(text));
   */
  static fromJSON(s: ScalerState, kind?: 'standard' | 'minmax'): Scaler {
    const ok =
      !!s &&
      typeof s === 'object' &&
      (s.kind === 'standard' || s.kind === 'minmax') &&
      Array.isArray(s.offset) &&
      Array.isArray(s.scale) &&
      s.offset.length === s.scale.length &&
      s.offset.length > 0 &&
      [...s.offset, ...s.scale].every((v) => typeof v === 'number' && Number.isFinite(v)) &&
      !s.scale.some((v) => v === 0);
    if (!ok)
      throw new Error(
        `Scaler.fromJSON(): not a saved scaler state; expected { kind: 'standard' | 'minmax', offset: number[], ` +
          `scale: number[] } with non-zero scales`,
      );
    if (kind && s.kind !== kind)
      throw new Error(`${kind}Scaler.fromJSON(): the saved state is a ${quoteValue(s.kind)} scaler`);
    const sc = new Scaler(s.kind);
    sc.offset = Float64Array.from(s.offset);
    sc.scale = Float64Array.from(s.scale);
    return sc;
  }
}

/**
 * Standardisation (zero mean, unit variance per column).
 * @example
 * const s = bp.data.standardScaler().fit(xTrain);
 * const xTestScaled = s.transform(xTest);
 * const again = bp.data.standardScaler.fromJSON(s.toJSON());
 */
export const standardScaler = Object.assign((): Scaler => new Scaler('standard'), {
  fromJSON: (s: ScalerState): Scaler => Scaler.fromJSON(s, 'standard'),
});

/**
 * Min-max scaling to [0, 1] per column (of the fitted data).
 * @example const xs = bp.data.minMaxScaler().fitTransform(x);
 */
export const minMaxScaler = Object.assign((): Scaler => new Scaler('minmax'), {
  fromJSON: (s: ScalerState): Scaler => Scaler.fromJSON(s, 'minmax'),
});

function rowsOf(y: Targets): number {
  return y instanceof Int32Array ? y.length : y.shape[0];
}
function takeRows(t: Tensor2D, idx: number[]): Tensor2D {
  const cols = t.shape[1];
  const out = t.dtype === 'float64' ? new Float64Array(idx.length * cols) : new Float32Array(idx.length * cols);
  idx.forEach((src, r) => out.set(t.data.subarray(src * cols, (src + 1) * cols), r * cols));
  return { data: out, shape: [idx.length, cols], dtype: t.dtype };
}
function takeTargets(y: Targets, idx: number[]): Targets {
  return y instanceof Int32Array ? Int32Array.from(idx, (i) => y[i]) : takeRows(y, idx);
}
/** Validates and normalises a matrix argument, keeping a float64 Tensor2D float64. */
function asTensor(x: Matrix, argName: string): Tensor2D {
  const dtype = !Array.isArray(x) && x && x.dtype === 'float64' ? 'float64' : 'float32';
  const m = toMatrix(x, argName, dtype);
  return { data: m.data, shape: [m.rows, m.cols], dtype };
}
function checkTargets(y: Targets, who: string): Targets {
  if (y instanceof Int32Array) return y;
  if (Array.isArray(y))
    throw new Error(
      `${who}: 'y' must be an Int32Array of labels or a Tensor2D; wrap number[] labels with Int32Array.from(y)`,
    );
  return asTensor(y, `${who}: 'y'`);
}

/** Class of each row for stratification: labels as given, one-hot rows by argmax. */
function classesOf(y: Targets, strat: boolean | Int32Array | number[], n: number): number[] {
  const who = 'trainTestSplit()';
  if (typeof strat !== 'boolean') {
    if (strat.length !== n) throw new Error(`${who}: 'stratify' has ${strat.length} labels but 'x' has ${n} rows`);
    return Array.from(strat, (v, i) => {
      if (!Number.isInteger(v)) throw new Error(`${who}: 'stratify'[${i}] = ${v} is not an integer class label`);
      return v;
    });
  }
  if (y instanceof Int32Array) return Array.from(y);
  const c = y.shape[1];
  return Array.from({ length: n }, (_, r) => {
    if (c === 1) {
      const v = y.data[r];
      if (!Number.isInteger(v))
        throw new Error(
          `${who}: stratify needs class labels, but 'y' row ${r} is ${v}; stratify only classification targets`,
        );
      return v;
    }
    let best = 0;
    for (let j = 1; j < c; j++) if (y.data[r * c + j] > y.data[r * c + best]) best = j;
    return best;
  });
}

/**
 * Splits rows into train and test sets, keeping x and y aligned. `testSize` is a fraction in (0, 1) or a
 * row count; `stratify: true` (or explicit labels) keeps each class's proportion in both sets.
 * @example const { xTrain, xTest, yTrain, yTest } = bp.data.trainTestSplit(x, labels, { testSize: 0.2, seed: 1,
 * stratify: true });
 */
export function trainTestSplit<Y extends Targets>(
  xIn: Matrix,
  yIn: Y,
  {
    testSize = 0.2,
    shuffle: doShuffle = true,
    seed = 0,
    stratify = false,
  }: { testSize?: number; shuffle?: boolean; seed?: number; stratify?: boolean | Int32Array | number[] } = {},
): { xTrain: Tensor2D; xTest: Tensor2D; yTrain: Y; yTest: Y } {
  const who = 'trainTestSplit()';
  const x = asTensor(xIn, `${who}: 'x'`);
  const y = checkTargets(yIn, who);
  const n = x.shape[0];
  if (rowsOf(y) !== n) throw new Error(`${who}: 'x' has ${n} rows but 'y' has ${rowsOf(y)}; they must match`);
  if (n < 2) throw new Error(`${who}: need at least 2 rows to split, got ${n}`);
  let k: number;
  if (testSize > 0 && testSize < 1) k = Math.min(n - 1, Math.max(1, Math.round(n * testSize)));
  else if (Number.isInteger(testSize) && testSize >= 1 && testSize < n) k = testSize;
  else
    throw new Error(`${who}: 'testSize' must be a fraction in (0, 1) or a row count in [1, ${n - 1}], got ${testSize}`);
  const rng = new Rng(seed);
  let test: number[] = [],
    train: number[] = [];
  if (stratify !== false) {
    const labels = classesOf(y, stratify, n);
    const byClass = new Map<number, number[]>();
    labels.forEach((c, i) => {
      let l = byClass.get(c);
      if (!l) byClass.set(c, (l = []));
      l.push(i);
    });
    const groups = [...byClass.keys()].sort((a, b) => a - b).map((c) => byClass.get(c)!);
    // Largest-remainder allocation: per-class shares add up to exactly k test rows.
    const share = groups.map((g) => (g.length * k) / n);
    const take = share.map(Math.floor);
    let left = k - take.reduce((a, b) => a + b, 0);
    const order = share.map((s, i) => i).sort((a, b) => share[b] - take[b] - (share[a] - take[a]) || a - b);
    for (const i of order) {
      if (left <= 0) break;
      take[i]++;
      left--;
    }
    groups.forEach((g, i) => {
      if (doShuffle) rng.shuffle(g);
      // Row by row: push(...rows) passes every row as an argument, past the stack's size for a large class.
      const cut = g.length - take[i];
      for (let j = 0; j < g.length; j++) (j < cut ? train : test).push(g[j]);
    });
    if (doShuffle) {
      rng.shuffle(train);
      rng.shuffle(test);
    } else {
      train.sort((a, b) => a - b);
      test.sort((a, b) => a - b);
    }
  } else {
    const idx = Array.from({ length: n }, (_, i) => i);
    if (doShuffle) rng.shuffle(idx);
    test = idx.slice(n - k);
    train = idx.slice(0, n - k);
  }
  return {
    xTrain: takeRows(x, train),
    xTest: takeRows(x, test),
    yTrain: takeTargets(y, train) as Y,
    yTest: takeTargets(y, test) as Y,
  };
}

/**
 * Shuffles x and y rows together by `seed` (returns new arrays; the inputs are untouched).
 * @example const s = bp.data.shuffle(x, y, 7); // s.x, s.y
 */
export function shuffle<Y extends Targets>(xIn: Matrix, yIn: Y, seed = 0): { x: Tensor2D; y: Y } {
  const x = asTensor(xIn, `shuffle(): 'x'`);
  const y = checkTargets(yIn, 'shuffle()');
  if (rowsOf(y) !== x.shape[0])
    throw new Error(`shuffle(): 'x' has ${x.shape[0]} rows but 'y' has ${rowsOf(y)}; they must match`);
  const idx = new Rng(seed).shuffle(Array.from({ length: x.shape[0] }, (_, i) => i));
  return { x: takeRows(x, idx), y: takeTargets(y, idx) as Y };
}
