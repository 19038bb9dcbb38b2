/**
 * The training engine of a model (internal: not part of the public API). It runs the model's plan (plan.ts): a
 * batch forward through the calls, the loss of every output and its gradient, backward in reverse order with
 * gradients of shared slots summed in a fixed order, the replicas' gradients added into shared layers,
 * regularisation and the update — with the abilities layers declare: loss fusion with an output layer's
 * activation, SGD folded into the layers' gradient gemms, and off-main-thread steps for long steps. It also keeps
 * the model's busy state: one training at a time, and no inference while a step runs off the main thread.
 *
 * Everything a step touches is allocated once per plan or per batch size: a step allocates nothing after warm-up.
 */
import type { Backend, FloatArray } from '../backend/ops';
import { backendForModel } from '../backend/select';
import type { FoldedSgd, Loss, Metric, Targets } from '../training/contracts';
import { getMetric, type MetricIdentifier } from '../training/metrics';
import { checkTrainingMemory } from '../limits';
import { trainingMemory, type TrainingMemory } from './step-memory';
import { floatArray } from '../backend/memory';
import { addValues } from '../backend/add-values';
import { shapeSize } from '../layers/shape';
import type { DType } from '../backend/ops';
import type { Optimizer, Param } from '../training/contracts';
import type { Rng } from '../random';
import { MaskedLoss } from './masked-loss';
import type { Plan, PlanCall } from './plan';

/** What the engine needs of a model (the Model class provides it; kept as an interface so model → engine only). */
export interface EngineModel {
  readonly dtype: DType;
  readonly rng: Rng;
  readonly optimizer?: Optimizer;
  /** The compiled loss of each output (undefined: none, or not compiled). */
  readonly outputLosses: readonly (Loss | undefined)[];
  /** The weight of each output's loss in the total (1 each by default). */
  readonly lossWeights: readonly number[];
  /** Metric names per output. */
  readonly outputMetrics: readonly (readonly MetricIdentifier[])[];
  /** Log-key prefix per output ('' for a single-output model, else `<output name>_`). */
  readonly outputPrefixes: readonly string[];
  /** The model's current plan (compiled on first use after a change). */
  plan(): Plan;
  params(): Param[];
  weights(): Param[];
  regularizationPenalty(): number;
}

/** A metric of one output, with the key it logs under (`accuracy`, `cls_accuracy`). */
export interface OutputMetric {
  key: string;
  output: number;
  metric: Metric;
}

/** Steps with at least this many multiply-adds (a few ms of gemm) run their heavy ops off the main thread. */
export const ASYNC_STEP_MACS = 5e7;

/** Thrown when a model is used while it trains in a way that would corrupt or race with the training. */
/** How a data-parallel step (trainStepSynced) hands its gradients over (src/distributed implements it). */
export interface GradientSync {
  /** Backward of plan call `call` is done: the weight gradients of its layer are final for this step. */
  callDone(call: number): void;
  /**
   * Sums the remaining gradients over the ranks; resolves false when some rank's loss was not finite.
   * `mainThread`: backward ran on the main thread (the step blocks it anyway), so the sum may too.
   */
  finish(lossFinite: boolean, mainThread: boolean): Promise<boolean>;
}

export class ModelBusyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelBusyError';
  }
}

type Inputs = FloatArray | readonly FloatArray[];
type TargetsIn = Targets | readonly Targets[];

/** Per-plan scratch: slot values, masks and gradients of the current step. */
interface Scratch {
  plan: Plan;
  values: FloatArray[];
  masks: (FloatArray | null)[];
  grads: (FloatArray | null)[];
  /** Contributions received so far this step, per slot. */
  received: Int32Array;
  /** The loss value of each output in the last step (before its weight). */
  outputLoss: Float64Array;
  xs: FloatArray[];
  ts: Targets[];
}

