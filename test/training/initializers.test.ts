/** Initializers: statistics on 100k draws from a fixed seed, determinism, fans, configs, lookup. */
import * as I from '../../src/training/initializers';
import { Rng } from '../../src/random';

const SHAPE = [400, 250]; // 100 000 weights; fanIn 400, fanOut 250
const stats = (a: ArrayLike<number>) => {
  let s = 0,
    q = 0,
    lo = Infinity,
    hi = -Infinity;
  for (let i = 0; i < a.length; i++) {
    s += a[i];
    q += a[i] * a[i];
    lo = Math.min(lo, a[i]);
    hi = Math.max(hi, a[i]);
  }
  const mean = s / a.length;
  return { mean, std: Math.sqrt(q / a.length - mean * mean), lo, hi };
};
const draw = (init: I.InitializerIdentifier, seed = 1, shape = SHAPE, kind: 'f32' | 'f64' = 'f64') => {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = kind === 'f64' ? new Float64Array(n) : new Float32Array(n);
  I.getInitializer(init).fill(out, shape, new Rng(seed));
  return out;
};
const TRUNC = 0.87962566103423978; // std of a unit normal truncated at ±2

describe('fans', () => {
  test('dense kernel [in, out] → fanIn = in, fanOut = out; bias [n] → n; conv kernels multiply the receptive field', () => {
    expect(I.computeFans([400, 250])).toEqual({ fanIn: 400, fanOut: 250 });
    expect(I.computeFans([7])).toEqual({ fanIn: 7, fanOut: 7 });
    expect(I.computeFans([3, 3, 16, 32])).toEqual({ fanIn: 144, fanOut: 288 });
  });
  test('the limit uses fanIn vs fanOut correctly (transposed shape changes heUniform but not glorotUniform)', () => {
    expect(stats(draw('heUniform', 1, [250, 400])).hi).toBeGreaterThan(Math.sqrt(6 / 400));
    expect(stats(draw('heUniform', 1, [250, 400])).hi).toBeLessThanOrEqual(Math.sqrt(6 / 250));
    expect(stats(draw('glorotUniform', 1, [250, 400])).hi).toBeLessThanOrEqual(Math.sqrt(6 / 650));
  });
});

describe('variance-scaling initializers', () => {
  test.each([
    ['glorotUniform', Math.sqrt(6 / 650)],
    ['heUniform', Math.sqrt(6 / 400)],
    ['leCunUniform', Math.sqrt(3 / 400)],
  ])('%s: uniform in ±limit (limit %f), std limit/√3, mean 0', (name, limit) => {
    const s = stats(draw(name));
    expect(s.hi).toBeLessThanOrEqual(limit);
    expect(s.lo).toBeGreaterThanOrEqual(-limit);
    expect(s.hi).toBeGreaterThan(limit * 0.999);
    expect(s.lo).toBeLessThan(-limit * 0.999);
    expect(s.std / (limit / Math.sqrt(3))).toBeGreaterThan(0.99);
    expect(s.std / (limit / Math.sqrt(3))).toBeLessThan(1.01);
    expect(Math.abs(s.mean)).toBeLessThan(limit * 0.01);
  });
  test.each([
    ['glorotNormal', Math.sqrt(2 / 650)],
    ['heNormal', Math.sqrt(2 / 400)],
    ['leCunNormal', Math.sqrt(1 / 400)],
  ])('%s: truncated normal with std %f (Keras: sqrt(scale/fan)/0.8796 before truncation)', (name, std) => {
    const s = stats(draw(name));
    expect(s.std / std).toBeGreaterThan(0.98);
    expect(s.std / std).toBeLessThan(1.02);
    const bound = (2 * std) / TRUNC;
    expect(s.hi).toBeLessThanOrEqual(bound + 1e-12);
    expect(s.lo).toBeGreaterThanOrEqual(-bound - 1e-12);
    expect(s.hi).toBeGreaterThan(bound * 0.99); // truncated at 2σ, not narrower
    expect(Math.abs(s.mean)).toBeLessThan(std * 0.02);
  });
  test('configs in TF.js VarianceScaling form', () => {
    expect(I.glorotUniform().getConfig()).toEqual({ scale: 1, mode: 'fan_avg', distribution: 'uniform', seed: null });
    expect(I.heNormal().getConfig()).toEqual({ scale: 2, mode: 'fan_in', distribution: 'normal', seed: null });
    expect(I.leCunUniform({ seed: 5 }).getConfig()).toEqual({
      scale: 1,
      mode: 'fan_in',
      distribution: 'uniform',
      seed: 5,
    });
  });
});

