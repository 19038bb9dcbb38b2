/**
 * Weight initializers with TF.js semantics, all drawing from the model's seeded RNG. Kernel shapes are
 * [in, out], so fanIn = in and fanOut = out (as Keras computes them for dense kernels).
 */
import type { FloatArray } from '../backend/ops';
import { Rng } from '../random';
import type { Initializer } from './contracts';
import { preview } from '../quote';

export type InitializerIdentifier = string | Initializer | { className: string; config?: Record<string, unknown> };

/**
 * Fan-in / fan-out of a weight shape, as TF.js `computeFans` (channels-last):
 * [in, out] → (in, out); a 3-5 D conv kernel [...receptive, in, out] → (in·r, out·r) with r the
 * receptive-field size; [n] → (n, n) as Keras (a bias has no "in" and "out"); anything else √size.
 * @example computeFans([784, 128]) // { fanIn: 784, fanOut: 128 }
 */
export function computeFans(shape: number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 2) return { fanIn: shape[0], fanOut: shape[1] };
  if (shape.length === 1) return { fanIn: shape[0], fanOut: shape[0] };
  if (shape.length >= 3 && shape.length <= 5) {
    let r = 1;
    for (let i = 0; i < shape.length - 2; i++) r *= shape[i];
    return { fanIn: shape[shape.length - 2] * r, fanOut: shape[shape.length - 1] * r };
  }
  const n = shape.reduce((a, b) => a * b, 1);
  return { fanIn: Math.sqrt(n), fanOut: Math.sqrt(n) };
}

function checkSeed(where: string, seed: unknown): number | undefined {
  if (seed === undefined || seed === null) return undefined;
  if (typeof seed !== 'number' || !Number.isInteger(seed))
    throw new Error(`${where}: 'seed' must be an integer, got ${String(seed)}`);
  return seed;
}

function checkNum(where: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new Error(`${where}: '${name}' must be a finite number, got ${preview(v)}`);
  return v;
}

/**
 * Builds an Initializer. With an explicit `seed` the initializer draws from its own Rng(seed) on each
 * fill (TF.js semantics: the same seed gives the same weights whatever the model's RNG state);
 * without one it draws from the model's seeded RNG, so the model seed alone fixes everything.
 */
function make(
  className: string,
  config: Record<string, unknown>,
  seed: number | undefined,
  draw: (out: FloatArray, shape: number[], rng: Rng) => void,
): Initializer {
  return {
    className,
    fill: (out, shape, rng) => draw(out, shape, seed === undefined ? rng : new Rng(seed)),
    getConfig: () => ({ ...config, ...('seed' in config ? { seed: seed ?? null } : {}) }),
  };
}

/** All zeros (the bias default). @example bp.layers.dense({ units: 4, biasInitializer: bp.initializers.zeros() }) */
export const zeros = (): Initializer => make('Zeros', {}, undefined, (o) => o.fill(0));
/** All ones. @example bp.initializers.ones() */
export const ones = (): Initializer => make('Ones', {}, undefined, (o) => o.fill(1));
/** A constant. @example bp.initializers.constant({ value: 0.1 }) */
export function constant({ value = 0 }: { value?: number } = {}): Initializer {
  checkNum('initializers.constant()', 'value', value);
  return make('Constant', { value }, undefined, (o) => o.fill(value));
}

/** Normal(mean, stddev). @example bp.initializers.randomNormal({ stddev: 0.1, seed: 42 }) */
export function randomNormal({
  mean = 0,
  stddev = 0.05,
  seed,
}: { mean?: number; stddev?: number; seed?: number } = {}): Initializer {
  const w = 'initializers.randomNormal()';
  checkNum(w, 'mean', mean);
  if (checkNum(w, 'stddev', stddev) < 0) throw new Error(`${w}: 'stddev' must be >= 0, got ${stddev}`);
  return make('RandomNormal', { mean, stddev, seed: null }, checkSeed(w, seed), (o, _s, rng) => {
    for (let i = 0; i < o.length; i++) o[i] = rng.normal(mean, stddev);
  });
}
/** Uniform in [minval, maxval). @example bp.initializers.randomUniform({ minval: -0.1, maxval: 0.1 }) */
export function randomUniform({
  minval = -0.05,
  maxval = 0.05,
  seed,
}: { minval?: number; maxval?: number; seed?: number } = {}): Initializer {
  const w = 'initializers.randomUniform()';
  if (checkNum(w, 'minval', minval) > checkNum(w, 'maxval', maxval))
    throw new Error(`${w}: 'minval' (${minval}) must be <= 'maxval' (${maxval})`);
  return make('RandomUniform', { minval, maxval, seed: null }, checkSeed(w, seed), (o, _s, rng) => {
    for (let i = 0; i < o.length; i++) o[i] = rng.uniform(minval, maxval);
  });
}
/**
 * Normal truncated at two standard deviations (redrawn beyond).
 * @example bp.initializers.truncatedNormal({ stddev: 0.1 })
 */
