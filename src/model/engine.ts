/**
 * The training engine of a model (internal: not part of the public API). It runs a batch forward, the
 * loss and its gradient, backward and the update, with the abilities layers declare: loss fusion with the
 * last layer's activation, SGD folded into the layers' gradient gemms, and off-main-thread steps for long
 * steps. It also keeps the model's busy state: one training at a time, and no inference while a step runs
 * off the main thread.
 */
import type { Backend, FloatArray } from '../backend/ops';
import { backendForModel } from '../backend/select';
import type { FoldedSgd, Metric, Targets } from '../training/contracts';
import { getMetric } from '../training/metrics';
import { checkModelSize } from '../limits';
import { floatArray } from '../backend/memory';
import { shapeSize } from '../layers/shape';
import type { DType } from '../backend/ops';
import type { Layer } from '../layers/layer';
import type { Shape } from '../layers/shape';
import type { Loss, Optimizer, Param } from '../training/contracts';
import type { Rng } from '../random';
import { MaskedLoss } from './masked-loss';

/** What the engine needs of a model (the Model class provides it; kept as an interface so model → engine only). */
export interface EngineModel {
  readonly layers: Layer[];
  readonly dtype: DType;
  readonly rng: Rng;
  readonly loss?: Loss;
  readonly optimizer?: Optimizer;
  readonly metricNames: string[];
  readonly outputShape: Shape | undefined;
  readonly inputSize: number;
  readonly outputSize: number;
  params(): Param[];
  weights(): Param[];
  regularizationPenalty(): number;
}

/** Steps with at least this many multiply-adds (a few ms of gemm) run their heavy ops off the main thread. */
export const ASYNC_STEP_MACS = 5e7;

/** Thrown when a model is used while it trains in a way that would corrupt or race with the training. */
export class ModelBusyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelBusyError';
  }
}

export class Engine {
  /** fit is running (a second fit or trainOnBatch is refused). */
  fitting = false;
  /** A training step is running off the main thread (inference and weight access are refused). */
  stepInFlight = false;

  private fused = false;
  private readonly gradBuffers = new Map<number, FloatArray>();
  /** The mask of the last forward's output (sequence models; layer.ts), and the loss over its real steps. */
  private outMask: FloatArray | null = null;
  private maskedLoss?: MaskedLoss;

  constructor(private readonly model: EngineModel) {}

  /** Refuses use of the model while a step runs off the main thread (its buffers and weights are in use). */
  assertIdle(method: string): void {
    if (this.stepInFlight) {
      throw new ModelBusyError(
        `${method}: model is training: a step is running off the main thread. Call it from a fit callback ` +
          `(onBatchEnd / onEpochEnd), after fit resolves, or train in a worker with bp.jobs.train`,
      );
    }
  }

  /** Refuses a second training (fit or trainOnBatch) while fit runs. */
  assertNotTraining(method: string): void {
    if (this.fitting) {
      throw new ModelBusyError(
        `${method}: model is training (fit is running); await the running fit before training it again`,
      );
    }
  }

  /** Marks fit as running until `end` is called (throws if it already is). */
  beginFit(): void {
    this.assertNotTraining('fit()');
    this.fitting = true;
  }

  endFit(): void {
    this.fitting = false;
    this.stepInFlight = false;
  }

  /** Multiply-adds of one sample's forward pass, summed over the layers' own estimates. */
  macsPerSample(): number {
    let macs = 0;
    for (const l of this.model.layers) macs += l.macsPerSample();
    return macs;
  }

  /** The backend for steps of `rows` rows (tiny steps run on JS kernels in auto mode). */
  backendFor(rows = 32): Backend {
    return backendForModel(this.macsPerSample() * rows);
  }

  /** Whether steps of `rows` rows on `b` should run their heavy ops off the main thread. */
  offThread(b: Backend, rows: number): boolean {
    return !!b.denseForwardAsync && this.macsPerSample() * rows >= ASYNC_STEP_MACS;
  }

  /** Rows and columns the loss and metrics see: one row per position of the output's last axis. */
  lossDims(rows: number): [number, number] {
    const out = this.model.outputShape!;
    const cols = out[out.length - 1];
    return [(rows * shapeSize(out)) / cols, cols];
  }

