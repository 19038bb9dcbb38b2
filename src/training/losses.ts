/**
 * Losses, mapped onto the backend's fused loss + gradient ops. Cross-entropies declare the activation
 * they fuse with: a softmax/sigmoid output followed by its cross-entropy is computed from the logits in
 * one stable kernel (the model switches to computeFromLogits automatically).
 */
import type { Backend, FloatArray } from '../backend/ops';
import type { Loss, Targets } from './contracts';

export type LossFunction = (yTrue: Float64Array, yPred: Float64Array, rows: number, cols: number) => number;
export type LossIdentifier = string | Loss | LossFunction;

const asFloat = (t: Targets, name: string): FloatArray => {
  if (t instanceof Int32Array) throw new Error(`${name}: expects a target matrix, got integer labels; use sparseCategoricalCrossentropy for labels`);
  return t;
};

function simple(name: string, call: (b: Backend, p: FloatArray, t: FloatArray, g: FloatArray | null, r: number, c: number) => number,
  config: Record<string, unknown> = {}): Loss {
  return {
    name, sparseTargets: false,
    compute: (b, y, t, g, r, c) => call(b, y, asFloat(t, name), g, r, c),
    getConfig: () => ({ ...config }),
  };
}

/** Mean squared error. @example model.compile({ optimizer: 'adam', loss: bp.losses.meanSquaredError() }) */
export const meanSquaredError = (): Loss => simple('meanSquaredError', (b, p, t, g, r, c) => b.meanSquaredError(p, t, g, r, c));
/** Mean absolute error. @example bp.losses.meanAbsoluteError() */
export const meanAbsoluteError = (): Loss => simple('meanAbsoluteError', (b, p, t, g, r, c) => b.meanAbsoluteError(p, t, g, r, c));
/** Huber loss: quadratic within `delta`, linear outside. @example bp.losses.huber({ delta: 1 }) */
export function huber({ delta = 1 }: { delta?: number } = {}): Loss {
  if (!(delta > 0)) throw new Error(`losses.huber(): 'delta' must be > 0, got ${delta}`);
  return simple('huber', (b, p, t, g, r, c) => b.huber(p, t, g, r, c, delta), { delta });
}

/**
 * Binary cross-entropy, from probabilities or (`fromLogits`) from logits.
 * @example bp.losses.binaryCrossentropy({ fromLogits: true })
 */
export function binaryCrossentropy({ fromLogits = false }: { fromLogits?: boolean } = {}): Loss {
  const name = 'binaryCrossentropy';
  const logits = (b: Backend, z: FloatArray, t: Targets, g: FloatArray | null, r: number, c: number) => b.sigmoidCrossEntropyWithLogits(z, asFloat(t, name), g, r, c);
  if (fromLogits) return { name, sparseTargets: false, compute: logits, getConfig: () => ({ fromLogits }) };
  return {
    name, sparseTargets: false, fusedActivation: 'sigmoid',
    compute: (b, y, t, g, r, c) => b.binaryCrossentropy(y, asFloat(t, name), g, r, c),
    computeFromLogits: logits,
    getConfig: () => ({ fromLogits }),
  };
}

/**
 * Categorical cross-entropy against one-hot (or soft) targets, from probabilities or logits.
 * @example bp.losses.categoricalCrossentropy()
 */
export function categoricalCrossentropy({ fromLogits = false }: { fromLogits?: boolean } = {}): Loss {
  const name = 'categoricalCrossentropy';
  const logits = (b: Backend, z: FloatArray, t: Targets, g: FloatArray | null, r: number, c: number) => b.softmaxCrossEntropy(z, asFloat(t, name), g, r, c);
  if (fromLogits) return { name, sparseTargets: false, compute: logits, getConfig: () => ({ fromLogits }) };
  return {
    name, sparseTargets: false, fusedActivation: 'softmax',
    compute: (b, y, t, g, r, c) => b.categoricalCrossentropy(y, asFloat(t, name), g, r, c),
    computeFromLogits: logits,
    getConfig: () => ({ fromLogits }),
  };
}

/**
 * Categorical cross-entropy against integer class labels (Int32Array / number[]).
 * @example model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] })
 */
