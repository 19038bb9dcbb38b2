/**
 * Losses, mapped onto the backend's fused loss + gradient ops. Cross-entropies declare the activation
 * they fuse with: a softmax/sigmoid output followed by its cross-entropy is computed from the logits in
 * one stable kernel (the model switches to computeFromLogits automatically).
 */
import type { Backend, FloatArray } from '../backend/ops';
import type { Loss, Targets } from './contracts';
import { checkBoolean, checkKeys, checkNumber } from './options';
import { preview } from '../quote';

export type LossFunction = (yTrue: Float64Array, yPred: Float64Array, rows: number, cols: number) => number;
export type LossIdentifier = string | Loss | LossFunction | { className: string; config?: Record<string, unknown> };

const asFloat = (t: Targets, name: string): FloatArray => {
  if (t instanceof Int32Array)
    throw new Error(
      `${name}: expects a target matrix, got integer labels; use sparseCategoricalCrossentropy for labels`,
    );
  return t;
};

function simple(
  name: string,
  call: (b: Backend, p: FloatArray, t: FloatArray, g: FloatArray | null, r: number, c: number) => number,
  config: Record<string, unknown> = {},
): Loss {
  return {
    name,
    sparseTargets: false,
    compute: (b, y, t, g, r, c) => call(b, y, asFloat(t, name), g, r, c),
    getConfig: () => ({ ...config }),
  };
}

/** Mean squared error. @example model.compile({ optimizer: 'adam', loss: bp.losses.meanSquaredError() }) */
export function meanSquaredError(config?: Record<string, never>): Loss {
  checkKeys('losses.meanSquaredError()', config, []);
  return simple('meanSquaredError', (b, p, t, g, r, c) => b.meanSquaredError(p, t, g, r, c));
}
/** Mean absolute error. @example bp.losses.meanAbsoluteError() */
export function meanAbsoluteError(config?: Record<string, never>): Loss {
  checkKeys('losses.meanAbsoluteError()', config, []);
  return simple('meanAbsoluteError', (b, p, t, g, r, c) => b.meanAbsoluteError(p, t, g, r, c));
}
/** Huber loss: quadratic within `delta`, linear outside. @example bp.losses.huber({ delta: 1 }) */
export function huber(config: { delta?: number } = {}): Loss {
  checkKeys('losses.huber()', config, ['delta']);
  const delta = checkNumber('losses.huber()', 'delta', config.delta, { min: 0, minExclusive: true }, 1);
  return simple('huber', (b, p, t, g, r, c) => b.huber(p, t, g, r, c, delta), { delta });
}

/**
 * Binary cross-entropy, from probabilities or (`fromLogits`) from logits.
 * @example bp.losses.binaryCrossentropy({ fromLogits: true })
 */
export function binaryCrossentropy(config: { fromLogits?: boolean } = {}): Loss {
  checkKeys('losses.binaryCrossentropy()', config, ['fromLogits']);
  const fromLogits = checkBoolean('losses.binaryCrossentropy()', 'fromLogits', config.fromLogits, false);
  const name = 'binaryCrossentropy';
  const logits = (b: Backend, z: FloatArray, t: Targets, g: FloatArray | null, r: number, c: number) =>
    b.sigmoidCrossEntropyWithLogits(z, asFloat(t, name), g, r, c);
  if (fromLogits) return { name, sparseTargets: false, compute: logits, getConfig: () => ({ fromLogits }) };
  return {
    name,
    sparseTargets: false,
    fusedActivation: 'sigmoid',
    compute: (b, y, t, g, r, c) => b.binaryCrossentropy(y, asFloat(t, name), g, r, c),
    computeFromLogits: logits,
    getConfig: () => ({ fromLogits }),
  };
}

/**
 * Categorical cross-entropy against one-hot (or soft) targets, from probabilities or logits.
 * @example bp.losses.categoricalCrossentropy()
 */
export function categoricalCrossentropy(config: { fromLogits?: boolean } = {}): Loss {
  checkKeys('losses.categoricalCrossentropy()', config, ['fromLogits']);
  const fromLogits = checkBoolean('losses.categoricalCrossentropy()', 'fromLogits', config.fromLogits, false);
  const name = 'categoricalCrossentropy';
  const logits = (b: Backend, z: FloatArray, t: Targets, g: FloatArray | null, r: number, c: number) =>
    b.softmaxCrossEntropy(z, asFloat(t, name), g, r, c);
  if (fromLogits) return { name, sparseTargets: false, compute: logits, getConfig: () => ({ fromLogits }) };
  return {
    name,
    sparseTargets: false,
    fusedActivation: 'softmax',
    compute: (b, y, t, g, r, c) => b.categoricalCrossentropy(y, asFloat(t, name), g, r, c),
    computeFromLogits: logits,
    getConfig: () => ({ fromLogits }),
  };
}

