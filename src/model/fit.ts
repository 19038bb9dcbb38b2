/**
 * The epoch loop: shuffling from the seeded RNG, mini-batches gathered into reused buffers, callbacks,
 * validation, History. It yields to the event loop every few milliseconds so timers and I/O keep
 * running while a model trains, and honours an AbortSignal between batches.
 */
import type { FloatArray } from '../backend/ops';
import { floatArray } from '../backend/memory';
import type { Targets } from '../training/contracts';
import { CallbackList, type CallbackHooks, type Logs } from '../callbacks/callback';
import { ProgressBar } from '../callbacks/progress';
import { History } from './history';
import { checkX, checkY, type MatrixLike, type TargetLike } from './inputs';
import { checkBatchSize, type Sequential } from './sequential';

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
  validationData?: [MatrixLike, TargetLike];
  /** Epoch to start from (to resume a previous run). */
  initialEpoch?: number;
  callbacks?: CallbackHooks | CallbackHooks[];
  /** 0 silent, 1 progress bar (TTY) or a line per epoch, 2 one line per epoch. Default: 1 on a TTY, else 0. */
  verbose?: 0 | 1 | 2;
  /** Stops training after the current batch when aborted; fit then resolves with the history so far. */
  signal?: AbortSignal;
  /** Longest stretch of synchronous training between event-loop turns, in ms (default 10). */
  yieldEveryMs?: number;
}

/** Steps with at least this many multiply-adds (a few ms of gemm) run their heavy ops off the main thread. */
export const ASYNC_STEP_MACS = 5e7;

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

function checkFitArgs(
  args: FitArgs,
): Required<
  Pick<FitArgs, 'epochs' | 'batchSize' | 'shuffle' | 'validationSplit' | 'initialEpoch' | 'verbose' | 'yieldEveryMs'>
> {
  const epochs = args.epochs ?? 1;
  if (!Number.isInteger(epochs) || epochs < 0)
    throw new Error(`fit(): 'epochs' must be a non-negative integer, got ${args.epochs}`);
  const initialEpoch = args.initialEpoch ?? 0;
  if (!Number.isInteger(initialEpoch) || initialEpoch < 0)
    throw new Error(`fit(): 'initialEpoch' must be a non-negative integer, got ${args.initialEpoch}`);
  const validationSplit = args.validationSplit ?? 0;
  if (typeof validationSplit !== 'number' || !(validationSplit >= 0 && validationSplit < 1)) {
    throw new Error(`fit(): 'validationSplit' must be in [0, 1), got ${args.validationSplit}`);
  }
  const verbose = args.verbose ?? (process.stdout.isTTY ? 1 : 0);
  if (![0, 1, 2].includes(verbose)) throw new Error(`fit(): 'verbose' must be 0, 1 or 2, got ${args.verbose}`);
  return {
    epochs,
    initialEpoch,
    validationSplit,
    verbose,
    batchSize: checkBatchSize('fit()', args.batchSize ?? 32),
    shuffle: args.shuffle ?? true,
    yieldEveryMs: args.yieldEveryMs ?? 10,
  };
}