export function truncatedNormal({
  mean = 0,
  stddev = 0.05,
  seed,
}: { mean?: number; stddev?: number; seed?: number } = {}): Initializer {
  const w = 'initializers.truncatedNormal()';
  checkNum(w, 'mean', mean);
  if (checkNum(w, 'stddev', stddev) < 0) throw new Error(`${w}: 'stddev' must be >= 0, got ${stddev}`);
  return make('TruncatedNormal', { mean, stddev, seed: null }, checkSeed(w, seed), (o, _s, rng) => {
    for (let i = 0; i < o.length; i++) o[i] = rng.truncatedNormal(mean, stddev);
  });
}

/** Keras VarianceScaling: the common core of glorot/he/leCun. */
function varianceScalingAs(
  className: string,
  scale: number,
  mode: 'fan_in' | 'fan_out' | 'fan_avg',
  distribution: 'truncated_normal' | 'untruncated_normal' | 'uniform',
  seed?: number,
): Initializer {
  // TF.js writes 'normal' for the truncated normal.
  const written = distribution === 'truncated_normal' ? 'normal' : distribution;
  const config = { scale, mode, distribution: written, seed: null };
  return make(className, config, checkSeed(`initializers (${className})`, seed), (o, shape, rng) => {
    const { fanIn, fanOut } = computeFans(shape);
    const n = mode === 'fan_in' ? fanIn : mode === 'fan_out' ? fanOut : (fanIn + fanOut) / 2;
    const s = scale / Math.max(1, n);
    if (distribution === 'uniform') {
      const limit = Math.sqrt(3 * s);
      for (let i = 0; i < o.length; i++) o[i] = rng.uniform(-limit, limit);
    } else if (distribution === 'untruncated_normal') {
      const std = Math.sqrt(s);
      for (let i = 0; i < o.length; i++) o[i] = rng.normal(0, std);
    } else {
      // Keras divides by the stddev of a unit normal truncated at ±2, so the result has variance s.
      const std = Math.sqrt(s) / 0.87962566103423978;
      for (let i = 0; i < o.length; i++) o[i] = rng.truncatedNormal(0, std);
    }
  });
}

/**
 * Keras VarianceScaling with any settings: values of variance scale / n, n the fan-in, fan-out or their mean.
 * @example bp.initializers.varianceScaling({ scale: 2, mode: 'fan_out', distribution: 'uniform' })
 */
export function varianceScaling(
  config: {
    scale?: number;
    mode?: 'fan_in' | 'fan_out' | 'fan_avg';
    distribution?: 'normal' | 'truncated_normal' | 'untruncated_normal' | 'uniform';
    seed?: number | null;
  } = {},
): Initializer {
  const w = 'initializers.varianceScaling()';
  const scale = checkNum(w, 'scale', config.scale ?? 1);
  if (!(scale > 0)) throw new Error(`${w}: 'scale' must be > 0, got ${scale}`);
  const mode = String(config.mode ?? 'fan_in')
    .replace(/([A-Z])/g, '_$1')
    .toLowerCase();
  if (mode !== 'fan_in' && mode !== 'fan_out' && mode !== 'fan_avg') {
    throw new Error(`${w}: 'mode' must be 'fan_in', 'fan_out' or 'fan_avg', got ${preview(config.mode)}`);
  }
  const d = String(config.distribution ?? 'normal').toLowerCase();
  const dist = d === 'normal' ? 'truncated_normal' : d;
  if (dist !== 'truncated_normal' && dist !== 'untruncated_normal' && dist !== 'uniform') {
    throw new Error(
      `${w}: 'distribution' must be 'normal', 'truncated_normal', 'untruncated_normal' or 'uniform', got ` +
        preview(config.distribution),
    );
  }
  return varianceScalingAs('VarianceScaling', scale, mode, dist, config.seed ?? undefined);
}

const varianceScaled = (
  className: string,
  scale: number,
  mode: 'fan_in' | 'fan_avg',
  distribution: 'truncated_normal' | 'uniform',
  seed?: number,
): Initializer => varianceScalingAs(className, scale, mode, distribution, seed);

/** Glorot (Xavier) normal. @example bp.initializers.glorotNormal() */
export const glorotNormal = ({ seed }: { seed?: number } = {}): Initializer =>
  varianceScaled('GlorotNormal', 1, 'fan_avg', 'truncated_normal', seed);
/** Glorot (Xavier) uniform, limit √(6/(fanIn+fanOut)); the dense default. @example bp.initializers.glorotUniform() */
export const glorotUniform = ({ seed }: { seed?: number } = {}): Initializer =>
  varianceScaled('GlorotUniform', 1, 'fan_avg', 'uniform', seed);
/** He normal, for relu. @example bp.initializers.heNormal() */
export const heNormal = ({ seed }: { seed?: number } = {}): Initializer =>
  varianceScaled('HeNormal', 2, 'fan_in', 'truncated_normal', seed);