  /** Checks that training or inference at `rows` rows per batch fits the memory limit (bp.setLimits). */
  checkBatchMemory(where: string, rows: number): void {
    let activations = 0;
    for (const l of this.model.layers) activations += (l.outputSize + l.workspacePerSample()) * rows;
    let parameters = 0;
    for (const p of this.model.weights()) parameters += p.value.length;
    checkModelSize(where, parameters, activations, this.model.dtype === 'float64' ? 8 : 4);
  }

  /** Fresh metric objects for one pass (training or validation). */
  makeMetrics(): Metric[] {
    const cols = this.lossDims(1)[1];
    return this.model.metricNames.map((m) => getMetric(m, this.model.loss!, cols));
  }

  /** Whether the last layer's activation and the loss fuse into one stable kernel (softmax/sigmoid + CE). */
  private updateFusion(): void {
    const last = this.model.layers[this.model.layers.length - 1];
    const want = this.model.loss?.fusedActivation;
    this.fused = !!want && !!this.model.loss?.computeFromLogits && last.outputActivation === want;
  }

  /** Forward through all layers, passing sequence masks along; returns the last layer's output buffer. */
  forward(b: Backend, x: FloatArray, rows: number, training: boolean): FloatArray {
    let h = x;
    let mask: FloatArray | null = null;
    for (const layer of this.model.layers) {
      h = layer.forward(b, h, rows, training, this.model.rng, mask);
      mask = layer.outputMask(mask);
    }
    this.outMask = mask;
    return h;
  }

  /** Loss of the last forward against `target` (the gradient into `grad` unless null), fused when possible. */
  lossOf(b: Backend, out: FloatArray, target: Targets, grad: FloatArray | null, rows: number): number {
    const [r, c] = this.lossDims(rows);
    const loss = this.model.loss!;
    const last = this.model.layers[this.model.layers.length - 1];
    if (this.outMask) {
      const masked = this.masked(rows, r, c);
      return masked.loss(b, loss, this.fused, this.fused ? last.preActivation() : out, target, grad, c);
    }
    if (this.fused) return loss.computeFromLogits!(b, last.preActivation(), target, grad, r, c);
    return loss.compute(b, out, target, grad, r, c);
  }

  /** The masked loss with the last forward's mask selected. */
  private masked(rows: number, lossRows: number, cols: number): MaskedLoss {
    this.maskedLoss ??= new MaskedLoss(this.model.dtype);
    this.maskedLoss.select(this.outMask!, rows, lossRows, cols);
    return this.maskedLoss;
  }

  /**
   * One training step on a prepared batch: forward, loss + gradient, backward, regularisation, update.
   * A non-finite loss is returned before anything is updated, so the weights stay those of the last good step.
   */
  trainStep(b: Backend, x: FloatArray, target: Targets, rows: number, metrics?: Metric[]): number {
    this.updateFusion();
    const out = this.forward(b, x, rows, true);
    const grad = this.gradBuffer(rows);
    let loss = this.lossOf(b, out, target, grad, rows);
    if (!Number.isFinite(loss)) return loss;
    if (metrics) this.updateMetrics(metrics, out, target, rows);
    const fold = this.foldedSgd();
    const layers = this.model.layers;
    let g: FloatArray | null = grad;
    for (let i = layers.length - 1; i >= 0 && g; i--) {
      g = layers[i].backward(b, g, rows, i > 0, this.fused && i === layers.length - 1, fold);
    }
    const opt = this.model.optimizer!;
    if (fold) {
      opt.countStep!();
      return loss;
    }
    const params = this.model.params();
    for (const p of params) if (p.regularizer) loss += p.regularizer.apply(b, p.value, p.grad);
    opt.step(b, params);
    return loss;
  }

  /** The training-mode loss of a batch (forward and loss only, regularisation included): what trainStep minimises. */
  trainingLoss(b: Backend, x: FloatArray, target: Targets, rows: number): number {
    this.updateFusion();
    const out = this.forward(b, x, rows, true);
    return this.lossOf(b, out, target, null, rows) + this.model.regularizationPenalty();
  }