export async function fitModel(model: Sequential, xIn: MatrixLike, yIn: TargetLike, args: FitArgs): Promise<History> {
  model.requireCompiled('fit()');
  const opts = checkFitArgs(args ?? {});
  if (args.signal !== undefined && !(args.signal instanceof AbortSignal))
    throw new Error(`fit(): 'signal' must be an AbortSignal (new AbortController().signal)`);
  const x = checkX('fit()', xIn, model.inputUnits, model.dtype);
  if (!model.built) model.build(x.cols);
  const sparse = model.loss!.sparseTargets;
  const y = checkY('fit()', yIn, x.rows, model.outputUnits, sparse, model.dtype);

  // Validation rows: explicit data, or the last fraction of the given rows (before any shuffling).
  let trainRows = x.rows;
  let val: { x: FloatArray; rows: number; y: Targets; yCols: number } | undefined;
  if (args.validationData) {
    if (!Array.isArray(args.validationData) || args.validationData.length !== 2)
      throw new Error(`fit(): 'validationData' must be [x, y]`);
    const vx = checkX('fit(): validationData', args.validationData[0], model.inputUnits, model.dtype);
    const vy = checkY('fit(): validationData', args.validationData[1], vx.rows, model.outputUnits, sparse, model.dtype);
    val = { x: vx.data, rows: vx.rows, y: vy.data, yCols: vy.cols };
  } else if (opts.validationSplit > 0) {
    const nVal = Math.floor(x.rows * opts.validationSplit);
    if (nVal < 1 || nVal >= x.rows)
      throw new Error(
        `fit(): validationSplit ${opts.validationSplit} of ${x.rows} rows leaves no training or no validation rows`,
      );
    trainRows = x.rows - nVal;
    val = {
      x: x.data.subarray(trainRows * x.cols),
      rows: nVal,
      y: y.data.subarray(trainRows * y.cols) as Targets,
      yCols: y.cols,
    };
  }
  if (trainRows === 0) throw new Error(`fit(): 'x' has no rows`);

  const userCallbacks =
    args.callbacks === undefined ? [] : Array.isArray(args.callbacks) ? args.callbacks : [args.callbacks];
  const all = [...userCallbacks];
  if (opts.verbose > 0) all.push(new ProgressBar(opts.verbose, trainRows));
  const callbacks = new CallbackList(all);
  callbacks.setModel(model);
  const batchHooks = callbacks.has('onBatchBegin') || callbacks.has('onBatchEnd');

  const history = new History();
  const batchSize = Math.min(opts.batchSize, trainRows);
  const steps = Math.ceil(trainRows / batchSize);
  history.params = {
    epochs: opts.epochs,
    initialEpoch: opts.initialEpoch,
    batchSize,
    samples: trainRows,
    steps,
    validation: !!val,
  };

  model.checkBatchMemory('fit()', batchSize);
  // Batch buffers, allocated once: the full batch and (if any) the last partial one.
  const make = (rows: number) => ({
    x: floatArray(model.dtype, rows * x.cols),
    y: (sparse ? new Int32Array(rows) : floatArray(model.dtype, rows * y.cols)) as Targets,
  });
  const full = make(batchSize);
  const lastRows = trainRows % batchSize;
  const partial = lastRows ? make(lastRows) : full;
  const order = new Uint32Array(trainRows);
  for (let i = 0; i < trainRows; i++) order[i] = i;

  model.stopTraining = false;
  const b = model.backendFor(batchSize);
  // Long steps run their gemms off the main thread (the thread hop costs tens of µs, so only then).
  const offThread = !!b.denseForwardAsync && model.macsPerRow() * batchSize >= ASYNC_STEP_MACS;
  await callbacks.trainBegin({});
  let lastYield = performance.now();
  let aborted = false;
  for (let epoch = opts.initialEpoch; epoch < opts.epochs && !model.stopTraining && !aborted; epoch++) {
    await callbacks.epochBegin(epoch, {});
    // Each epoch's order depends only on the RNG state (not on the previous epoch's order), so a run
    // resumed from a checkpoint shuffles exactly as the uninterrupted run would.
    for (let i = 0; i < trainRows; i++) order[i] = i;
    if (opts.shuffle) model.rng.shuffle(order);
    const metrics = model.makeMetrics();
    for (const m of metrics) m.reset();
    let lossSum = 0,
      seen = 0;
    for (let step = 0; step < steps; step++) {
      if (args.signal?.aborted) {
        aborted = true;
        break;
      }
      const start = step * batchSize;
      const rows = Math.min(batchSize, trainRows - start);
      const buf = rows === batchSize ? full : partial;
      gatherRows(x.data, x.cols, order, start, rows, buf.x);
      gatherRows(y.data, y.cols, order, start, rows, buf.y);
      if (batchHooks) await callbacks.batchBegin(step, { batch: step, size: rows });
      const loss = offThread
        ? await model.trainStepOnAsync(b, buf.x, buf.y, rows, metrics)
        : model.trainStepOn(b, buf.x, buf.y, rows, metrics);
      lossSum += loss * rows;
      seen += rows;
      if (batchHooks) await callbacks.batchEnd(step, { batch: step, size: rows, loss });
      if (model.stopTraining) break;
      if (performance.now() - lastYield >= opts.yieldEveryMs) {
        await tick();
        lastYield = performance.now();
      }
    }
    if (aborted && seen === 0) break;
    const logs: Logs = { loss: lossSum / seen };
    for (const m of metrics) logs[m.name] = m.result();
    if (val) {
      const v = model.evaluateChecked(val.x, val.rows, x.cols, val.y, val.yCols, Math.max(batchSize, 256));
      for (const [k, value] of Object.entries(v)) logs[`val_${k}`] = value;
    }
    if (aborted) break; // a partial epoch is not recorded as if it were complete
    history.record(epoch, logs);
    model.trainingState.epoch = epoch + 1;
    await callbacks.epochEnd(epoch, logs);
    await tick();
    lastYield = performance.now();
  }
  await callbacks.trainEnd({});
  return history;
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