export class Engine {
  /** fit is running (a second fit or trainOnBatch is refused). */
  fitting = false;
  /** A training step is running off the main thread (inference and weight access are refused). */
  stepInFlight = false;

  /** The memory the last checked batch sizes need (see checkBatchMemory). */
  private memoryNeed?: { plan: Plan; sizes: number[]; slots?: number; need: TrainingMemory };
  private scratch?: Scratch;
  /** Forwards run so far: a model.apply gradient checks that the layers still hold its call (model-call.ts). */
  forwards = 0;
  /** Loss-gradient buffers per output, then per batch size. */
  private readonly gradBuffers = new Map<number, FloatArray[]>();
  /** Accumulators of fan-out slots, per batch size then slot. */
  private readonly accumulators = new Map<number, (FloatArray | null)[]>();
  private maskedLosses: (MaskedLoss | undefined)[] = [];

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

  /** The scratch of the model's current plan (rebuilt when the plan changed). */
  private current(): Scratch {
    const plan = this.model.plan();
    let s = this.scratch;
    if (!s || s.plan !== plan) {
      const n = plan.slots.length;
      s = {
        plan,
        values: new Array<FloatArray>(n),
        masks: new Array<FloatArray | null>(n).fill(null),
        grads: new Array<FloatArray | null>(n).fill(null),
        received: new Int32Array(n),
        outputLoss: new Float64Array(plan.outputs.length),
        xs: new Array<FloatArray>(1),
        ts: new Array<Targets>(1),
      };
      this.scratch = s;
      this.gradBuffers.clear();
      this.accumulators.clear();
      this.maskedLosses = [];
    }
    return s;
  }

