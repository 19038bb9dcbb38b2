/**
 * fitDataset and evaluateDataset: the epoch loop over a dataset's batches (TF.js's `model.fitDataset`). A
 * batch is trained on as it arrives — a file dataset's batches come from worker threads that parse the next
 * ones meanwhile — and released right after its step, so memory is the dataset's buffers, not the data.
 * Each epoch is one pass of the dataset, its pass number the epoch's (a seeded shuffle thus gives epoch k
 * the same order on every run, resumed or not). With `batchesPerEpoch`, epochs are that many batches of one
 * pass that runs across them (as TF.js; an endless dataset — `repeat()` — needs it).
 *
 * The training step is the engine's, as in fit: the same calls per batch (trainStep / trainStepAsync),
 * callbacks, History and checkpoint state.
 */
import type { Backend } from '../backend/ops';
import { CallbackList, type CallbackHooks, type Logs } from '../callbacks/callback';
import { TerminateOnNaN } from '../callbacks/terminate-on-nan';
import { engineOf, type OutputMetric } from '../model/engine';
import type { InputsLike, TargetsLike } from '../model/io-lists';
import type { Model } from '../model/model';
import { readyBatch, Staging, type BatchTarget, type ReadyBatch } from './dataset-batch';
import { isLeaseSource, leasesOf, type Lease, type LeaseSource } from './dataset-protocol';
import { DatasetProgress } from './dataset-progress';
import { NonFiniteLossError } from './errors';
import { History } from './history';

/**
 * A dataset of `{ xs, ys }` batches (BatchElement): a bp.data dataset, or any (async) iterable of them.
 * Elements are checked batch by batch, so the type admits any element.
 */
export type DatasetLike = LeaseSource<unknown> | AsyncIterable<unknown> | Iterable<unknown>;

export interface FitDatasetArgs {
  /** Epochs to train up to (default 1); with `initialEpoch`, epochs initialEpoch..epochs-1. */
  epochs?: number;
  /**
   * Batches per epoch; without it an epoch is a whole pass. With it, one pass runs across epochs and
   * training stops (with a warning) when it ends early; an endless dataset (`repeat()`) needs it.
   */
  batchesPerEpoch?: number;
  /** Epoch to start from (to resume from a checkpoint). */
  initialEpoch?: number;
  /** Evaluated after every epoch: a dataset of batches, or `[x, y]` arrays. */
  validationData?: DatasetLike | [InputsLike, TargetsLike];
  /** Most batches of a validation dataset evaluated per epoch (default: all). */
  validationBatches?: number;
  callbacks?: CallbackHooks | CallbackHooks[];
  /** 0 silent, 1 progress (TTY) or a line per epoch, 2 a line per epoch. Default: 1 on a TTY, else 0. */
  verbose?: 0 | 1 | 2;
  /** Stops training after the current batch when aborted; fitDataset then resolves with the history so far. */
  signal?: AbortSignal;
  /** Longest stretch of training between event-loop turns, in ms (default 10). */
  yieldEveryMs?: number;
}

const KEYS = [
  'epochs',
  'batchesPerEpoch',
  'initialEpoch',
  'validationData',
  'validationBatches',
  'callbacks',
  'verbose',
  'signal',
  'yieldEveryMs',
];

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

