/**
 * The epoch loop of fit(): shuffling from the seeded RNG, mini-batches gathered into reused buffers, callbacks,
 * validation, History, data-parallel ranks kept in step. It yields to the event loop every few milliseconds so
 * timers and I/O keep running while a model trains, and honours an AbortSignal between batches.
 */
import type { Backend, FloatArray } from '../backend/ops';
import { floatArray } from '../backend/memory';
import type { Targets } from '../training/contracts';
import { CallbackList, type Logs } from '../callbacks/callback';
import { ProgressBar } from '../callbacks/progress';
import { TerminateOnNaN } from '../callbacks/terminate-on-nan';
import { engineOf, type Engine, type OutputMetric } from '../model/engine';
import type { Model } from '../model/model';
import { batchSizesOf } from '../model/step-memory';
import type { DataParallel } from '../distributed/data-parallel';
import type { FitSetting } from '../distributed/fit-check';
import { Rng } from '../random';
import { NonFiniteLossError } from './errors';
import { History } from './history';
import type { FitArgs, FitOptions } from './fit-args';
import { checkUnchanged, EMPTY, type FitData } from './fit-data';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The user's callbacks and the progress bar (distributed: on rank 0 only, as checkpoints and logging). */
function fitCallbacks(
  model: Model,
  args: FitArgs,
  verbose: FitOptions['verbose'],
  dp: DataParallel | undefined,
  rows: number,
) {
  const user = args.callbacks === undefined ? [] : Array.isArray(args.callbacks) ? args.callbacks : [args.callbacks];
  const all = dp && dp.rank !== 0 ? [] : [...user];
  if (verbose > 0 && all.length === user.length) all.push(new ProgressBar(verbose, rows));
  const callbacks = new CallbackList(all);
  callbacks.setModel(model);
  return { callbacks, stopOnNaN: user.some((c) => c instanceof TerminateOnNaN) };
}

/** One batch's buffers (inputs and targets), allocated once per batch size. */
interface BatchBuffers {
  x: FloatArray[];
  y: Targets[];
}

/** The epochs of a fit call, over buffers allocated once; the step loop allocates nothing. */
export class FitLoop {
  private readonly engine: Engine;
  private readonly callbacks: CallbackList;
  private readonly stopOnNaN: boolean;
  private readonly batchHooks: boolean;
  private readonly history = new History();
  private readonly batchSize: number;
  private readonly steps: number;
  /** Layers keep buffers per batch size: training's and validation's, full and partial. */
  private readonly valBatch: number;
  private readonly full: BatchBuffers;
  private readonly partial: BatchBuffers;
  private readonly single: boolean;
  private readonly order: Uint32Array;
  private readonly shard: Uint32Array;
  private readonly perOutputKeys: string[];
  private readonly perOutput: Float64Array;
  /** The last epoch's losses summed over its rows (each batch's mean loss × its rows). */
  private lossSum = 0;
  private lastYield = 0;
  private aborted = false;

  constructor(
    private readonly model: Model,
    private readonly args: FitArgs,
    private readonly opts: FitOptions,
    private readonly data: FitData,
    private readonly dp: DataParallel | undefined,
    private readonly shardRows: number,
  ) {
    this.engine = engineOf(model);
    const { callbacks, stopOnNaN } = fitCallbacks(model, args, opts.verbose, dp, shardRows);
    this.callbacks = callbacks;
    this.stopOnNaN = stopOnNaN;
    this.batchHooks = this.callbacks.has('onBatchBegin') || this.callbacks.has('onBatchEnd');
    const { trainRows, val } = data;
    this.batchSize = Math.min(opts.batchSize, shardRows);
    this.steps = Math.ceil(shardRows / this.batchSize);
    this.history.params = {
      epochs: opts.epochs,
      initialEpoch: opts.initialEpoch,
      batchSize: this.batchSize,
      samples: trainRows,
      steps: this.steps,
      validation: !!val,
    };
    this.valBatch = Math.max(this.batchSize, 256);
    const sizes = [...batchSizesOf(trainRows, this.batchSize), ...(val ? batchSizesOf(val.rows, this.valBatch) : [])];
    this.engine.checkBatchMemory('fit()', [...new Set(sizes)]);
    // The full batch and (if any) the last partial one.
    this.full = this.buffers(this.batchSize);
    const lastRows = shardRows % this.batchSize;
    this.partial = lastRows ? this.buffers(lastRows) : this.full;
    this.single = data.xs.length === 1 && data.ys.length === 1;
    this.order = new Uint32Array(trainRows);
    this.shard = dp ? new Uint32Array(shardRows) : this.order;
    const outputs = data.plan.outputs.length;
    this.perOutputKeys = outputs > 1 ? model.outputPrefixes.map((p) => `${p}loss`) : [];
    this.perOutput = new Float64Array(outputs);
  }

