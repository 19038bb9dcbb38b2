/**
 * compile()'s per-output settings: a loss (and metrics, and a loss weight) for every output, given once for all,
 * as an array in the order of `model.outputs`, or as an object keyed by output name (TF.js takes losses and
 * metrics this way; `lossWeights` is Keras'). An output missing from an object gets no loss: it is predicted but
 * not trained.
 */
import type { Loss } from '../training/contracts';
import { getLoss, type LossIdentifier } from '../training/losses';
import { checkMetricNames } from '../training/metrics';

export type PerOutput<T> = T | T[] | Record<string, T>;

export interface OutputSettings {
  losses: (Loss | undefined)[];
  metrics: string[][];
  weights: number[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** A loss identifier object (`{ className, config }`, a Loss) is one loss, not a per-output map. */
function isLossObject(v: Record<string, unknown>): boolean {
  return 'className' in v || typeof v.compute === 'function';
}

function byOutput<T>(
  what: string,
  value: unknown,
  names: readonly string[],
  isOne: (v: unknown) => boolean,
): (T | undefined)[] {
  if (isRecord(value) && !isOne(value)) {
    for (const k of Object.keys(value)) {
      if (!names.includes(k)) {
        throw new Error(
          `compile(): '${what}' names an output '${k.slice(0, 64)}' the model does not have; its outputs are ` +
            names.map((n) => `'${n}'`).join(', '),
        );
      }
    }
    return names.map((n) => value[n] as T | undefined);
  }
  if (Array.isArray(value) && !isOne(value)) {
    if (value.length !== names.length) {
      throw new Error(
        `compile(): '${what}' has ${value.length} entries but the model has ${names.length} outputs ` +
          `(${names.map((n) => `'${n}'`).join(', ')})`,
      );
    }
    return value as T[];
  }
  return names.map(() => value as T);
}

/** Checks compile's loss, metrics and lossWeights against the outputs `names`. */
export function outputSettings(
  names: readonly string[],
  loss: unknown,
  metrics: unknown,
  lossWeights: unknown,
): OutputSettings {
  const single = names.length === 1;
  const losses = byOutput<LossIdentifier>('loss', loss, names, (v) => {
    if (typeof v === 'string' || typeof v === 'function') return true;
    if (Array.isArray(v)) return single && v.length !== 1;
    return isRecord(v) && isLossObject(v);
  }).map((id, o) => {
    if (id === undefined || id === null) return undefined;
    try {
      return getLoss(id);
    } catch (e) {
      throw new Error(single ? (e as Error).message : `output '${names[o]}': ${(e as Error).message}`);
    }
  });
  if (losses.every((l) => l === undefined)) {
    throw new Error(`compile(): 'loss' is required, e.g. compile({ optimizer: 'adam', loss: 'meanSquaredError' })`);
  }
  // metrics: ['accuracy'] applies to every output; [['accuracy'], ['mse']] or { cls: ['accuracy'] } per output.
  const perOutputMetrics =
    isRecord(metrics) || (Array.isArray(metrics) && metrics.length > 0 && metrics.every((m) => Array.isArray(m)));
  const metricLists = perOutputMetrics
    ? byOutput<unknown>('metrics', metrics, names, () => false)
    : names.map(() => metrics);
  const checkedMetrics = metricLists.map((m, o) => {
    const where = single ? 'compile()' : `compile(): output '${names[o]}'`;
    const list = checkMetricNames(where, m === undefined || m === null ? undefined : m);
    if (list.length > 0 && !losses[o]) throw new Error(`${where}: metrics need a loss for that output`);
    return list;
  });
  const weightList =
    lossWeights === undefined || lossWeights === null
      ? names.map(() => 1)
      : byOutput<number>('lossWeights', lossWeights, names, (v) => typeof v === 'number').map((w) => w ?? 1);
  weightList.forEach((w, o) => {
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) {
      throw new Error(
        `compile(): 'lossWeights' for output '${names[o]}' must be a finite number >= 0, got ${String(w)}`,
      );
    }
  });
  return { losses, metrics: checkedMetrics, weights: weightList };
}