  /** trainStep with the layers' heavy ops (and large optimizer updates) off the main thread. Same arithmetic. */
  async trainStepAsync(b: Backend, x: FloatArray, target: Targets, rows: number, metrics?: Metric[]): Promise<number> {
    this.updateFusion();
    this.stepInFlight = true;
    try {
      const layers = this.model.layers;
      let h = x;
      let mask: FloatArray | null = null;
      for (const layer of layers) {
        h = await layer.forwardAsync(b, h, rows, true, this.model.rng, mask);
        mask = layer.outputMask(mask);
      }
      this.outMask = mask;
      const grad = this.gradBuffer(rows);
      let loss = this.lossOf(b, h, target, grad, rows);
      if (!Number.isFinite(loss)) return loss;
      if (metrics) this.updateMetrics(metrics, h, target, rows);
      let g: FloatArray | null = grad;
      for (let i = layers.length - 1; i >= 0 && g; i--) {
        g = await layers[i].backwardAsync(b, g, rows, i > 0, this.fused && i === layers.length - 1);
      }
      const params = this.model.params();
      for (const p of params) if (p.regularizer) loss += p.regularizer.apply(b, p.value, p.grad);
      const opt = this.model.optimizer!;
      if (opt.stepAsync) await opt.stepAsync(b, params);
      else opt.step(b, params);
      return loss;
    } finally {
      this.stepInFlight = false;
    }
  }

  private updateMetrics(metrics: Metric[], out: FloatArray, target: Targets, rows: number): void {
    const [r, c] = this.lossDims(rows);
    if (this.outMask) this.masked(rows, r, c).updateMetrics(metrics, out, target, c);
    else for (const m of metrics) m.update(out, target, r, c);
  }

  /**
   * This step's SGD update when every layer with weights can apply it inside its gradient gemms: plain SGD
   * without clipping, and no regularizer (which needs the gradient buffer). Null otherwise.
   */
  private foldedSgd(): FoldedSgd | null {
    const opt = this.model.optimizer!;
    if (!opt.foldedSgd || !opt.countStep) return null;
    // Plain loops: this runs every step and must not allocate.
    for (const l of this.model.layers) if (!l.canFoldSgd && l.params().length > 0) return null;
    for (const p of this.model.params()) if (p.regularizer) return null;
    return opt.foldedSgd();
  }

  /** The loss-gradient buffer for `rows`-row batches, allocated once per batch size. */
  private gradBuffer(rows: number): FloatArray {
    let grad = this.gradBuffers.get(rows);
    if (!grad) {
      grad = floatArray(this.model.dtype, rows * this.model.outputSize);
      this.gradBuffers.set(rows, grad);
    }
    return grad;
  }

  /** Drops buffers sized for the old output (after layers change). */
  reset(): void {
    this.gradBuffers.clear();
    this.maskedLoss = undefined;
  }

  /**
   * The mean loss of one batch in inference mode, its output added to `metrics` (regularisation not
   * included): evaluation batch by batch, for datasets (fitDataset's validation, evaluateDataset).
   */
  evaluateBatch(b: Backend, x: FloatArray, rows: number, target: Targets, metrics: Metric[]): number {
    this.updateFusion();
    const out = this.forward(b, x, rows, false);
    const loss = this.lossOf(b, out, target, null, rows);
    this.updateMetrics(metrics, out, target, rows);
    return loss;
  }

  /** Loss and metrics over checked arrays, in inference mode (validation in fit, evaluate, gradcheck). */
  evaluate(x: FloatArray, rows: number, target: Targets, batchSize: number): Record<string, number> {
    this.updateFusion();
    const b = this.backendFor(batchSize);
    const metrics = this.makeMetrics();
    const inSize = this.model.inputSize;
    const tPer = target instanceof Int32Array ? this.lossDims(1)[0] : this.model.outputSize;
    let lossSum = 0;
    for (let start = 0; start < rows; start += batchSize) {
      const n = Math.min(batchSize, rows - start);
      const out = this.forward(b, x.subarray(start * inSize, (start + n) * inSize), n, false);
      const tb = target.subarray(start * tPer, (start + n) * tPer) as Targets;
      lossSum += this.lossOf(b, out, tb, null, n) * n;
      this.updateMetrics(metrics, out, tb, n);
    }
    const logs: Record<string, number> = { loss: rows ? lossSum / rows + this.model.regularizationPenalty() : NaN };
    for (const m of metrics) logs[m.name] = m.result();
    return logs;
  }
}

const engines = new WeakMap<EngineModel, Engine>();

/** The engine of `model` (created on first use). */
export function engineOf(model: EngineModel): Engine {
  let e = engines.get(model);
  if (!e) {
    e = new Engine(model);
    engines.set(model, e);
  }
  return e;
}