  private buffers(rows: number): BatchBuffers {
    const { model, data } = this;
    return {
      x: data.xCols.map((c) => floatArray(model.dtype, rows * c)),
      y: data.ys.map((y, o) =>
        y === undefined
          ? EMPTY
          : ((y instanceof Int32Array
              ? new Int32Array(rows * data.yCols[o])
              : floatArray(model.dtype, rows * data.yCols[o])) as Targets),
      ),
    };
  }

  async run(): Promise<History> {
    const { model, engine, opts, dp, callbacks } = this;
    model.stopTraining = false;
    const b = engine.backendFor(this.batchSize);
    // Long steps run their heavy ops off the main thread (the thread hop costs tens of µs, so only then).
    const offThread = engine.offThread(b, this.batchSize);
    const resuming = opts.initialEpoch > 0 && opts.initialEpoch === model.trainingState.epoch;
    const samplerSeed = dp ? await dp.start(this.sharedSettings()) : 0;
    await callbacks.trainBegin({});
    if (resuming) callbacks.restoreState(model.trainingState.callbacks);
    this.lastYield = performance.now();
    for (let epoch = opts.initialEpoch; epoch < opts.epochs && !model.stopTraining && !this.aborted; epoch++) {
      await callbacks.epochBegin(epoch, {});
      this.shuffle(epoch, samplerSeed);
      const metrics = engine.makeMetrics();
      for (const m of metrics) m.metric.reset();
      const seen = await this.trainEpoch(epoch, b, offThread, metrics);
      if (this.aborted && seen === 0) break;
      const logs = await this.epochLogs(seen, metrics);
      if (this.aborted) break; // a partial epoch is not recorded as if it were complete
      await this.endEpoch(epoch, logs);
    }
    await callbacks.trainEnd({});
    return this.history;
  }

  /** What every rank must share for their collectives to pair up and their updates to agree (fit-check.ts). */
  private sharedSettings(): FitSetting[] {
    const { model, opts, data } = this;
    const optimizer = model.optimizer!;
    return [
      { name: 'epochs', value: opts.epochs },
      { name: 'initialEpoch', value: opts.initialEpoch },
      { name: 'batchSize', value: this.batchSize },
      { name: 'the number of training rows', value: data.trainRows },
      { name: 'shuffle', value: opts.shuffle ? 1 : 0 },
      { name: 'validation (1: some)', value: data.val ? 1 : 0 },
      { name: 'the optimizer', value: `${optimizer.className} ${JSON.stringify(optimizer.getConfig())}` },
      { name: 'the loss', value: `${model.outputLosses.map((l) => l?.name ?? '-').join(',')} ${model.lossWeights}` },
      {
        name: 'the metrics',
        value: this.engine
          .makeMetrics()
          .map((m) => m.key)
          .join(','),
      },
    ];
  }

  /**
   * The epoch's order of rows. Each epoch's depends only on the RNG state (not on the previous epoch's order),
   * so a run resumed from a checkpoint shuffles exactly as the uninterrupted run would.
   */
  private shuffle(epoch: number, samplerSeed: number): void {
    const { order, shard, dp } = this;
    for (let i = 0; i < order.length; i++) order[i] = i;
    if (this.opts.shuffle && dp) new Rng((samplerSeed ^ Math.imul(epoch + 1, 0x9e3779b9)) >>> 0).shuffle(order);
    else if (this.opts.shuffle) this.model.rng.shuffle(order);
    if (dp) for (let j = 0; j < this.shardRows; j++) shard[j] = order[dp.rank + j * dp.worldSize];
  }