function isDataset(v: unknown): v is DatasetLike {
  if (!v || typeof v !== 'object') return false;
  return (
    isLeaseSource(v) ||
    typeof (v as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function' ||
    (!Array.isArray(v) && typeof (v as Iterable<unknown>)[Symbol.iterator] === 'function')
  );
}

function checkArgs(who: string, args: unknown) {
  if (args === null || typeof args !== 'object' || Array.isArray(args))
    throw new Error(`${who}: the options must be an object such as { epochs: 10 }`);
  const a = args as FitDatasetArgs;
  for (const key of Object.keys(a))
    if (!KEYS.includes(key)) throw new Error(`${who}: unknown option '${key}'; options are: ${KEYS.join(', ')}`);
  const int = (name: keyof FitDatasetArgs, min: number, fallback?: number): number | undefined => {
    const v = a[name] ?? fallback;
    if (v !== undefined && !(typeof v === 'number' && Number.isSafeInteger(v) && v >= min))
      throw new Error(`${who}: '${name}' must be an integer ≥ ${min}, got ${String(a[name])}`);
    return v as number | undefined;
  };
  const verbose = a.verbose ?? (process.stdout.isTTY ? 1 : 0);
  if (![0, 1, 2].includes(verbose)) throw new Error(`${who}: 'verbose' must be 0, 1 or 2, got ${a.verbose}`);
  const yieldEveryMs = a.yieldEveryMs ?? 10;
  if (typeof yieldEveryMs !== 'number' || !(yieldEveryMs >= 0))
    throw new Error(`${who}: 'yieldEveryMs' must be a number >= 0, got ${String(a.yieldEveryMs)}`);
  if (a.signal !== undefined && !(a.signal instanceof AbortSignal))
    throw new Error(`${who}: 'signal' must be an AbortSignal (new AbortController().signal)`);
  const v = a.validationData;
  if (v !== undefined && !(Array.isArray(v) && v.length === 2) && !isDataset(v))
    throw new Error(`${who}: 'validationData' must be a dataset of { xs, ys } batches or [x, y] arrays`);
  return {
    epochs: int('epochs', 0, 1)!,
    initialEpoch: int('initialEpoch', 0, 0)!,
    batchesPerEpoch: int('batchesPerEpoch', 1),
    validationBatches: int('validationBatches', 1),
    verbose,
    yieldEveryMs,
  };
}

/** Per-batch-size step settings (backend, off-thread), and the memory check for each larger size. */
class Steps {
  private readonly byRows = new Map<number, { b: Backend; offThread: boolean }>();
  private checked = 0;
  constructor(
    private readonly model: Model,
    private readonly who: string,
  ) {}
  for(rows: number) {
    let s = this.byRows.get(rows);
    if (!s) {
      const engine = engineOf(this.model);
      if (rows > this.checked) {
        engine.checkBatchMemory(this.who, rows);
        this.checked = rows;
      }
      // A smaller batch after a larger one (a pass's last) runs where the larger ran, as fit's last batch
      // does: the same backend gives the same numbers as fit on the same batches.
      const like = Math.max(rows, this.checked);
      const b = engine.backendFor(like);
      s = { b, offThread: engine.offThread(b, like) };
      this.byRows.set(rows, s);
    }
    return s;
  }
}

function targetOf(model: Model): BatchTarget {
  const built = model.built;
  return {
    dtype: model.dtype,
    inputNames: model.inputNames,
    inputShapes: built ? model.inputShapes : [model.inputShape],
    integral: model.inputs.map((t) => t.dtype === 'int32'),
    outputNames: model.outputNames,
    outputShapes: built ? model.outputShapes : undefined,
    sparse: model.outputNames.map((_, o) => model.outputLosses[o]?.sparseTargets),
  };
}

/** Per-output loss keys (`<output>_loss`) of a model with several outputs, for the logs; none with one. */
function perOutputKeys(model: Model): (string | undefined)[] {
  const n = model.outputNames.length;
  return n > 1 ? model.outputPrefixes.map((p, o) => (model.outputLosses[o] ? `${p}loss` : undefined)) : [];
}

/** Loss and metrics over one pass of a dataset (at most `batches` batches), in inference mode. */
async function evaluatePass(
  model: Model,
  ds: DatasetLike,
  pass: number,
  batches: number | undefined,
  who: string,
): Promise<Record<string, number>> {
  const engine = engineOf(model);
  const metrics = engine.makeMetrics();
  const staging = new Staging(model.dtype);
  const steps = new Steps(model, who);
  const keys = perOutputKeys(model);
  const perOutput = new Float64Array(keys.length);
  let lossSum = 0,
    rows = 0,
    n = 0;
  const it = leasesOf(ds, pass);
  try {
    for (;;) {
      if (batches !== undefined && n >= batches) break;
      const r = await it.next();
      if (r.done) break;
      const lease = r.value;
      try {
        const batch = readyBatch(lease.value, targetOf(model), staging, `${who}: batch ${n + 1}`);
        const { b } = steps.for(batch.rows);
        engine.assertIdle(who);
        lossSum += engine.evaluateBatch(b, batch.x, batch.rows, batch.y, metrics) * batch.rows;
        for (let o = 0; o < keys.length; o++) perOutput[o] += engine.outputLoss(o) * batch.rows;
        rows += batch.rows;
        n++;
      } finally {
        lease.release();
      }
      if (n % 64 === 0) await tick();
    }
  } finally {
    await it.return();
  }
  if (rows === 0) throw new Error(`${who}: the dataset yielded no batches`);
  const logs: Record<string, number> = { loss: lossSum / rows + model.regularizationPenalty() };
  keys.forEach((key, o) => key && (logs[key] = perOutput[o] / rows));
  for (const m of metrics) logs[m.key] = m.metric.result();
  return logs;
}

/**
 * Loss and metrics of `model` over a dataset of `{ xs, ys }` batches (see Sequential.evaluateDataset).
 */
export async function evaluateModelDataset(
  model: Model,
  ds: DatasetLike,
  args: { batches?: number } = {},
): Promise<Record<string, number>> {
  const who = 'evaluateDataset()';
  model.requireCompiled(who);
  model.requireBuilt(who);
  if (!isDataset(ds))
    throw new Error(`${who}: expected a dataset of { xs, ys } batches (bp.data.csvDataset(...), ...)`);
  if (!args || typeof args !== 'object')
    throw new Error(`${who}: the options must be an object such as { batches: 10 }`);
  for (const k of Object.keys(args))
    if (k !== 'batches') throw new Error(`${who}: unknown option '${k}'; options are: batches`);
  const b = args.batches;
  if (b !== undefined && !(Number.isSafeInteger(b) && b >= 1))
    throw new Error(`${who}: 'batches' must be a positive integer, got ${String(b)}`);
  engineOf(model).assertIdle(who);
  return evaluatePass(model, ds, 0, b, who);
}

/**
 * Trains `model` on a dataset (see Sequential.fitDataset for the user-facing documentation).
 */
export async function fitModelDataset(model: Model, ds: DatasetLike, args: FitDatasetArgs = {}): Promise<History> {
  const engine = engineOf(model);
  engine.beginFit();
  try {
    return await runFitDataset(model, ds, args);
  } finally {
    engine.endFit();
  }
}

async function runFitDataset(model: Model, ds: DatasetLike, args: FitDatasetArgs): Promise<History> {
  const who = 'fitDataset()';
  const engine = engineOf(model);
  model.requireCompiled(who);
  if (!isDataset(ds))
    throw new Error(
      `${who}: expected a dataset of { xs, ys } batches (bp.data.csvDataset(...), bp.data.array(...)...)`,
    );
  const opts = checkArgs(who, args);
  const knownSize = () => {
    const n = isLeaseSource(ds) ? ds.size : undefined;
    return n !== undefined && Number.isFinite(n) ? n : undefined;
  };
  if (opts.batchesPerEpoch === undefined && isLeaseSource(ds) && ds.size === Infinity)
    throw new Error(`${who}: the dataset is endless (repeat()); give batchesPerEpoch`);

  let arraysVal: { x: InputsLike; y: TargetsLike } | undefined;
  let evalArrays: (() => Record<string, number>) | undefined;
  const v = args.validationData;
  if (Array.isArray(v) && !isDataset(v)) arraysVal = { x: v[0], y: v[1] };

  const userCallbacks =
    args.callbacks === undefined ? [] : Array.isArray(args.callbacks) ? args.callbacks : [args.callbacks];
  const all = [...userCallbacks];
  // The fraction of the epoch done, for the progress display: by batches when the size is known, else as
  // far as the dataset says it has read.
  let lastProgress: number | undefined;
  const steps = () => opts.batchesPerEpoch ?? knownSize();
  if (opts.verbose > 0)
    all.push(new DatasetProgress(opts.verbose, (batch) => (steps() ? batch / steps()! : lastProgress)));
  const callbacks = new CallbackList(all);
  callbacks.setModel(model);
  const batchHooks = callbacks.has('onBatchBegin') || callbacks.has('onBatchEnd');
  const stopOnNaN = all.some((c) => c instanceof TerminateOnNaN);

  const history = new History();
  history.params = {
    epochs: opts.epochs,
    initialEpoch: opts.initialEpoch,
    steps: steps(),
    validation: v !== undefined,
  };

  const staging = new Staging(model.dtype);
  const stepFor = new Steps(model, who);
  let shapes: BatchTarget | undefined;
  model.stopTraining = false;
  const resuming = opts.initialEpoch > 0 && opts.initialEpoch === model.trainingState.epoch;
  await callbacks.trainBegin({});
  if (resuming) callbacks.restoreState(model.trainingState.callbacks);
  let lastYield = performance.now();
  let aborted = false;
  // With batchesPerEpoch: one pass across the epochs, positioned after the batches of the epochs before.
  let stream: AsyncGenerator<Lease<unknown>, void, undefined> | undefined;
  let exhausted = false;
  const B = opts.batchesPerEpoch;
  try {
    if (B !== undefined) {
      stream = leasesOf(ds, 0);
      for (let i = 0; i < opts.initialEpoch * B; i++) {
        const r = await stream.next();
        if (r.done) {
          exhausted = true;
          break;
        }
        r.value.release();
      }
    }
    for (let epoch = opts.initialEpoch; epoch < opts.epochs && !model.stopTraining && !aborted && !exhausted; epoch++) {
      await callbacks.epochBegin(epoch, {});
      const it = stream ?? leasesOf(ds, epoch);
      // Metrics need the output's shape: an unbuilt model gets them at its first batch.
      let metrics = model.built ? engine.makeMetrics() : undefined;
      const keys = perOutputKeys(model);
      const perOutput = new Float64Array(keys.length);
      let lossSum = 0,
        seen = 0,
        step = 0;
      try {
        for (; B === undefined || step < B; step++) {
          if (args.signal?.aborted) {
            aborted = true;
            break;
          }
          const r = await it.next();
          if (r.done) {
            if (B !== undefined) exhausted = true;
            break;
          }
          const lease = r.value;
          let loss: number, rows: number;
          try {
            lastProgress = lease.progress;
            const where = `${who}: epoch ${epoch + 1}, batch ${step + 1}`;
            let batch = readyBatch(lease.value, (shapes ??= targetOf(model)), staging, where);
            if (!model.built) {
              // The first batch gives the input shape; its targets are checked once the output is known.
              model.build(batch.sampleShape);
              shapes = targetOf(model);
              batch = readyBatch(lease.value, shapes, staging, where);
            }
            metrics ??= engine.makeMetrics();
            rows = batch.rows;
            if (batchHooks) await callbacks.batchBegin(step, { batch: step, size: rows });
            loss = await trainOn(model, stepFor, batch, metrics);
          } finally {
            lease.release();
          }
          if (!Number.isFinite(loss)) {
            if (!stopOnNaN) throw new NonFiniteLossError(epoch + 1, step + 1, loss);
            model.stopTraining = true;
          }
          lossSum += loss * rows;
          for (let o = 0; o < keys.length; o++) perOutput[o] += engine.outputLoss(o) * rows;
          seen += rows;
          if (batchHooks) await callbacks.batchEnd(step, { batch: step, size: rows, loss });
          if (model.stopTraining) {
            step++;
            break;
          }
          if (performance.now() - lastYield >= opts.yieldEveryMs) {
            await tick();
            lastYield = performance.now();
          }
        }
      } finally {
        if (!stream) await it.return();
      }
      if (seen === 0) {
        if (aborted || exhausted) break;
        throw new Error(
          `${who}: the dataset yielded no batches in epoch ${epoch + 1}; check that it is not empty (a take(), ` +
            'filter() or split that keeps nothing)',
        );
      }
      if (history.params.steps === undefined) history.params.steps = steps() ?? step;
      const logs: Logs = { loss: lossSum / seen };
      keys.forEach((key, o) => key && (logs[key] = perOutput[o] / seen));
      for (const m of metrics!) logs[m.key] = m.metric.result();
      if (v !== undefined) {
        if (arraysVal) evalArrays ??= validationArrays(model, arraysVal);
        const val = evalArrays
          ? evalArrays()
          : await evaluatePass(model, v as DatasetLike, epoch, opts.validationBatches, `${who}: validationData`);
        for (const [k, value] of Object.entries(val)) logs[`val_${k}`] = value;
      }
      if (aborted) break; // a partial epoch is not recorded as if it were complete
      history.record(epoch, logs);
      model.trainingState.epoch = epoch + 1;
      await callbacks.epochEnd(epoch, logs, () => {
        model.trainingState.callbacks = callbacks.collectState();
      });
      await tick();
      lastYield = performance.now();
    }
  } finally {
    await stream?.return();
  }
  if (exhausted) {
    history.params.exhausted = true;
    process.emitWarning(
      `fitDataset(): the dataset ran out after ${history.epoch.length} epoch(s) of batchesPerEpoch ${B}; ` +
        'training stopped. Use dataset.repeat() so it can give batchesPerEpoch × epochs batches',
      'BackpropWarning',
    );
  }
  await callbacks.trainEnd({});
  return history;
}

/** One step on a ready batch, on the main thread or (long steps) with the heavy ops off it. */
async function trainOn(model: Model, stepFor: Steps, batch: ReadyBatch, metrics: OutputMetric[]): Promise<number> {
  const engine = engineOf(model);
  const { b, offThread } = stepFor.for(batch.rows);
  return offThread
    ? engine.trainStepAsync(b, batch.x, batch.y, batch.rows, metrics)
    : engine.trainStep(b, batch.x, batch.y, batch.rows, metrics);
}

/** Validation arrays, checked once (when the model is built, so their shapes can be checked against it). */
function validationArrays(model: Model, val: { x: InputsLike; y: TargetsLike }) {
  const who = 'fitDataset(): validationData';
  const vx = model.checkedInputs(who, val.x);
  const rows = vx[0].rows;
  const vy = model.checkedTargets(who, val.y, rows).map((t) => t ?? new Int32Array(0));
  const x = vx.length === 1 ? vx[0].data : vx.map((i) => i.data);
  const y = vy.length === 1 ? vy[0] : vy;
  return () => engineOf(model).evaluate(x, rows, y, 256);
}