describe('simple initializers', () => {
  test('randomNormal: mean and std', () => {
    const s = stats(draw(I.randomNormal({ mean: 0.5, stddev: 2 }), 3));
    expect(Math.abs(s.mean - 0.5)).toBeLessThan(0.03);
    expect(s.std / 2).toBeGreaterThan(0.99);
    expect(s.std / 2).toBeLessThan(1.01);
    const d = stats(draw('randomNormal', 3));
    expect(d.std / 0.05).toBeGreaterThan(0.99);
    expect(d.std / 0.05).toBeLessThan(1.01);
  });
  test('randomUniform: within [minval, maxval), mean and std; defaults ±0.05', () => {
    const s = stats(draw(I.randomUniform({ minval: -1, maxval: 3 }), 4));
    expect(s.lo).toBeGreaterThanOrEqual(-1);
    expect(s.hi).toBeLessThan(3);
    expect(Math.abs(s.mean - 1)).toBeLessThan(0.02);
    expect(s.std).toBeCloseTo(4 / Math.sqrt(12), 2);
    const d = stats(draw('randomUniform', 4));
    expect(d.lo).toBeGreaterThanOrEqual(-0.05);
    expect(d.hi).toBeLessThan(0.05);
    expect(d.hi).toBeGreaterThan(0.0499);
  });
  test('truncatedNormal: within mean ± 2·stddev, std 0.8796·stddev', () => {
    const s = stats(draw(I.truncatedNormal({ mean: 1, stddev: 0.5 }), 5));
    expect(s.lo).toBeGreaterThanOrEqual(0);
    expect(s.hi).toBeLessThanOrEqual(2);
    expect(s.std / (0.5 * TRUNC)).toBeGreaterThan(0.99);
    expect(s.std / (0.5 * TRUNC)).toBeLessThan(1.01);
    expect(Math.abs(s.mean - 1)).toBeLessThan(0.01);
  });
  test('zeros, ones, constant fill every element (float32 too)', () => {
    expect([...draw('zeros', 1, [2, 3])]).toEqual([0, 0, 0, 0, 0, 0]);
    expect([...draw('ones', 1, [4], 'f32')]).toEqual([1, 1, 1, 1]);
    expect([...draw(I.constant({ value: 0.25 }), 1, [3])]).toEqual([0.25, 0.25, 0.25]);
    expect(I.constant({ value: 0.25 }).getConfig()).toEqual({ value: 0.25 });
    expect(I.randomNormal().getConfig()).toEqual({ mean: 0, stddev: 0.05, seed: null });
    expect(I.randomUniform().getConfig()).toEqual({ minval: -0.05, maxval: 0.05, seed: null });
  });
  test('bad arguments throw', () => {
    expect(() => I.randomNormal({ stddev: -1 })).toThrow(/stddev/);
    expect(() => I.randomUniform({ minval: 1, maxval: 0 })).toThrow(/minval/);
    expect(() => I.constant({ value: NaN })).toThrow(/value/);
    expect(() => I.glorotUniform({ seed: 1.5 })).toThrow(/seed/);
  });
});

describe('determinism', () => {
  test.each(I.INITIALIZER_NAMES.filter((n) => !['zeros', 'ones', 'constant'].includes(n)))(
    '%s: same seed → same weights, other seed → different',
    (name) => {
      const a = draw(name, 42, [30, 20]),
        b = draw(name, 42, [30, 20]),
        c = draw(name, 43, [30, 20]);
      expect([...a]).toEqual([...b]);
      expect([...a]).not.toEqual([...c]);
    },
  );
  test('an explicit seed ignores the model RNG', () => {
    const init = I.glorotNormal({ seed: 7 });
    const a = new Float64Array(50),
      b = new Float64Array(50);
    init.fill(a, [10, 5], new Rng(1));
    init.fill(b, [10, 5], new Rng(2));
    expect([...a]).toEqual([...b]);
    const c = new Float64Array(50);
    I.glorotNormal().fill(c, [10, 5], new Rng(7)); // without a seed it draws from the given RNG
    expect([...c]).toEqual([...a]);
  });
});