/** Clamp bounds shared with the backend's probability losses (Keras' epsilon). */
const EPS = 1e-7;

/**
 * Categorical cross-entropy against integer class labels (an Int32Array of class indices, one per row).
 * From probabilities (the default) it is mean over rows of -log(clamp(p[label], 1e-7, 1 - 1e-7)); after a
 * softmax layer the model uses the fused, stable softmaxCrossEntropySparse on the logits instead.
 * @example model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] })
 */
export function sparseCategoricalCrossentropy(config: { fromLogits?: boolean } = {}): Loss {
  checkKeys('losses.sparseCategoricalCrossentropy()', config, ['fromLogits']);
  const fromLogits = checkBoolean('losses.sparseCategoricalCrossentropy()', 'fromLogits', config.fromLogits, false);
  const name = 'sparseCategoricalCrossentropy';
  const labels = (t: Targets, rows: number, cols: number): Int32Array => {
    if (!(t instanceof Int32Array))
      throw new Error(`${name}: expects integer class labels (Int32Array), got ${t?.constructor?.name}`);
    if (t.length !== rows) throw new RangeError(`${name}: 'labels' has length ${t.length} but rows = ${rows}`);
    for (let i = 0; i < rows; i++) {
      if (!(t[i] >= 0 && t[i] < cols))
        throw new RangeError(`${name}: label ${t[i]} in row ${i} is outside [0, ${cols})`);
    }
    return t;
  };
  const logits = (b: Backend, z: FloatArray, t: Targets, g: FloatArray | null, r: number, c: number) => {
    if (!(t instanceof Int32Array))
      throw new Error(`${name}: expects integer class labels (Int32Array), got ${t?.constructor?.name}`);
    return b.softmaxCrossEntropySparse(z, t, g, r, c); // the backend validates the labels itself
  };
  if (fromLogits) return { name, sparseTargets: true, compute: logits, getConfig: () => ({ fromLogits }) };

  // p[label] of each row, saved before the gradient is written: `grad` may alias `y` (the backend
  // convention), and zeroing it first would destroy the probabilities. Grown only when a batch has more
  // rows than any before, so steady-state training allocates nothing here.
  let picked = new Float64Array(0);
  return {
    name,
    sparseTargets: true,
    fusedActivation: 'softmax',
    compute: (_b, y, t, g, r, c) => {
      const lab = labels(t, r, c);
      if (y.length !== r * c) throw new RangeError(`${name}: 'pred' has length ${y.length} but rows*cols = ${r * c}`);
      if (g && g.length !== r * c)
        throw new RangeError(`${name}: 'grad' has length ${g.length} but rows*cols = ${r * c}`);
      if (picked.length < r) picked = new Float64Array(r);
      let s = 0;
      for (let i = 0; i < r; i++) {
        const p = y[i * c + lab[i]];
        picked[i] = p;
        s -= Math.log(Math.min(Math.max(p, EPS), 1 - EPS));
      }
      if (g) {
        g.fill(0);
        // d/dp of -log(clamp(p)): -1/p inside the clamp range, 0 outside (the clamp's derivative, as Keras).
        for (let i = 0; i < r; i++) {
          const p = picked[i];
          if (p > EPS && p < 1 - EPS) g[i * c + lab[i]] = -1 / p / r;
        }
      }
      return r ? s / r : 0;
    },
    computeFromLogits: logits,
    getConfig: () => ({ fromLogits }),
  };
}

/**
 * A loss from your own function of (yTrue, yPred, rows, cols) → loss (use the mean over the batch, as the
 * built-in losses do). Its gradient is taken by central finite differences with step h = 1e-4·max(1, |p|):
 * 2 extra calls of `fn` per output element per training step, so it is SLOW — fine for prototyping on
 * small outputs; write the loss with backend ops for anything large. The arrays are reused between calls:
 * do not keep references to them.
 * @example bp.losses.customLoss((t, p) => p.reduce((s, v, i) => s + (v - t[i]) ** 4, 0) / p.length)
 */
