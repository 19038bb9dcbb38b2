/**
 * The checks every training job passes before it runs, wherever it runs: bp.jobs.train (in this process),
 * queue.train (before it is queued) and the queue worker (again, since anyone who can write to Redis can
 * queue a job). One function, so the three can never disagree.
 */
import { getLimits } from '../limits';
import { checkModelSpec, functionalSpecModel, isFunctionalSpec, type ModelSpec as Spec } from '../model-spec';
import { isMappedData, prepareData } from './data';
import { signatureOf, type ModelSignature } from './data-map';
import { specDigest } from './checkpoint-record';
import type { TrainJobOptions } from './options';
import type { ModelSpec, StartMessage } from './protocol';

/** The start message of a job, minus what the pool adds (id, cancel flag). */
export type CheckedStart = Omit<StartMessage, 'cancelFlag' | 'id' | 'type'>;

const FIT_KEYS = new Set(['epochs', 'batchSize', 'shuffle', 'validationSplit']);
/** Most epochs a job may ask for: bounds the history and the run of a spec typed with one zero too many. */
export const MAX_EPOCHS = 1_000_000;

function positive(v: unknown, name: string, integer: boolean): void {
  if (v !== undefined && !(typeof v === 'number' && (integer ? Number.isSafeInteger(v) : Number.isFinite(v)) && v > 0))
    throw new Error(`jobs.train(): '${name}' must be a positive ${integer ? 'integer' : 'number'}, got ${String(v)}`);
}

/** `fit` of a job: known keys, each value checked. */
function checkFit(fit: unknown): NonNullable<TrainJobOptions['fit']> {
  if (fit === undefined) return {};
  if (!fit || typeof fit !== 'object' || Array.isArray(fit))
    throw new Error(`jobs.train(): 'fit' must be { epochs?, batchSize?, shuffle?, validationSplit? }`);
  for (const key of Object.keys(fit))
    if (!FIT_KEYS.has(key))
      throw new Error(`jobs.train(): unknown key 'fit.${key}'; use epochs, batchSize, shuffle, validationSplit`);
  const f = fit as NonNullable<TrainJobOptions['fit']>;
  positive(f.epochs, 'fit.epochs', true);
  if (f.epochs !== undefined && f.epochs > MAX_EPOCHS)
    throw new Error(`jobs.train(): 'fit.epochs' is ${f.epochs}; at most ${MAX_EPOCHS} are allowed`);
  positive(f.batchSize, 'fit.batchSize', true);
  if (f.shuffle !== undefined && typeof f.shuffle !== 'boolean')
    throw new Error(`jobs.train(): 'fit.shuffle' must be true or false, got ${String(f.shuffle)}`);
  const v = f.validationSplit;
  if (v !== undefined && !(typeof v === 'number' && v >= 0 && v < 1))
    throw new Error(`jobs.train(): 'fit.validationSplit' must be a number in [0, 1), got ${String(v)}`);
  return f;
}

/**
 * Checks a job's options completely — spec, data, fit, limits, and the model's size for the data's width
 * when it is known — and returns what its worker needs. Allocates no model; arrays are copied once into
 * shared memory. Throws an Error naming the option and the fix.
 * @example checkedStart({ model: spec, data: { x, y }, fit: { epochs: 5 } }, 2) // for a pool of 2
 */
