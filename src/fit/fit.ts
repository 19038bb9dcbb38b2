/**
 * The epoch loop: shuffling from the seeded RNG, mini-batches gathered into reused buffers, callbacks,
 * validation, History. It yields to the event loop every few milliseconds so timers and I/O keep running
 * while a model trains, and honours an AbortSignal between batches.
 *
 * fit reads `x` and `y` in place (no copy of the data set). If other code may change or transfer them while
 * fit runs (another thread, a callback), copy them first: a transferred/resized array stops fit with an
 * error naming it, and a non-finite loss stops fit before its update, naming the epoch and batch.
 */
import type { FloatArray } from '../backend/ops';
import { floatArray } from '../backend/memory';
import type { Targets } from '../training/contracts';
import { CallbackList, type CallbackHooks, type Logs } from '../callbacks/callback';
import { ProgressBar } from '../callbacks/progress';
import { TerminateOnNaN } from '../callbacks/terminate-on-nan';
import { engineOf } from '../model/engine';
import type { InputsLike, TargetsLike } from '../model/io-lists';
import { checkBatchSize, type Model } from '../model/model';
import { shapeSize } from '../layers/shape';
import { batchSizesOf } from '../model/step-memory';
import { NonFiniteLossError } from './errors';
import { History } from './history';
import { dataParallelFor } from '../distributed/data-parallel';
import { Rng } from '../random';

export interface FitArgs {
  /** Number of epochs to train up to (default 1). With `initialEpoch`, training runs epochs initialEpoch..epochs-1. */
  epochs?: number;
  /** Rows per gradient step (default 32). */
  batchSize?: number;
  /** Reshuffle the training rows every epoch (default true). */
  shuffle?: boolean;
  /** Fraction of rows, taken from the end before shuffling (as Keras), held out for validation. */
  validationSplit?: number;
  /** Explicit validation data, `[x, y]` (takes precedence over validationSplit). */
  validationData?: [InputsLike, TargetsLike];
  /** Epoch to start from (to resume a previous run). */
  initialEpoch?: number;
  callbacks?: CallbackHooks | CallbackHooks[];
  /** 0 silent, 1 progress bar (TTY) or a line per epoch, 2 one line per epoch. Default: 1 on a TTY, else 0. */
  verbose?: 0 | 1 | 2;
  /** Stops training after the current batch when aborted; fit then resolves with the history so far. */
  signal?: AbortSignal;
  /** Longest stretch of synchronous training between event-loop turns, in ms (default 10). */
  yieldEveryMs?: number;
  /**
   * Train data-parallel with the other ranks of the process group (`await bp.distributed.init(...)` first):
   * rank 0's weights are broadcast, each rank trains on its shard of every epoch (`batchSize` is per rank),
   * gradients are averaged over the ranks before each update, epoch logs are averaged, callbacks run on rank 0
   * only, and a stop (EarlyStopping, an abort signal) takes effect on every rank at the end of the epoch.
   */
  distributed?: boolean;
}

const FIT_KEYS = [
  'epochs',
  'batchSize',
  'shuffle',
  'validationSplit',
  'validationData',
  'initialEpoch',
  'callbacks',
  'verbose',
  'signal',
  'yieldEveryMs',
  'distributed',
];

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