export function sparseCategoricalCrossentropy({ fromLogits = false }: { fromLogits?: boolean } = {}): Loss {
  const name = 'sparseCategoricalCrossentropy';
  const labels = (t: Targets): Int32Array => {
    if (!(t instanceof Int32Array)) throw new Error(`${name}: expects integer class labels (Int32Array)`);
    return t;
  };
  const logits = (b: Backend, z: FloatArray, t: Targets, g: FloatArray | null, r: number, c: number) => b.softmaxCrossEntropySparse(z, labels(t), g, r, c);
  if (fromLogits) return { name, sparseTargets: true, compute: logits, getConfig: () => ({ fromLogits }) };
  return {
    name, sparseTargets: true, fusedActivation: 'softmax',
    // From probabilities (no fused softmax before it): -log(clamp(p[label])), gradient at the label only.
    compute: (_b, y, t, g, r, c) => {
      const lab = labels(t);
      if (g) g.fill(0);
      let s = 0;
      for (let i = 0; i < r; i++) {
        const p = y[i * c + lab[i]];
        const pc = Math.min(Math.max(p, 1e-7), 1 - 1e-7);
        s -= Math.log(pc);
        if (g && p > 1e-7 && p < 1 - 1e-7) g[i * c + lab[i]] = -1 / pc / r;
      }
      return r ? s / r : 0;
    },
    computeFromLogits: logits,
    getConfig: () => ({ fromLogits }),
  };
}

/**
 * A loss from your own function of (yTrue, yPred) → mean loss. Its gradient is taken by central finite
 * differences (2 evaluations per output element per step): fine for small outputs, slow for large ones.
 * @example bp.losses.customLoss((t, p) => p.reduce((s, v, i) => s + (v - t[i]) ** 4, 0) / p.length)
 */
export function customLoss(fn: LossFunction, name = fn.name || 'customLoss'): Loss {
  if (typeof fn !== 'function') throw new Error('losses.customLoss(): expected a function (yTrue, yPred, rows, cols) => number');
  let yt = new Float64Array(0), yp = new Float64Array(0);
  return {
    name, sparseTargets: false,
    compute: (_b, y, t, g, r, c) => {
      const n = r * c;
      if (yt.length !== n) { yt = new Float64Array(n); yp = new Float64Array(n); }
      const tf = asFloat(t, name);
      for (let i = 0; i < n; i++) { yt[i] = tf[i]; yp[i] = y[i]; }
      const value = fn(yt, yp, r, c);
      if (typeof value !== 'number' || Number.isNaN(value)) throw new Error(`customLoss '${name}' returned ${value}; it must return a number`);
      if (g) {
        for (let i = 0; i < n; i++) {
          const v = yp[i], h = 1e-4 * Math.max(1, Math.abs(v));
          yp[i] = v + h; const a = fn(yt, yp, r, c);
          yp[i] = v - h; const bb = fn(yt, yp, r, c);
          yp[i] = v;
          g[i] = (a - bb) / (2 * h);
        }
      }
      return value;
    },
    getConfig: () => ({}),
  };
}

const FACTORIES: Record<string, () => Loss> = {
  meanSquaredError, meanAbsoluteError, huber, binaryCrossentropy, categoricalCrossentropy, sparseCategoricalCrossentropy,
};
const ALIASES: Record<string, string> = {
  mse: 'meanSquaredError', mae: 'meanAbsoluteError', huberloss: 'huber', bce: 'binaryCrossentropy', cce: 'categoricalCrossentropy',
};

/**
 * Resolves a loss from a camelCase or snake_case name ('meanSquaredError', 'mean_squared_error', 'mse'),
 * a Loss, or a function (see customLoss).
 */
export function getLoss(id: LossIdentifier): Loss {
  if (typeof id === 'function') return customLoss(id);
  if (id && typeof id === 'object' && typeof (id as Loss).compute === 'function') return id as Loss;
  if (typeof id === 'string') {
    const key = id.replace(/_/g, '').toLowerCase();
    const name = Object.keys(FACTORIES).find((k) => k.toLowerCase() === key) ?? ALIASES[key];
    if (name) return FACTORIES[name]();
  }
  throw new Error(`unknown loss ${JSON.stringify(id)}; use one of ${Object.keys(FACTORIES).join(', ')} (or mse, mae), a Loss, or a function`);
}
