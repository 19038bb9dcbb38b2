/**
 * Weight initializers with TF.js semantics, all drawing from the model's seeded RNG. Kernel shapes are
 * [in, out], so fanIn = in and fanOut = out (as Keras computes them for dense kernels).
 */
import type { FloatArray } from '../backend/ops';
import type { Rng } from '../random';
import type { Initializer } from './contracts';

export type InitializerIdentifier = string | Initializer | { className: string; config?: Record<string, unknown> };

function fans(shape: number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 2) return { fanIn: shape[0], fanOut: shape[1] };
  if (shape.length === 1) return { fanIn: shape[0], fanOut: shape[0] };
  const n = shape.reduce((a, b) => a * b, 1);
  return { fanIn: Math.sqrt(n), fanOut: Math.sqrt(n) };
}

function make(className: string, config: Record<string, unknown>, fill: (out: FloatArray, shape: number[], rng: Rng) => void): Initializer {
  return { className, fill, getConfig: () => ({ ...config }) };
}

/** All zeros. @example bp.initializers.zeros() */
export const zeros = (): Initializer => make('Zeros', {}, (o) => o.fill(0));
/** All ones. @example bp.initializers.ones() */
export const ones = (): Initializer => make('Ones', {}, (o) => o.fill(1));
/** A constant. @example bp.initializers.constant({ value: 0.1 }) */
export const constant = ({ value = 0 }: { value?: number } = {}): Initializer => make('Constant', { value }, (o) => o.fill(value));

/** Normal(mean, stddev). @example bp.initializers.randomNormal({ stddev: 0.1 }) */
export const randomNormal = ({ mean = 0, stddev = 0.05 }: { mean?: number; stddev?: number; seed?: number } = {}): Initializer =>
  make('RandomNormal', { mean, stddev, seed: null }, (o, _s, rng) => { for (let i = 0; i < o.length; i++) o[i] = rng.normal(mean, stddev); });
/** Uniform(minval, maxval). @example bp.initializers.randomUniform({ minval: -0.1, maxval: 0.1 }) */
export const randomUniform = ({ minval = -0.05, maxval = 0.05 }: { minval?: number; maxval?: number; seed?: number } = {}): Initializer =>
  make('RandomUniform', { minval, maxval, seed: null }, (o, _s, rng) => { for (let i = 0; i < o.length; i++) o[i] = rng.uniform(minval, maxval); });
/** Normal truncated at two standard deviations. @example bp.initializers.truncatedNormal({ stddev: 0.1 }) */
export const truncatedNormal = ({ mean = 0, stddev = 0.05 }: { mean?: number; stddev?: number; seed?: number } = {}): Initializer =>
  make('TruncatedNormal', { mean, stddev, seed: null }, (o, _s, rng) => { for (let i = 0; i < o.length; i++) o[i] = rng.truncatedNormal(mean, stddev); });

/** Keras VarianceScaling: the common core of glorot/he/leCun. */
function varianceScaling(className: string, scale: number, mode: 'fan_in' | 'fan_out' | 'fan_avg', distribution: 'truncated_normal' | 'uniform'): Initializer {
  return make(className, { scale, mode, distribution: distribution === 'uniform' ? 'uniform' : 'normal', seed: null }, (o, shape, rng) => {
    const { fanIn, fanOut } = fans(shape);
    const n = mode === 'fan_in' ? fanIn : mode === 'fan_out' ? fanOut : (fanIn + fanOut) / 2;
    const s = scale / Math.max(1, n);
    if (distribution === 'uniform') {
      const limit = Math.sqrt(3 * s);
      for (let i = 0; i < o.length; i++) o[i] = rng.uniform(-limit, limit);
    } else {
      // Keras divides by the stddev of a unit normal truncated at ±2, so the result has variance s.
      const std = Math.sqrt(s) / 0.87962566103423978;
      for (let i = 0; i < o.length; i++) o[i] = rng.truncatedNormal(0, std);
    }
  });
}
/** Glorot (Xavier) normal. @example bp.initializers.glorotNormal() */
export const glorotNormal = (_a: { seed?: number } = {}): Initializer => varianceScaling('GlorotNormal', 1, 'fan_avg', 'truncated_normal');
/** Glorot (Xavier) uniform, limit √(6/(fanIn+fanOut)); the dense default. @example bp.initializers.glorotUniform() */
export const glorotUniform = (_a: { seed?: number } = {}): Initializer => varianceScaling('GlorotUniform', 1, 'fan_avg', 'uniform');
/** He normal, for relu. @example bp.initializers.heNormal() */
export const heNormal = (_a: { seed?: number } = {}): Initializer => varianceScaling('HeNormal', 2, 'fan_in', 'truncated_normal');
/** He uniform, limit √(6/fanIn). @example bp.initializers.heUniform() */
export const heUniform = (_a: { seed?: number } = {}): Initializer => varianceScaling('HeUniform', 2, 'fan_in', 'uniform');
/** LeCun normal, for selu. @example bp.initializers.leCunNormal() */
export const leCunNormal = (_a: { seed?: number } = {}): Initializer => varianceScaling('LeCunNormal', 1, 'fan_in', 'truncated_normal');
/** LeCun uniform, limit √(3/fanIn). @example bp.initializers.leCunUniform() */
export const leCunUniform = (_a: { seed?: number } = {}): Initializer => varianceScaling('LeCunUniform', 1, 'fan_in', 'uniform');

const FACTORIES: Record<string, (config: Record<string, unknown>) => Initializer> = {
  zeros, ones, constant, randomNormal, randomUniform, truncatedNormal,
  glorotNormal, glorotUniform, heNormal, heUniform, leCunNormal, leCunUniform,
};

function canonical(name: string): string | undefined {
  const key = name.replace(/_/g, '').toLowerCase();
  return Object.keys(FACTORIES).find((k) => k.toLowerCase() === key);
}

/**
 * Resolves an initializer from a camelCase name ('glorotUniform'), a Keras name ('glorot_uniform'), a TF.js
 * class name ('GlorotUniform'), a `{ className, config }` object, or an Initializer.
 */
export function getInitializer(id: InitializerIdentifier): Initializer {
  if (id && typeof id === 'object' && 'fill' in id && typeof id.fill === 'function') return id;
  const name = typeof id === 'string' ? id : id && typeof id === 'object' ? (id as { className: string }).className : undefined;
  const key = typeof name === 'string' ? canonical(name) : undefined;
  if (!key) throw new Error(`unknown initializer ${JSON.stringify(name ?? id)}; use one of ${Object.keys(FACTORIES).join(', ')}`);
  const config = typeof id === 'object' ? ((id as { config?: Record<string, unknown> }).config ?? {}) : {};
  return FACTORIES[key](config);
}