function checkFitArgs(args: unknown) {
  if (args === null || typeof args !== 'object' || Array.isArray(args)) {
    throw new Error(
      `fit(): the third argument must be an options object such as { epochs: 10 }, got ` +
        `${args === null ? 'null' : typeof args}`,
    );
  }
  const a = args as FitArgs;
  for (const key of Object.keys(a)) {
    if (!FIT_KEYS.includes(key)) throw new Error(`fit(): unknown option '${key}'; options are: ${FIT_KEYS.join(', ')}`);
  }
  const epochs = a.epochs ?? 1;
  if (!Number.isInteger(epochs) || epochs < 0)
    throw new Error(`fit(): 'epochs' must be a non-negative integer, got ${a.epochs}`);
  const initialEpoch = a.initialEpoch ?? 0;
  if (!Number.isInteger(initialEpoch) || initialEpoch < 0)
    throw new Error(`fit(): 'initialEpoch' must be a non-negative integer, got ${a.initialEpoch}`);
  const validationSplit = a.validationSplit ?? 0;
  if (typeof validationSplit !== 'number' || !(validationSplit >= 0 && validationSplit < 1)) {
    throw new Error(`fit(): 'validationSplit' must be in [0, 1), got ${a.validationSplit}`);
  }
  const verbose = a.verbose ?? (process.stdout.isTTY ? 1 : 0);
  if (![0, 1, 2].includes(verbose)) throw new Error(`fit(): 'verbose' must be 0, 1 or 2, got ${a.verbose}`);
  if (a.shuffle !== undefined && typeof a.shuffle !== 'boolean')
    throw new Error(`fit(): 'shuffle' must be true or false, got ${String(a.shuffle)}`);
  const yieldEveryMs = a.yieldEveryMs ?? 10;
  if (typeof yieldEveryMs !== 'number' || !(yieldEveryMs >= 0))
    throw new Error(`fit(): 'yieldEveryMs' must be a number >= 0, got ${String(a.yieldEveryMs)}`);
  if (a.distributed !== undefined && typeof a.distributed !== 'boolean')
    throw new Error(`fit(): 'distributed' must be true or false, got ${String(a.distributed)}`);
  if (a.signal !== undefined && !(a.signal instanceof AbortSignal))
    throw new Error(`fit(): 'signal' must be an AbortSignal (new AbortController().signal)`);
  return {
    epochs,
    initialEpoch,
    validationSplit,
    verbose,
    batchSize: checkBatchSize('fit()', a.batchSize ?? 32),
    shuffle: a.shuffle ?? true,
    yieldEveryMs,
    distributed: a.distributed ?? false,
  };
}

/**
 * Trains `model` (see Sequential.fit for the user-facing documentation).
 */
export async function fitModel(model: Model, xIn: InputsLike, yIn: TargetsLike, args: FitArgs = {}): Promise<History> {
  const engine = engineOf(model);
  engine.beginFit();
  try {
    return await runFit(model, xIn, yIn, args);
  } finally {
    engine.endFit();
  }
}