  /** Trains the epoch's steps (fewer if stopped), summing the losses into lossSum and perOutput; returns its rows. */
  private async trainEpoch(epoch: number, b: Backend, offThread: boolean, metrics: OutputMetric[]): Promise<number> {
    const { model, engine, callbacks, dp, data, batchSize, perOutput, perOutputKeys } = this;
    let lossSum = 0,
      seen = 0;
    perOutput.fill(0);
    for (let step = 0; step < this.steps; step++) {
      // Distributed: every rank must take every step; stops are agreed at the end of the epoch.
      if (!dp && this.args.signal?.aborted) {
        this.aborted = true;
        break;
      }
      checkUnchanged(data, model.inputNames, model.outputNames, epoch, step);
      const start = step * batchSize;
      const rows = Math.min(batchSize, this.shardRows - start);
      const buf = this.gather(start, rows);
      if (this.batchHooks) await callbacks.batchBegin(step, { batch: step, size: rows });
      const x = this.single ? buf.x[0] : buf.x;
      const y = this.single ? buf.y[0] : buf.y;
      const loss = dp
        ? await engine.trainStepSynced(b, x, y, rows, metrics, dp, offThread)
        : offThread
          ? await engine.trainStepAsync(b, x, y, rows, metrics)
          : engine.trainStep(b, x, y, rows, metrics);
      let nanStop = false;
      if (!Number.isFinite(loss)) {
        if (!this.stopOnNaN) throw new NonFiniteLossError(epoch + 1, step + 1, loss);
        model.stopTraining = nanStop = true;
      }
      lossSum += loss * rows;
      for (let o = 0; o < perOutputKeys.length; o++) perOutput[o] += engine.outputLoss(o) * rows;
      seen += rows;
      if (this.batchHooks) await callbacks.batchEnd(step, { batch: step, size: rows, loss });
      // Distributed, a non-finite loss stops every rank at this step; other stops wait for the epoch's end.
      if (model.stopTraining && (!dp || nanStop)) break;
      if (performance.now() - this.lastYield >= this.opts.yieldEveryMs) {
        await tick();
        this.lastYield = performance.now();
      }
    }
    this.lossSum = lossSum;
    return seen;
  }

  /** Gathers the batch of `rows` rows from position `start` of the epoch's order into its buffers. */
  private gather(start: number, rows: number): BatchBuffers {
    const { xs, ys, xCols, yCols } = this.data;
    const buf = rows === this.batchSize ? this.full : this.partial;
    for (let i = 0; i < xs.length; i++) gatherRows(xs[i].data, xCols[i], this.shard, start, rows, buf.x[i]);
    for (let o = 0; o < ys.length; o++) if (ys[o]) gatherRows(ys[o]!, yCols[o], this.shard, start, rows, buf.y[o]);
    return buf;
  }

  /** The epoch's logs: mean losses and metrics over its `seen` rows, validation's, averaged over the ranks. */
  private async epochLogs(seen: number, metrics: OutputMetric[]): Promise<Logs> {
    const { model, dp, data } = this;
    const logs: Logs = { loss: this.lossSum / seen };
    this.perOutputKeys.forEach((key, o) => {
      if (model.outputLosses[o]) logs[key] = this.perOutput[o] / seen;
    });
    for (const m of metrics) logs[m.key] = m.metric.result();
    if (data.val) {
      const v = this.engine.evaluate(data.val.x, data.val.rows, data.val.y, this.valBatch);
      for (const [k, value] of Object.entries(v)) logs[`val_${k}`] = value;
    }
    if (dp) {
      const keys = Object.keys(logs);
      const values = Float64Array.from(keys, (k) => logs[k]);
      await dp.average(values);
      keys.forEach((k, i) => (logs[k] = values[i]));
    }
    return logs;
  }

  /** Records a complete epoch, runs its callbacks, agrees on a stop over the ranks, yields to the event loop. */
  private async endEpoch(epoch: number, logs: Logs): Promise<void> {
    const { model, dp, callbacks } = this;
    this.history.record(epoch, logs);
    model.trainingState.epoch = epoch + 1;
    await callbacks.epochEnd(epoch, logs, () => {
      model.trainingState.callbacks = callbacks.collectState();
    });
    if (dp) {
      const stop = (dp.rank === 0 && model.stopTraining) || !!this.args.signal?.aborted;
      if (await dp.anyRank(stop)) model.stopTraining = true;
    }
    await tick();
    this.lastYield = performance.now();
  }
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