/** He uniform, limit √(6/fanIn). @example bp.initializers.heUniform() */
export const heUniform = ({ seed }: { seed?: number } = {}): Initializer =>
  varianceScaled('HeUniform', 2, 'fan_in', 'uniform', seed);
/** LeCun normal, for selu. @example bp.initializers.leCunNormal() */
export const leCunNormal = ({ seed }: { seed?: number } = {}): Initializer =>
  varianceScaled('LeCunNormal', 1, 'fan_in', 'truncated_normal', seed);
/** LeCun uniform, limit √(3/fanIn). @example bp.initializers.leCunUniform() */
export const leCunUniform = ({ seed }: { seed?: number } = {}): Initializer =>
  varianceScaled('LeCunUniform', 1, 'fan_in', 'uniform', seed);

/**
 * A (semi-)orthogonal matrix times `gain` (TF.js / Keras Orthogonal; the recurrent kernels' default): the
 * rows (or, for a tall matrix, the columns) of a standard normal draw, orthonormalised by Gram-Schmidt.
 * Shapes of rank > 2 are treated as [product of the leading axes, last axis], as Keras does.
 * @example bp.layers.lstm({ units: 32, recurrentInitializer: bp.initializers.orthogonal({ gain: 1 }) })
 */
export function orthogonal({ gain = 1, seed }: { gain?: number; seed?: number } = {}): Initializer {
  const w = 'initializers.orthogonal()';
  checkNum(w, 'gain', gain);
  return make('Orthogonal', { gain, seed: null }, checkSeed(w, seed), (o, shape, rng) => {
    if (shape.length < 2) throw new Error(`${w}: needs a weight of rank 2 or more, got shape [${shape}]`);
    const cols = shape[shape.length - 1];
    const rows = o.length / Math.max(1, cols);
    const short = Math.min(rows, cols),
      long = Math.max(rows, cols);
    const q = new Float64Array(short * long);
    for (let i = 0; i < q.length; i++) q[i] = rng.normal();
    // Modified Gram-Schmidt over the `short` rows of length `long`.
    for (let i = 0; i < short; i++) {
      const ri = i * long;
      for (let j = 0; j < i; j++) {
        const rj = j * long;
        let dot = 0;
        for (let k = 0; k < long; k++) dot += q[ri + k] * q[rj + k];
        for (let k = 0; k < long; k++) q[ri + k] -= dot * q[rj + k];
      }
      let norm = 0;
      for (let k = 0; k < long; k++) norm += q[ri + k] * q[ri + k];
      const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
      for (let k = 0; k < long; k++) q[ri + k] *= inv;
    }
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) o[r * cols + c] = gain * (rows <= cols ? q[r * cols + c] : q[c * rows + r]);
    }
  });
}

type Factory = (config: Record<string, unknown>) => Initializer;
const FACTORIES: Record<string, Factory> = {
  zeros,
  ones,
  constant,
  randomNormal,
  randomUniform,
  truncatedNormal,
  glorotNormal,
  glorotUniform,
  heNormal,
  heUniform,
  leCunNormal,
  leCunUniform,
  varianceScaling,
  // sequence models
  orthogonal,
};

/**
 * Every accepted spelling, normalised (underscores dropped, lower case), → canonical camelCase name, so
 * 'glorotUniform', 'glorot_uniform' and 'GlorotUniform' (and Keras' 'lecun_normal') all resolve.
 */
const norm = (k: string): string => k.replace(/_/g, '').toLowerCase();
const LOOKUP = new Map<string, string>(Object.keys(FACTORIES).map((k) => [norm(k), k]));
// Keras' short aliases.
LOOKUP.set('zero', 'zeros').set('one', 'ones').set('normal', 'randomNormal').set('uniform', 'randomUniform');

export const INITIALIZER_NAMES = Object.keys(FACTORIES);

/**
 * Resolves an initializer from a camelCase name ('glorotUniform'), a Keras name ('glorot_uniform'), a TF.js
 * class name ('GlorotUniform'), a `{ className, config }` object (TF.js serialised form, including
 * `VarianceScaling`), or an Initializer (returned as is). Unknown names throw, listing the valid ones.
 * @example getInitializer('he_normal').className // 'HeNormal'
 */
export function getInitializer(id: InitializerIdentifier): Initializer {
  if (id && typeof id === 'object' && typeof (id as Initializer).fill === 'function') return id as Initializer;
  let name: unknown = id;
  let config: Record<string, unknown> = {};
  if (id && typeof id === 'object') {
    const o = id as { className?: unknown; class_name?: unknown; config?: Record<string, unknown> | null };
    name = o.className ?? o.class_name;
    config = o.config && typeof o.config === 'object' ? o.config : {};
  }
  const key = typeof name === 'string' ? LOOKUP.get(norm(name)) : undefined;
  if (!key) {
    throw new Error(
      `unknown initializer ${preview(name ?? id)}; use one of ${INITIALIZER_NAMES.join(', ')} ` +
        `(or their snake_case / TF.js class names, e.g. 'glorot_uniform', 'GlorotUniform')`,
    );
  }
  return FACTORIES[key](config);
}