async function runFit(model: Model, xIn: InputsLike, yIn: TargetsLike, args: FitArgs): Promise<History> {
  const engine = engineOf(model);
  model.requireCompiled('fit()');
  const opts = checkFitArgs(args);
  const xs = model.checkedInputs('fit()', xIn);
  const rowsIn = xs[0].rows;
  const ys = model.checkedTargets('fit()', yIn, rowsIn);
  const plan = model.plan();
  const xCols = xs.map((x) => shapeSize(x.shape));
  // Values of y per sample: the output's size, or one label per position of its last axis.
  const yCols = ys.map((y, o) =>
    y === undefined ? 0 : y instanceof Int32Array ? engine.lossDims(1, o)[0] : shapeSize(model.outputShapes[o]),
  );
  const xLengths = xs.map((x) => x.data.length);
  const yLengths = ys.map((y) => y?.length ?? 0);

  // Validation rows: explicit data, or the last fraction of the given rows (before any shuffling).
  let trainRows = rowsIn;
  let val: { x: FloatArray[]; rows: number; y: Targets[] } | undefined;
  if (args.validationData) {
    if (!Array.isArray(args.validationData) || args.validationData.length !== 2)
      throw new Error(`fit(): 'validationData' must be [x, y]`);
    const vx = model.checkedInputs('fit(): validationData', args.validationData[0]);
    const vy = model.checkedTargets('fit(): validationData', args.validationData[1], vx[0].rows);
    val = { x: vx.map((v) => v.data), rows: vx[0].rows, y: vy.map(orEmpty) };
  } else if (opts.validationSplit > 0) {
    const nVal = Math.floor(rowsIn * opts.validationSplit);
    if (nVal < 1 || nVal >= rowsIn)
      throw new Error(
        `fit(): validationSplit ${opts.validationSplit} of ${rowsIn} rows leaves no training or no validation rows`,
      );
    trainRows = rowsIn - nVal;
    val = {
      x: xs.map((x, i) => x.data.subarray(trainRows * xCols[i])),
      rows: nVal,
      y: ys.map((y, o) => (y ? (y.subarray(trainRows * yCols[o]) as Targets) : EMPTY)),
    };
  }
  if (trainRows === 0) throw new Error(`fit(): 'x' has no rows`);
  // Data-parallel: this rank's rows of each epoch are every worldSize-th of the epoch's order, as PyTorch's
  // DistributedSampler (the remainder of trainRows / worldSize is left out, so every rank takes as many steps).
  const dp = opts.distributed ? dataParallelFor(model, plan) : undefined;
  const shardRows = dp ? Math.floor(trainRows / dp.worldSize) : trainRows;
  if (shardRows === 0)
    throw new Error(`fit(): distributed: ${trainRows} training rows cannot be shared by ${dp!.worldSize} ranks`);

  const userCallbacks =
    args.callbacks === undefined ? [] : Array.isArray(args.callbacks) ? args.callbacks : [args.callbacks];
  // Distributed: callbacks (checkpoints, logging) run on rank 0 only.
  const all = dp && dp.rank !== 0 ? [] : [...userCallbacks];
  if (opts.verbose > 0 && all.length === userCallbacks.length) all.push(new ProgressBar(opts.verbose, shardRows));
  const callbacks = new CallbackList(all);
  callbacks.setModel(model);
  const batchHooks = callbacks.has('onBatchBegin') || callbacks.has('onBatchEnd');
  const stopOnNaN = userCallbacks.some((c) => c instanceof TerminateOnNaN);

  const history = new History();
  const batchSize = Math.min(opts.batchSize, shardRows);
  const steps = Math.ceil(shardRows / batchSize);
  history.params = {
    epochs: opts.epochs,
    initialEpoch: opts.initialEpoch,
    batchSize,
    samples: trainRows,
    steps,
    validation: !!val,
  };

  // Layers keep buffers per batch size: training's and validation's, full and partial.
  const valBatch = Math.max(batchSize, 256);
  const sizes = [...batchSizesOf(trainRows, batchSize), ...(val ? batchSizesOf(val.rows, valBatch) : [])];
  engine.checkBatchMemory('fit()', [...new Set(sizes)]);
  // Batch buffers, allocated once: the full batch and (if any) the last partial one.
  const make = (rows: number) => ({
    x: xCols.map((c) => floatArray(model.dtype, rows * c)),
    y: ys.map((y, o) =>
      y === undefined
        ? EMPTY
        : ((y instanceof Int32Array
            ? new Int32Array(rows * yCols[o])
            : floatArray(model.dtype, rows * yCols[o])) as Targets),
    ),
  });
  const full = make(batchSize);
  const lastRows = shardRows % batchSize;
  const partial = lastRows ? make(lastRows) : full;
  const single = xs.length === 1 && ys.length === 1;
  const order = new Uint32Array(trainRows);
  const shard = dp ? new Uint32Array(shardRows) : order;
  const outputs = plan.outputs.length;
  const perOutputKeys = outputs > 1 ? model.outputPrefixes.map((p) => `${p}loss`) : [];

  model.stopTraining = false;
  const b = engine.backendFor(batchSize);
  // Long steps run their heavy ops off the main thread (the thread hop costs tens of µs, so only then).
  const offThread = engine.offThread(b, batchSize);
  const resuming = opts.initialEpoch > 0 && opts.initialEpoch === model.trainingState.epoch;
  const samplerSeed = dp ? await dp.start() : 0;
  await callbacks.trainBegin({});
  if (resuming) callbacks.restoreState(model.trainingState.callbacks);
  let lastYield = performance.now();
  let aborted = false;
  const perOutput = new Float64Array(outputs);
  for (let epoch = opts.initialEpoch; epoch < opts.epochs && !model.stopTraining && !aborted; epoch++) {
    await callbacks.epochBegin(epoch, {});
    // Each epoch's order depends only on the RNG state (not on the previous epoch's order), so a run
    // resumed from a checkpoint shuffles exactly as the uninterrupted run would.
    for (let i = 0; i < trainRows; i++) order[i] = i;
    if (opts.shuffle && dp) new Rng((samplerSeed ^ Math.imul(epoch + 1, 0x9e3779b9)) >>> 0).shuffle(order);
    else if (opts.shuffle) model.rng.shuffle(order);
    if (dp) for (let j = 0; j < shardRows; j++) shard[j] = order[dp.rank + j * dp.worldSize];
    const metrics = engine.makeMetrics();
    for (const m of metrics) m.metric.reset();
    let lossSum = 0,
      seen = 0;
    perOutput.fill(0);
    for (let step = 0; step < steps; step++) {
      // Distributed: every rank must take every step; stops are agreed at the end of the epoch.
      if (!dp && args.signal?.aborted) {
        aborted = true;
        break;
      }
      checkUnchanged(xs, xLengths, ys, yLengths, model.inputNames, model.outputNames, epoch, step);
      const start = step * batchSize;
      const rows = Math.min(batchSize, shardRows - start);
      const buf = rows === batchSize ? full : partial;
      for (let i = 0; i < xs.length; i++) gatherRows(xs[i].data, xCols[i], shard, start, rows, buf.x[i]);
      for (let o = 0; o < ys.length; o++) if (ys[o]) gatherRows(ys[o]!, yCols[o], shard, start, rows, buf.y[o]);
      if (batchHooks) await callbacks.batchBegin(step, { batch: step, size: rows });
      const x = single ? buf.x[0] : buf.x;
      const y = single ? buf.y[0] : buf.y;
      const loss = dp
        ? await engine.trainStepSynced(b, x, y, rows, metrics, dp, offThread)
        : offThread
          ? await engine.trainStepAsync(b, x, y, rows, metrics)
          : engine.trainStep(b, x, y, rows, metrics);
      let nanStop = false;
      if (!Number.isFinite(loss)) {
        if (!stopOnNaN) throw new NonFiniteLossError(epoch + 1, step + 1, loss);
        model.stopTraining = nanStop = true;
      }
      lossSum += loss * rows;
      for (let o = 0; o < perOutputKeys.length; o++) perOutput[o] += engine.outputLoss(o) * rows;
      seen += rows;
      if (batchHooks) await callbacks.batchEnd(step, { batch: step, size: rows, loss });
      // Distributed, a non-finite loss stops every rank at this step; other stops wait for the epoch's end.
      if (model.stopTraining && (!dp || nanStop)) break;
      if (performance.now() - lastYield >= opts.yieldEveryMs) {
        await tick();
        lastYield = performance.now();
      }
    }
    if (aborted && seen === 0) break;
    const logs: Logs = { loss: lossSum / seen };
    perOutputKeys.forEach((key, o) => {
      if (model.outputLosses[o]) logs[key] = perOutput[o] / seen;
    });
    for (const m of metrics) logs[m.key] = m.metric.result();
    if (val) {
      const v = engine.evaluate(val.x, val.rows, val.y, valBatch);
      for (const [k, value] of Object.entries(v)) logs[`val_${k}`] = value;
    }
    if (dp) {
      const keys = Object.keys(logs);
      const values = Float64Array.from(keys, (k) => logs[k]);
      await dp.average(values);
      keys.forEach((k, i) => (logs[k] = values[i]));
    }
    if (aborted) break; // a partial epoch is not recorded as if it were complete
    history.record(epoch, logs);
    model.trainingState.epoch = epoch + 1;
    await callbacks.epochEnd(epoch, logs, () => {
      model.trainingState.callbacks = callbacks.collectState();
    });
    if (dp) {
      const stop = (dp.rank === 0 && model.stopTraining) || !!args.signal?.aborted;
      if (await dp.anyRank(stop)) model.stopTraining = true;
    }
    await tick();
    lastYield = performance.now();
  }
  await callbacks.trainEnd({});
  return history;
}