  /** Multiply-adds of one sample's forward pass, summed over the calls' own estimates. */
  macsPerSample(): number {
    let macs = 0;
    for (const c of this.model.plan().calls) macs += c.layer.macsPerSample();
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

  /** Rows and columns output `o`'s loss and metrics see: one row per position of the output's last axis. */
  lossDims(rows: number, o = 0): [number, number] {
    const plan = this.model.plan();
    const shape = plan.slots[plan.outputs[o].slot].shape;
    const cols = shape[shape.length - 1];
    return [(rows * shapeSize(shape)) / cols, cols];
  }

  /**
   * Checks that training or inference with batches of `rows` rows (a fit: each distinct batch size) fits the
   * memory limit (bp.setLimits), counting every buffer a step holds (model/step-memory.ts). The need of the last
   * sizes is kept: trainOnBatch sums it once, then compares it with the limit in force per call.
   */
  checkBatchMemory(where: string, rows: number | number[]): void {
    const plan = this.model.plan();
    const slots = this.model.optimizer?.slotsPerParameter;
    const known = this.memoryNeed;
    if (known && known.plan === plan && known.slots === slots && sameSizes(known.sizes, rows)) {
      return checkTrainingMemory(where, known.need);
    }
    const sizes = typeof rows === 'number' ? [rows] : [...rows];
    const need = trainingMemory({
      calls: plan.calls.map((c) => ({
        layer: c.layer,
        primary: c.primary,
        inputShapes: c.inputs.map((s) => plan.slots[s].shape),
      })),
      inputShapes: plan.inputSlots.map((s) => plan.slots[s].shape),
      outputShapes: plan.outputs.map((o) => plan.slots[o.slot].shape),
      dtype: this.model.dtype,
      batchSizes: sizes,
      optimizerSlots: slots,
    });
    this.memoryNeed = { plan, sizes, slots, need };
    checkTrainingMemory(where, need);
  }

  /** Fresh metric objects for one pass (training or validation), per output, with their log keys. */
  makeMetrics(): OutputMetric[] {
    const out: OutputMetric[] = [];
    this.model.outputMetrics.forEach((names, o) => {
      const loss = this.model.outputLosses[o];
      if (!loss) return;
      const cols = this.lossDims(1, o)[1];
      for (const name of names) {
        const metric = getMetric(name, loss, cols);
        out.push({ key: `${this.model.outputPrefixes[o]}${metric.name}`, output: o, metric });
      }
    });
    return out;
  }

  /** The values of output `o` of the last forward (valid until the next one). */
  outputValue(o: number): FloatArray {
    const s = this.scratch!;
    return s.values[s.plan.outputs[o].slot];
  }

  /** The loss of output `o` in the last loss computation (before its weight). */
  outputLoss(o: number): number {
    return this.scratch!.outputLoss[o];
  }

  private inputsOf(s: Scratch, x: Inputs): readonly FloatArray[] {
    if (isFloatArray(x)) {
      s.xs[0] = x;
      return s.xs;
    }
    return x;
  }

  private targetsOf(s: Scratch, t: TargetsIn): readonly Targets[] {
    if (isFloatArray(t) || t instanceof Int32Array) {
      s.ts[0] = t;
      return s.ts;
    }
    return t;
  }

  /** Forward through every call, passing sequence masks along; returns the first output's values. */
  forward(b: Backend, x: Inputs, rows: number, training: boolean): FloatArray {
    this.forwards++;
    const s = this.current();
    const xs = this.inputsOf(s, x);
    const { plan, values, masks } = s;
    const rng = this.model.rng;
    seedInputs(s, xs);
    for (const c of plan.calls) {
      if (c.multi) {
        gatherCallInputs(c, values, masks);
        values[c.output] = c.layer.forwardMany(b, c.xs, rows, training, rng, c.masks);
        masks[c.output] = c.layer.outputMaskMany(c.masks);
      } else {
        const inSlot = c.inputs[0];
        values[c.output] = c.layer.forward(b, values[inSlot], rows, training, rng, masks[inSlot]);
        masks[c.output] = c.layer.outputMask(masks[inSlot]);
      }
    }
    return values[plan.outputs[0].slot];
  }

  /** forward() with the calls' heavy ops off the main thread. */
  private async forwardAsync(b: Backend, xs: readonly FloatArray[], rows: number): Promise<void> {
    const s = this.current();
    const { plan, values, masks } = s;
    const rng = this.model.rng;
    seedInputs(s, xs);
    for (const c of plan.calls) {
      if (c.multi) {
        gatherCallInputs(c, values, masks);
        values[c.output] = c.layer.forwardMany(b, c.xs, rows, true, rng, c.masks);
        masks[c.output] = c.layer.outputMaskMany(c.masks);
      } else {
        const inSlot = c.inputs[0];
        values[c.output] = await c.layer.forwardAsync(b, values[inSlot], rows, true, rng, masks[inSlot]);
        masks[c.output] = c.layer.outputMask(masks[inSlot]);
      }
    }
  }

  /**
   * The weighted loss of the last forward against the targets (per output: fused when possible, over real steps
   * when the output carries a mask); with `withGrad`, each output's gradient goes into its loss-gradient buffer.
   */
  private lossOfOutputs(b: Backend, ts: readonly Targets[], rows: number, withGrad: boolean): number {
    const s = this.scratch!;
    const { plan, values, masks } = s;
    let total = 0;
    for (let o = 0; o < plan.outputs.length; o++) {
      const loss = this.model.outputLosses[o];
      if (!loss) continue;
      const out = plan.outputs[o];
      const grad = withGrad && plan.slots[out.slot].needsGrad ? this.lossGrad(o, rows) : null;
      const [r, c] = this.lossDims(rows, o);
      const src = out.fused ? plan.calls[out.producer].layer.preActivation() : values[out.slot];
      const mask = masks[out.slot];
      let value: number;
      if (mask) {
        const masked = (this.maskedLosses[o] ??= new MaskedLoss(this.model.dtype));
        masked.select(mask, rows, r, c);
        value = masked.loss(b, loss, out.fused, src, ts[o], grad, c);
      } else if (out.fused) value = loss.computeFromLogits!(b, src, ts[o], grad, r, c);
      else value = loss.compute(b, src, ts[o], grad, r, c);
      s.outputLoss[o] = value;
      const w = this.model.lossWeights[o];
      if (w !== 1) {
        value *= w;
        if (grad) b.scale(grad, w);
      }
      total += value;
    }
    return total;
  }

  /** The loss of the last forward against one output's targets (no gradient). */
  lossOf(b: Backend, target: TargetsIn, rows: number): number {
    const s = this.scratch!;
    return this.lossOfOutputs(b, this.targetsOf(s, target), rows, false);
  }

  /**
   * One training step on a prepared batch: forward, loss + gradient, backward, regularisation, update.
   * A non-finite loss is returned before anything is updated, so the weights stay those of the last good step.
   */
  trainStep(b: Backend, x: Inputs, target: TargetsIn, rows: number, metrics?: OutputMetric[]): number {
    const s = this.current();
    this.forward(b, x, rows, true);
    const ts = this.targetsOf(s, target);
    let loss = this.lossOfOutputs(b, ts, rows, true);
    if (!Number.isFinite(loss)) return loss;
    if (metrics) this.updateMetrics(metrics, ts, rows);
    const fold = this.foldedSgd(s.plan);
    this.startBackward(b, s, rows);
    const { plan, grads } = s;
    for (let i = plan.calls.length - 1; i >= 0; i--) {
      const c = plan.calls[i];
      if (!c.backward) continue;
      const dy = this.gradOf(b, s, c.output, rows);
      if (c.multi) {
        c.layer.backwardMany(b, dy, rows, c.needDx, c.dxs);
        for (let k = 0; k < c.inputs.length; k++) if (c.needDx[k]) this.contribute(b, s, c.inputs[k], c.dxs[k], rows);
      } else {
        const dx = c.layer.backward(b, dy, rows, c.anyDx, c.lossFused, fold);
        if (c.anyDx) this.contribute(b, s, c.inputs[0], dx, rows);
      }
    }
    grads.fill(null);
    const opt = this.model.optimizer!;
    if (fold) {
      opt.countStep!();
      return loss;
    }
    this.sumReplicaGradients(s.plan);
    const params = this.model.params();
    for (const p of params) if (p.regularizer) loss += p.regularizer.apply(b, p.value, p.grad);
    opt.step(b, params);
    return loss;
  }

  /** The training-mode loss of a batch (forward and loss only, regularisation included): what trainStep minimises. */
  trainingLoss(b: Backend, x: Inputs, target: TargetsIn, rows: number): number {
    const s = this.current();
    this.forward(b, x, rows, true);
    return this.lossOfOutputs(b, this.targetsOf(s, target), rows, false) + this.model.regularizationPenalty();
  }

  /** trainStep with the layers' heavy ops (and large optimizer updates) off the main thread. Same arithmetic. */
  async trainStepAsync(
    b: Backend,
    x: Inputs,
    target: TargetsIn,
    rows: number,
    metrics?: OutputMetric[],
  ): Promise<number> {
    this.stepInFlight = true;
    this.forwards++;
    try {
      const s = this.current();
      const xs = isFloatArray(x) ? [x] : x;
      const ts = isFloatArray(target) || target instanceof Int32Array ? [target] : target;
      await this.forwardAsync(b, xs, rows);
      let loss = this.lossOfOutputs(b, ts, rows, true);
      if (!Number.isFinite(loss)) return loss;
      if (metrics) this.updateMetrics(metrics, ts, rows);
      this.startBackward(b, s, rows);
      const { plan, grads } = s;
      for (let i = plan.calls.length - 1; i >= 0; i--) {
        const c = plan.calls[i];
        if (!c.backward) continue;
        const dy = this.gradOf(b, s, c.output, rows);
        if (c.multi) {
          c.layer.backwardMany(b, dy, rows, c.needDx, c.dxs);
          for (let k = 0; k < c.inputs.length; k++) if (c.needDx[k]) this.contribute(b, s, c.inputs[k], c.dxs[k], rows);
        } else {
          const dx = await c.layer.backwardAsync(b, dy, rows, c.anyDx, c.lossFused);
          if (c.anyDx) this.contribute(b, s, c.inputs[0], dx, rows);
        }
      }
      grads.fill(null);
      this.sumReplicaGradients(plan);
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

  /**
   * One data-parallel training step (src/distributed): trainStep, except that the weight gradients are handed
   * to `sync` as backward produces them (so it can sum them over the ranks while backward goes on) and the
   * update waits for `sync.finish`, which says whether every rank's loss was finite. SGD is never folded into
   * backward here: the update must use the summed gradients. `offThread` as for trainStepAsync (long steps).
   * Returns this rank's loss.
   */
  async trainStepSynced(
    b: Backend,
    x: Inputs,
    target: TargetsIn,
    rows: number,
    metrics: OutputMetric[] | undefined,
    sync: GradientSync,
    offThread: boolean,
  ): Promise<number> {
    this.stepInFlight = true;
    try {
      const s = this.current();
      const xs = isFloatArray(x) ? [x] : x;
      const ts = isFloatArray(target) || target instanceof Int32Array ? [target] : target;
      if (offThread) await this.forwardAsync(b, xs, rows);
      else this.forward(b, x, rows, true);
      let loss = this.lossOfOutputs(b, ts, rows, true);
      const finite = Number.isFinite(loss);
      const { plan, grads } = s;
      if (finite) {
        if (metrics) this.updateMetrics(metrics, ts, rows);
        this.startBackward(b, s, rows);
        for (let i = plan.calls.length - 1; i >= 0; i--) {
          const c = plan.calls[i];
          if (!c.backward) continue;
          const dy = this.gradOf(b, s, c.output, rows);
          if (c.multi) {
            c.layer.backwardMany(b, dy, rows, c.needDx, c.dxs);
            for (let k = 0; k < c.inputs.length; k++)
              if (c.needDx[k]) this.contribute(b, s, c.inputs[k], c.dxs[k], rows);
          } else {
            const dx = offThread
              ? await c.layer.backwardAsync(b, dy, rows, c.anyDx, c.lossFused)
              : c.layer.backward(b, dy, rows, c.anyDx, c.lossFused, null);
            if (c.anyDx) this.contribute(b, s, c.inputs[0], dx, rows);
          }
          if (!plan.hasReplicas) sync.callDone(i);
        }
        grads.fill(null);
        this.sumReplicaGradients(plan);
      }
      const params = this.model.params();
      // Every rank takes part in every collective, whatever its loss: a rank that skipped one would hang the rest.
      if (!(await sync.finish(finite, !offThread))) return finite ? Number.NaN : loss;
      for (const p of params) if (p.regularizer) loss += p.regularizer.apply(b, p.value, p.grad);
      const opt = this.model.optimizer!;
      if (offThread && opt.stepAsync) await opt.stepAsync(b, params);
      else opt.step(b, params);
      return loss;
    } finally {
      this.stepInFlight = false;
    }
  }

  /** Seeds backward with the outputs' loss gradients. */
  private startBackward(b: Backend, s: Scratch, rows: number): void {
    s.received.fill(0);
    s.grads.fill(null);
    const { plan } = s;
    for (let o = 0; o < plan.outputs.length; o++) {
      const slot = plan.outputs[o].slot;
      if (!this.model.outputLosses[o] || !plan.slots[slot].needsGrad) continue;
      this.contributeBuffer(b, s, slot, this.lossGrad(o, rows), rows);
    }
  }

  /** Adds one gradient contribution to `slot` (a layer returned null: zero, e.g. token ids). */
  private contribute(b: Backend, s: Scratch, slot: number, dx: FloatArray | null, rows: number): void {
    if (dx === null) {
      s.received[slot]++;
      return;
    }
    this.contributeBuffer(b, s, slot, dx, rows);
  }

  private contributeBuffer(b: Backend, s: Scratch, slot: number, g: FloatArray, rows: number): void {
    const uses = s.plan.slots[slot].gradUses;
    const k = s.received[slot]++;
    if (uses === 1) {
      s.grads[slot] = g;
      return;
    }
    // Several contributions: summed into the slot's own accumulator, first copied, the rest added, in the
    // fixed order of the plan (outputs first, then calls from last to first).
    const acc = this.accumulator(slot, rows);
    const n = rows * s.plan.slots[slot].size;
    if (k === 0 || s.grads[slot] === null) acc.set(g.subarray(0, n));
    else addValues(b, acc, g.length === n ? g : g.subarray(0, n), acc, n);
    s.grads[slot] = acc;
  }

  /** The gradient of `slot` once all its contributions arrived (zeros when none carried values). */
  private gradOf(_b: Backend, s: Scratch, slot: number, rows: number): FloatArray {
    const g = s.grads[slot];
    if (g) return g;
    const acc = this.accumulator(slot, rows);
    acc.fill(0);
    return acc;
  }

  private accumulator(slot: number, rows: number): FloatArray {
    let list = this.accumulators.get(rows);
    if (!list) {
      list = new Array<FloatArray | null>(this.scratch!.plan.slots.length).fill(null);
      this.accumulators.set(rows, list);
    }
    let acc = list[slot];
    if (!acc) {
      acc = floatArray(this.model.dtype, rows * this.scratch!.plan.slots[slot].size);
      list[slot] = acc;
    }
    return acc;
  }

  /** Adds each replica's weight gradients into its primary's, in call order; sparse rows no longer apply. */
  private sumReplicaGradients(plan: Plan): void {
    for (const { into, from } of plan.sharedGrads) {
      const g = into.grad,
        r = from.grad;
      for (let i = 0; i < g.length; i++) g[i] += r[i];
      into.sparse = undefined;
    }
  }

  private updateMetrics(metrics: OutputMetric[], ts: readonly Targets[], rows: number): void {
    const s = this.scratch!;
    for (const m of metrics) {
      const out = s.plan.outputs[m.output];
      const [r, c] = this.lossDims(rows, m.output);
      const mask = s.masks[out.slot];
      if (mask) {
        const masked = (this.maskedLosses[m.output] ??= new MaskedLoss(this.model.dtype));
        masked.select(mask, rows, r, c);
        masked.updateMetrics([m.metric], s.values[out.slot], ts[m.output], c);
      } else m.metric.update(s.values[out.slot], ts[m.output], r, c);
    }
  }

  /**
   * This step's SGD update when every call with trainable weights can apply it inside its gradient gemms: plain
   * SGD without clipping, no regularizer (which needs the gradient buffer), no shared layer (whose gradients are
   * summed first). Null otherwise.
   */
  private foldedSgd(plan: Plan): FoldedSgd | null {
    const opt = this.model.optimizer!;
    if (!opt.foldedSgd || !opt.countStep || plan.hasReplicas || !plan.canFoldSgd) return null;
    // A plain loop: this runs every step and must not allocate.
    for (const p of this.model.params()) if (p.regularizer) return null;
    return opt.foldedSgd();
  }

  /** The loss-gradient buffer of output `o` for `rows`-row batches, allocated once per batch size. */
  private lossGrad(o: number, rows: number): FloatArray {
    let list = this.gradBuffers.get(rows);
    if (!list) {
      const plan = this.scratch!.plan;
      list = plan.outputs.map((out) => floatArray(this.model.dtype, rows * plan.slots[out.slot].size));
      this.gradBuffers.set(rows, list);
    }
    return list[o];
  }

  /** Drops buffers sized for the old plan (after the model changes). */
  reset(): void {
    this.scratch = undefined;
    this.gradBuffers.clear();
    this.accumulators.clear();
    this.maskedLosses = [];
  }

  /**
   * The weighted loss of one batch in inference mode, its outputs added to `metrics` (regularisation not
   * included): evaluation batch by batch, for datasets (fitDataset's validation, evaluateDataset).
   */
  evaluateBatch(b: Backend, x: Inputs, rows: number, target: TargetsIn, metrics: OutputMetric[]): number {
    const s = this.current();
    this.forward(b, x, rows, false);
    const ts = this.targetsOf(s, target);
    const loss = this.lossOfOutputs(b, ts, rows, false);
    this.updateMetrics(metrics, ts, rows);
    return loss;
  }

  /**
   * Loss and metrics over checked arrays, in inference mode (validation in fit, evaluate, gradcheck): per output
   * `<output>_loss` too when there are several.
   */
  evaluate(x: Inputs, rows: number, target: TargetsIn, batchSize: number): Record<string, number> {
    const s = this.current();
    const b = this.backendFor(batchSize);
    const metrics = this.makeMetrics();
    const xs = isFloatArray(x) ? [x] : [...x];
    const ts = isFloatArray(target) || target instanceof Int32Array ? [target] : [...target];
    const plan = s.plan;
    const inSizes = plan.inputSlots.map((slot) => plan.slots[slot].size);
    const tPer = ts.map((t, o) =>
      t instanceof Int32Array ? this.lossDims(1, o)[0] : plan.slots[plan.outputs[o].slot].size,
    );
    const bx = xs.map(() => undefined as unknown as FloatArray);
    const bt = ts.map(() => undefined as unknown as Targets);
    const perOutput = new Float64Array(plan.outputs.length);
    let lossSum = 0;
    for (let start = 0; start < rows; start += batchSize) {
      const n = Math.min(batchSize, rows - start);
      for (let i = 0; i < xs.length; i++) bx[i] = xs[i].subarray(start * inSizes[i], (start + n) * inSizes[i]);
      for (let o = 0; o < ts.length; o++) bt[o] = ts[o].subarray(start * tPer[o], (start + n) * tPer[o]) as Targets;
      this.forward(b, bx, n, false);
      lossSum += this.lossOfOutputs(b, bt, n, false) * n;
      for (let o = 0; o < perOutput.length; o++) perOutput[o] += s.outputLoss[o] * n;
      this.updateMetrics(metrics, bt, n);
    }
    const logs: Record<string, number> = { loss: rows ? lossSum / rows + this.model.regularizationPenalty() : NaN };
    if (plan.outputs.length > 1) {
      plan.outputs.forEach((_, o) => {
        if (this.model.outputLosses[o]) logs[`${this.model.outputPrefixes[o]}loss`] = rows ? perOutput[o] / rows : NaN;
      });
    }
    for (const m of metrics) logs[m.key] = m.metric.result();
    return logs;
  }
}

function isFloatArray(x: unknown): x is FloatArray {
  return x instanceof Float32Array || x instanceof Float64Array;
}

/** Fills a multi-input call's per-step input and mask lists (allocated with the plan). */
function gatherCallInputs(c: PlanCall, values: FloatArray[], masks: (FloatArray | null)[]): void {
  for (let k = 0; k < c.inputs.length; k++) {
    c.xs[k] = values[c.inputs[k]];
    c.masks[k] = masks[c.inputs[k]];
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

function sameSizes(a: readonly number[], b: number | readonly number[]): boolean {
  if (typeof b === 'number') return a.length === 1 && a[0] === b;
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The model's inputs as the values of their slots, unmasked. */
function seedInputs(s: Scratch, xs: readonly FloatArray[]): void {
  const { plan, values, masks } = s;
  for (let i = 0; i < plan.inputSlots.length; i++) {
    values[plan.inputSlots[i]] = xs[i];
    masks[plan.inputSlots[i]] = null;
  }
}