export function checkedStart(o: TrainJobOptions, poolSize: number, cores: number): CheckedStart {
  positive(o.timeLimitMs, 'timeLimitMs', false);
  positive(o.maxParameters, 'maxParameters', true);
  positive(o.memoryLimitMb, 'memoryLimitMb', false);
  positive(o.blasThreads, 'blasThreads', true);
  positive(o.checkpointEvery, 'checkpointEvery', true);
  if (o.seed !== undefined && !Number.isSafeInteger(o.seed))
    throw new Error(`jobs.train(): 'seed' must be an integer, got ${String(o.seed)}`);
  if (o.priority !== undefined && !(Number.isInteger(o.priority) && o.priority >= 0 && o.priority <= 19))
    throw new Error(`jobs.train(): 'priority' must be an integer nice value in [0, 19], got ${String(o.priority)}`);
  const fit = checkFit(o.fit);
  let model: ModelSpec | { path: string };
  let loss: string | undefined;
  // Data mapped by name feeds every input and output; other data one input and one output.
  const mapped = isMappedData(o.data);
  const singleInputOutput = mapped ? undefined : 'jobs.train()';
  let signature: ModelSignature | undefined;
  if (typeof o.model === 'string') {
    if (o.model === '') throw new Error(`jobs.train(): 'model' must be a model spec or a saved model's directory`);
    if (o.seed !== undefined)
      throw new Error(`jobs.train(): 'seed' applies to a model spec; a saved model goes on with its own random state`);
    model = { path: o.model };
  } else {
    // Every layer and name; allocates nothing.
    checkModelSpec(o.model, 'jobs.train(): model', { needCompile: true, singleInputOutput });
    model = o.seed === undefined ? o.model : { ...o.model, seed: o.seed };
    loss = lossName((o.model as Spec).compile!.loss);
    if (mapped && !isFunctionalSpec(o.model))
      throw new Error(
        `jobs.train(): 'data.inputs' and 'data.targets' map a functional spec's inputs and outputs by name; ` +
          `a { layers } spec takes { csv, target } (or give the model as { className: 'Model', config })`,
      );
    if (mapped) signature = signatureOf(functionalSpecModel(o.model as never, 'jobs.train(): model'));
  }
  const { data, rows } = prepareData(o.data, loss, signature);
  if (typeof o.model !== 'string') {
    // Refuse a model that cannot fit before loading any data: with the width known (arrays, or an
    // inputShape) exactly, else for the smallest possible input; the worker checks again on the real data.
    const batchRows = Math.max(1, Math.min(fit.batchSize ?? 32, rows ?? 1));
    checkModelSpec(o.model, 'jobs.train(): model', {
      inputShape: data.kind === 'arrays' ? [data.x.shape[1]] : undefined,
      batchRows,
      maxParameters: o.maxParameters,
      singleInputOutput,
    });
  }
  // What the job is, for its checkpoints: the spec; arrays by their shapes (hashing them would cost a pass).
  const described =
    data.kind === 'arrays'
      ? { kind: 'arrays', x: data.x.shape, y: data.y.shape }
      : data.kind === 'csv'
        ? { csv: data.path, target: data.target, ...data.options }
        : data.kind === 'csvMap'
          ? { csv: data.path, ...data.map, ...data.options }
          : data.kind === 'arraysMap'
            ? { kind: 'arraysMap', x: data.x.map(([n, m]) => [n, m.shape]), y: data.y.map(([n, m]) => [n, m.shape]) }
            : { idx: data.images, labels: data.labels, normalize: data.normalize };
  return {
    model,
    data,
    fit,
    specDigest: specDigest({ model, data: described, fit, checkpointEvery: o.checkpointEvery ?? 1 }),
    checkpointDir: o.checkpointDir,
    checkpointEvery: o.checkpointEvery ?? 1,
    outputDir: o.outputDir,
    backend: o.backend,
    // Each job's BLAS gets cores / pool size threads, so concurrent jobs do not oversubscribe the CPU.
    blasThreads: o.blasThreads ?? Math.max(1, Math.floor(cores / poolSize)),
    progressEveryMs: o.progressEveryMs ?? 200,
    limits: getLimits(),
    maxParameters: o.maxParameters,
    memoryLimitBytes: o.memoryLimitMb === undefined ? undefined : Math.floor(o.memoryLimitMb * 2 ** 20),
    priority: o.priority,
  };
}

/** The loss name of a spec's only output (a name, or a functional spec's one-entry list or object). */
function lossName(l: unknown): string | undefined {
  if (Array.isArray(l) && l.length === 1) l = l[0];
  else if (l && typeof l === 'object' && !Array.isArray(l) && !('className' in l) && !('class_name' in l)) {
    const values = Object.values(l);
    if (values.length === 1) l = values[0];
  }
  return typeof l === 'string' ? l : undefined;
}