const EMPTY = new Float32Array(0);

function orEmpty(t: Targets | undefined): Targets {
  return t ?? EMPTY;
}

/** fit reads x and y in place: a transferred, detached or resized array stops it, naming the array. */
function checkUnchanged(
  xs: readonly { data: FloatArray }[],
  xLengths: readonly number[],
  ys: readonly (Targets | undefined)[],
  yLengths: readonly number[],
  inputNames: readonly string[],
  outputNames: readonly string[],
  epoch: number,
  step: number,
): void {
  let which: string | undefined;
  for (let i = 0; i < xs.length && !which; i++)
    if (xs[i].data.length !== xLengths[i]) which = xs.length > 1 ? `x (input '${inputNames[i]}')` : 'x';
  for (let o = 0; o < ys.length && !which; o++)
    if ((ys[o]?.length ?? 0) !== yLengths[o]) which = ys.length > 1 ? `y (output '${outputNames[o]}')` : 'y';
  if (!which) return;
  throw new Error(
    `fit(): '${which}' was transferred, detached or resized while fit was reading it (epoch ${epoch + 1}, batch ` +
      `${step + 1}). fit reads x and y in place: copy them first if other code may change them during training`,
  );
}

/** Copies rows order[start..start+rows) of `src` into `dst`, element by element (no per-row views allocated). */
function gatherRows(
  src: FloatArray | Int32Array,
  cols: number,
  order: Uint32Array,
  start: number,
  rows: number,
  dst: FloatArray | Int32Array,
): void {
  for (let r = 0; r < rows; r++) {
    const from = order[start + r] * cols,
      to = r * cols;
    for (let c = 0; c < cols; c++) dst[to + c] = src[from + c];
  }
}