export function customLoss(fn: LossFunction, name = fn.name || 'customLoss'): Loss {
  if (typeof fn !== 'function')
    throw new Error('losses.customLoss(): expected a function (yTrue, yPred, rows, cols) => number');
  // Float64 copies handed to `fn`: storage grows only when needed; the views are remade only when the
  // batch size changes (e.g. the last, shorter batch of an epoch), so steady state allocates nothing.
  let store = new Float64Array(0);
  let yt = new Float64Array(0),
    yp = new Float64Array(0);
  return {
    name,
    custom: true,
    sparseTargets: false,
    compute: (_b, y, t, g, r, c) => {
      const n = r * c;
      const tf = asFloat(t, name);
      if (y.length !== n || tf.length !== n)
        throw new RangeError(
          `customLoss '${name}': expected ${n} = rows*cols predictions and targets, got ${y.length} and ${tf.length}`,
        );
      if (yt.length !== n) {
        if (store.length < 2 * n) store = new Float64Array(2 * n);
        yt = store.subarray(0, n);
        yp = store.subarray(n, 2 * n);
      }
      for (let i = 0; i < n; i++) {
        yt[i] = tf[i];
        yp[i] = y[i];
      }
      const value = fn(yt, yp, r, c);
      if (typeof value !== 'number' || Number.isNaN(value))
        throw new Error(`customLoss '${name}' returned ${value}; it must return a number`);
      if (g) {
        for (let i = 0; i < n; i++) {
          const v = yp[i],
            h = 1e-4 * Math.max(1, Math.abs(v));
          yp[i] = v + h;
          const a = fn(yt, yp, r, c);
          yp[i] = v - h;
          const bb = fn(yt, yp, r, c);
          yp[i] = v;
          g[i] = (a - bb) / (2 * h);
        }
      }
      return value;
    },
    getConfig: () => ({}),
  };
}

/** The loss registry: canonical camelCase name → factory taking the loss's config. */
const FACTORIES: Record<string, (config?: Record<string, unknown>) => Loss> = {
  meanSquaredError,
  meanAbsoluteError,
  huber,
  binaryCrossentropy,
  categoricalCrossentropy,
  sparseCategoricalCrossentropy,
} as Record<string, (config?: Record<string, unknown>) => Loss>;

/** Every accepted spelling, normalised (underscores dropped, lower case) → canonical name. */
const LOOKUP = new Map<string, string>(Object.keys(FACTORIES).map((k) => [k.toLowerCase(), k]));
for (const [alias, name] of [
  ['mse', 'meanSquaredError'],
  ['mae', 'meanAbsoluteError'],
  ['huberloss', 'huber'],
  ['bce', 'binaryCrossentropy'],
  ['cce', 'categoricalCrossentropy'],
] as const) {
  LOOKUP.set(alias, name);
}

/** The canonical loss names getLoss accepts (plus their snake_case forms and the short aliases). */
export const LOSS_NAMES = Object.keys(FACTORIES);

/**
 * Resolves a loss from a camelCase or snake_case name ('meanSquaredError', 'mean_squared_error', 'mse'),
 * a saved `{ className, config }` (e.g. `{ className: 'huber', config: { delta: 2 } }`), a Loss (returned as
 * is), or a function (wrapped by customLoss). Unknown names and options throw, listing the valid ones.
 * @example getLoss('categorical_crossentropy').name // 'categoricalCrossentropy'
 */
export function getLoss(id: LossIdentifier): Loss {
  if (typeof id === 'function') return customLoss(id);
  if (id && typeof id === 'object' && typeof (id as Loss).compute === 'function') return id as Loss;
  let name: unknown = id;
  let config: unknown;
  if (id && typeof id === 'object') ({ className: name, config } = id as { className?: unknown; config?: unknown });
  const key = typeof name === 'string' ? LOOKUP.get(name.replace(/_/g, '').toLowerCase()) : undefined;
  if (!key) {
    throw new Error(
      `unknown loss ${preview(name ?? null)}; use one of ${LOSS_NAMES.join(', ')} (or mse, mae), ` +
        'a Loss, or a function',
    );
  }
  return FACTORIES[key]((config ?? {}) as Record<string, unknown>);
}

/** `{ className, config }` of a built-in loss; null for a custom function loss (it cannot be saved). */
export function serializeLoss(loss: Loss): { className: string; config: Record<string, unknown> } | null {
  if (loss.custom || !Object.prototype.hasOwnProperty.call(FACTORIES, loss.name)) return null;
  return { className: loss.name, config: loss.getConfig() };
}
