/**
 * Hyperparameter sweeps: every combination of a grid of values applied to a base job spec, run across the
 * queue's workers, ranked by a metric of the last epoch.
 */
import type { JobSpec } from './options';
import type { JobQueue } from './queue';
import type { QueuedJob, QueuedJobResult } from './queued-job';

export interface SweepSpec {
  /** The job spec every run starts from. */
  base: JobSpec;
  /**
   * Dotted paths into the spec and the values to try, e.g. { 'fit.batchSize': [32, 64],
   * 'compile.optimizer.learningRate': [1e-3, 1e-2] }. Paths not found at the top of the spec are read
   * inside `model` ('compile.…', 'layers.0.config.units'); a string optimizer becomes { name, … }.
   */
  grid: Record<string, unknown[]>;
  /** The history key to rank by, e.g. 'val_loss' or 'val_accuracy'. */
  metric: string;
  /** 'min' or 'max' (default: 'max' for accuracy-like metrics, else 'min'). */
  mode?: 'min' | 'max';
}

export interface SweepRun {
  /** The grid values of this run, by path. */
  params: Record<string, unknown>;
  id: string;
  status: 'completed' | 'failed' | 'cancelled';
  /** The metric at the last epoch (undefined for a failed run). */
  value?: number;
  modelPath?: string;
  error?: string;
}

export interface SweepResult {
  /** Every run, best first; failed runs last. */
  runs: SweepRun[];
  best?: SweepRun;
  /** The store path of the best run's model. */
  bestModelPath?: string;
  metric: string;
  mode: 'min' | 'max';
}

/** Most runs a sweep may have. */
export const MAX_SWEEP_RUNS = 1000;
const SPEC_TOP = new Set(['model', 'data', 'fit', 'checkpointEvery', 'seed', 'timeLimitMs', 'maxParameters']);
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/** A deep copy of plain JSON. */
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** Sets `value` at a dotted path in `spec` (paths outside the spec's top keys go into `model`). */
function setPath(spec: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  if (parts.some((p) => p === '' || FORBIDDEN.has(p))) throw new Error(`sweep(): bad grid path '${dotted}'`);
  if (!SPEC_TOP.has(parts[0])) parts.unshift('model');
  let node: Record<string, unknown> = spec;
  for (let i = 0; i < parts.length - 1; i++) {
    let next = node[parts[i]];
    if (typeof next === 'string' && parts[i] === 'optimizer') next = { name: next }; // 'adam' → { name: 'adam' }
    if (next === undefined) next = {};
    if (!next || typeof next !== 'object')
      throw new Error(`sweep(): grid path '${dotted}' goes through '${parts[i]}', which is not an object`);
    node[parts[i]] = next;
    node = next as Record<string, unknown>;
  }
  node[parts.at(-1)!] = value;
}

/** Every combination of the grid, as { params, spec }. */
export function expandGrid(s: SweepSpec): { params: Record<string, unknown>; spec: JobSpec }[] {
  if (!s || typeof s !== 'object') throw new Error('sweep(): expected { base, grid, metric }');
  if (!s.base || typeof s.base !== 'object') throw new Error(`sweep(): 'base' must be a job spec`);
  if (!s.grid || typeof s.grid !== 'object' || Array.isArray(s.grid))
    throw new Error(`sweep(): 'grid' must map dotted paths to arrays of values`);
  const entries = Object.entries(s.grid);
  if (!entries.length) throw new Error(`sweep(): 'grid' is empty`);
  let count = 1;
  for (const [k, v] of entries) {
    if (!Array.isArray(v) || v.length === 0) throw new Error(`sweep(): grid '${k}' must be a non-empty array`);
    count *= v.length;
    if (count > MAX_SWEEP_RUNS) throw new Error(`sweep(): the grid has more than ${MAX_SWEEP_RUNS} combinations`);
  }
  const out: { params: Record<string, unknown>; spec: JobSpec }[] = [{ params: {}, spec: clone(s.base) }];
  for (const [path, values] of entries) {
    const next: typeof out = [];
    for (const run of out)
      for (const v of values) {
        const spec = clone(run.spec) as unknown as Record<string, unknown>;
        setPath(spec, path, v);
        next.push({ params: { ...run.params, [path]: v }, spec: spec as unknown as JobSpec });
      }
    out.splice(0, out.length, ...next);
  }
  return out;
}

const higherIsBetter = (metric: string) => /acc|auc|precision|recall|f1/i.test(metric);

/**
 * Runs every combination of `grid` on `base` through the queue and ranks the runs by `metric` at their last
 * epoch. Every spec is checked before any is queued: one bad combination queues nothing.
 * @example
 * const { runs, bestModelPath } = await bp.jobs.sweep(
 *   {
 *     base: spec,
 *     grid: { 'fit.batchSize': [32, 64], 'compile.optimizer.learningRate': [1e-3, 1e-2] },
 *     metric: 'val_loss',
 *   },
 *   { queue },
 * );
 */
export async function sweep(s: SweepSpec, { queue }: { queue: JobQueue }): Promise<SweepResult> {
  const runs = expandGrid(s);
  if (typeof s.metric !== 'string' || s.metric === '') throw new Error(`sweep(): 'metric' must name a history key`);
  if (s.mode !== undefined && s.mode !== 'min' && s.mode !== 'max')
    throw new Error(`sweep(): 'mode' is 'min' or 'max'`);
  const mode = s.mode ?? (higherIsBetter(s.metric) ? 'max' : 'min');
  if (!queue || typeof queue.train !== 'function') throw new Error('sweep(): { queue } must be a bp.jobs.queue');
  for (const r of runs) await queue.check(r.spec, `sweep(): the run with ${JSON.stringify(r.params)}`);
  const jobs: QueuedJob[] = runs.map((r) => queue.train(r.spec));
  const settled = await Promise.allSettled(jobs.map((j) => j.result));
  const results: SweepRun[] = settled.map((o, i) => {
    const base = { params: runs[i].params, id: jobs[i].id };
    if (o.status === 'rejected')
      return { ...base, status: jobs[i].status === 'cancelled' ? 'cancelled' : 'failed', error: o.reason.message };
    const r: QueuedJobResult = o.value;
    const series = r.history[s.metric];
    if (!series?.length)
      return {
        ...base,
        status: 'failed',
        modelPath: r.modelPath,
        error: `no '${s.metric}' in the history (keys: ${Object.keys(r.history).join(', ')})`,
      };
    return { ...base, status: r.cancelled ? 'cancelled' : 'completed', value: series.at(-1), modelPath: r.modelPath };
  });
  const score = (r: SweepRun) =>
    r.status !== 'completed' || r.value === undefined || !Number.isFinite(r.value)
      ? Infinity
      : mode === 'min'
        ? r.value
        : -r.value;
  results.sort((a, b) => score(a) - score(b));
  const best = results[0]?.status === 'completed' && results[0].value !== undefined ? results[0] : undefined;
  return { runs: results, best, bestModelPath: best?.modelPath, metric: s.metric, mode };
}