describe('getInitializer', () => {
  const CLASS: Record<string, string> = {
    zeros: 'Zeros',
    ones: 'Ones',
    constant: 'Constant',
    randomNormal: 'RandomNormal',
    randomUniform: 'RandomUniform',
    truncatedNormal: 'TruncatedNormal',
    glorotNormal: 'GlorotNormal',
    glorotUniform: 'GlorotUniform',
    heNormal: 'HeNormal',
    heUniform: 'HeUniform',
    leCunNormal: 'LeCunNormal',
    leCunUniform: 'LeCunUniform',
  };
  const SNAKE: Record<string, string> = {
    zeros: 'zeros',
    ones: 'ones',
    constant: 'constant',
    randomNormal: 'random_normal',
    randomUniform: 'random_uniform',
    truncatedNormal: 'truncated_normal',
    glorotNormal: 'glorot_normal',
    glorotUniform: 'glorot_uniform',
    heNormal: 'he_normal',
    heUniform: 'he_uniform',
    leCunNormal: 'lecun_normal',
    leCunUniform: 'lecun_uniform',
  };
  test.each(Object.keys(CLASS))('%s by camelCase, snake_case, class name and {className}', (name) => {
    expect(I.INITIALIZER_NAMES).toContain(name);
    for (const id of [
      name,
      SNAKE[name],
      CLASS[name],
      { className: CLASS[name] },
      { className: CLASS[name], config: {} },
    ]) {
      expect(I.getInitializer(id).className).toBe(CLASS[name]);
    }
    expect((I as unknown as Record<string, () => { className: string }>)[name]().className).toBe(CLASS[name]);
  });
  test('{className, config} passes the config; VarianceScaling keeps its exact settings', () => {
    expect([...draw({ className: 'Constant', config: { value: 3 } }, 1, [2])]).toEqual([3, 3]);
    expect(
      I.getInitializer({ className: 'RandomUniform', config: { minval: 1, maxval: 2 } }).getConfig(),
    ).toMatchObject({ minval: 1, maxval: 2 });
    // TF.js writes glorot/he/leCun as VarianceScaling: it loads as that, and draws what the named one draws.
    const glorot = { className: 'VarianceScaling', config: { scale: 1, mode: 'fan_avg', distribution: 'uniform' } };
    expect(I.getInitializer(glorot).className).toBe('VarianceScaling');
    expect([...draw(glorot, 5, [4, 6])]).toEqual([...draw('glorotUniform', 5, [4, 6])]);
    const he = { className: 'VarianceScaling', config: { scale: 2, mode: 'fan_in', distribution: 'normal' } };
    expect([...draw(he, 5, [4, 6])]).toEqual([...draw('heNormal', 5, [4, 6])]);
    const vs = I.getInitializer({ className: 'VarianceScaling', config: { scale: 3, mode: 'fan_out' } });
    expect(vs.getConfig()).toEqual({ scale: 3, mode: 'fan_out', distribution: 'normal', seed: null });
    expect(() =>
      I.getInitializer({ className: 'VarianceScaling', config: { scale: 3, mode: 'fan_sideways' } }),
    ).toThrow(/'mode' must be 'fan_in', 'fan_out' or 'fan_avg'/);
  });
  test('an Initializer is returned as is', () => {
    const init = I.heUniform();
    expect(I.getInitializer(init)).toBe(init);
  });
  test('unknown names throw, listing the valid ones', () => {
    expect(() => I.getInitializer('glorotUniformm')).toThrow(
      /unknown initializer "glorotUniformm".*glorotUniform.*leCunUniform/,
    );
    expect(() => I.getInitializer({ className: 'Identity' })).toThrow(/unknown initializer "Identity"/);
  });
});

describe("orthogonal (the recurrent kernels' default)", () => {
  const gram = (a: ArrayLike<number>, rows: number, cols: number, byRows: boolean) => {
    const n = byRows ? rows : cols,
      len = byRows ? cols : rows;
    const at = (i: number, k: number) => (byRows ? a[i * cols + k] : a[k * cols + i]);
    const g: number[][] = [];
    for (let i = 0; i < n; i++) {
      g.push([]);
      for (let j = 0; j < n; j++) {
        let d = 0;
        for (let k = 0; k < len; k++) d += at(i, k) * at(j, k);
        g[i].push(d);
      }
    }
    return g;
  };
  test('wide kernels have orthonormal rows, tall ones orthonormal columns, times gain', () => {
    const rng = new Rng(3);
    const wide = new Float64Array(4 * 12);
    I.orthogonal({ gain: 2 }).fill(wide, [4, 12], rng);
    gram(wide, 4, 12, true).forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(i === j ? 4 : 0, 10)));
    const tall = new Float64Array(9 * 3);
    I.getInitializer('orthogonal').fill(tall, [9, 3], rng);
    gram(tall, 9, 3, false).forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(i === j ? 1 : 0, 10)));
  });
  test('TF.js/Keras forms load; a seed repeats; rank 1 is refused', () => {
    const init = I.getInitializer({ className: 'Orthogonal', config: { gain: 1.5, seed: 7 } });
    expect(init.getConfig()).toEqual({ gain: 1.5, seed: 7 });
    const a = new Float32Array(6),
      b = new Float32Array(6);
    init.fill(a, [2, 3], new Rng(1));
    init.fill(b, [2, 3], new Rng(2));
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(() => I.orthogonal().fill(new Float32Array(3), [3], new Rng(1))).toThrow(/rank 2 or more/);
  });
});
