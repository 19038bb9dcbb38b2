/**
 * Synchronous data parallelism for fit (`distributed: true`), as PyTorch's DistributedDataParallel: rank 0's
 * weights are broadcast at the start, each rank trains on its shard of every epoch, and the weight gradients
 * are averaged over the ranks before every update, so every rank applies the same update to the same weights.
 *
 * Gradients go in buckets of at most 25 MB, filled in reverse layer order and closed at the first layer boundary
 * past 1 MB; a bucket's allreduce is queued as soon as backward has finished its layers and runs on the group's
 * communication thread while backward goes on, or, where that only takes CPU from backward (InitOptions.overlap),
 * every bucket once backward ends.
 * Bucket order and Gloo's reduction order are fixed, so a run is bit-for-bit repeatable at a given world size.
 */
import { floatArray } from '../backend/memory';
import { getBackend } from '../backend/select';
import type { FloatArray } from '../backend/ops';
import type { GradientSync } from '../model/engine';
import type { Model } from '../model/model';
import type { Plan } from '../model/plan';
import type { Param } from '../training/contracts';
import { allowedCpus } from './cpus';
import { CONTROL_PROTOCOL, CONTROL_SLOTS, type FitSetting, packSettings, settingDifference } from './fit-check';
import { fnv1a } from './fnv';
import { compareWithRankZero, nativeGroup } from './group';
import { glooMessage, type NativeGroup } from './native';
import { overlapPays } from './placement';

const DEFAULT_BUCKET_BYTES = 25 * 1024 * 1024;
/**
 * A bucket that holds this much when backward finishes a layer is sent then, even below its cap: a large layer
 * near the output (the dense layer of a CNN) is summed over the network while backward computes the layers
 * before it, instead of waiting in one bucket with them until the end of the step (PyTorch caps its first
 * bucket at 1 MB for the same reason; this applies it to every bucket, cut at layer boundaries).
 */
const SEND_AT_BYTES = 1024 * 1024;

/** Gradient bucket size: BACKPROP_BUCKET_MB (as PyTorch's bucket_cap_mb), else 25 MB. */
function bucketBytes(): number {
  const env = process.env.BACKPROP_BUCKET_MB;
  if (env === undefined || env === '') return DEFAULT_BUCKET_BYTES;
  const mb = Number(env);
  if (!(mb > 0 && mb <= 4096))
    throw new Error(`fit(): distributed: BACKPROP_BUCKET_MB must be a number in (0, 4096], got '${env}'`);
  return Math.max(1, Math.round(mb * 1024 * 1024));
}

/** What the last distributed fit of this process spent on communication (distributed.fitStats()). */
export interface FitStats {
  /** Training steps taken. */
  steps: number;
  /** Gradient buckets per step. */
  buckets: number;
  /** Gradient values summed over the ranks per step (4 or 8 bytes each by dtype). */
  gradientValues: number;
  /** Time this rank waited, after its own backward, for the gradients of the step to be summed, in total. */
  waitMs: number;
  /** Whether buckets were summed while backward ran (InitOptions.overlap), or all once it ended. */
  overlap: boolean;
}

const stats: FitStats = { steps: 0, buckets: 0, gradientValues: 0, waitMs: 0, overlap: true };

/** What the last (or running) distributed fit of this process spent waiting on communication. */
export function fitStats(): FitStats {
  return { ...stats };
}

/** A fingerprint of a model's weights (names, shapes, dtype), to refuse ranks that build different models. */
function fingerprint(model: Model): number {
  const text =
    `${model.dtype}|` +
    model
      .weights()
      .map((w) => `${w.name}:${w.shape.join('x')}`)
      .join(',');
  return fnv1a(text);
}

/** Groups with a distributed fit running: its collectives must not interleave with another's. */
const fitting = new WeakSet<NativeGroup>();

/**
 * A DataParallel for `model` in the current group, in place of the previous fit's: each fit makes its buckets
 * afresh (its model, plan and BLAS threads may differ), so every rank makes the same Gloo runs in the same order
 * in every fit, whichever model each trains, and the group holds one model's gradient arrays at a time.
 */
export function dataParallelFor(model: Model, plan: Plan): DataParallel {
  const { group } = nativeGroup('fit');
  if (fitting.has(group))
    throw new Error(
      'fit(): distributed: another distributed fit is running in this process: await it first (every rank ' +
        'runs its fits one at a time, in the same order)',
    );
  try {
    group.clearBuckets();
  } catch (e) {
    throw new Error(
      `fit(): distributed: the previous fit's gradient sums have not ended (${glooMessage(e)}): ` +
        'await bp.distributed.destroy() and init() again',
    );
  }
  const dp = new DataParallel(model, plan);
  fitting.add(group);
  return dp;
}

export class DataParallel implements GradientSync {
  readonly rank: number;
  readonly worldSize: number;
  private readonly group: NativeGroup;
  /** Buckets that become complete once backward of plan call i is done, in bucket order. */
  private readonly readyAfter: number[][];
  private readonly launched: Uint8Array;
  private readonly control: Float64Array;
  /** 1 on a rank whose loss was not finite, summed with the last bucket: no collective of its own per step. */
  private readonly nonFinite: FloatArray;
  private readonly params: Param[];
  private readonly gradientValues: number;
  /** Whether buckets are summed while backward runs (else all once it ends). */
  readonly overlapping: boolean;

  constructor(
    private readonly model: Model,
    plan: Plan,
  ) {
    const g = nativeGroup('fit');
    this.group = g.group;
    this.rank = g.rank;
    this.worldSize = g.worldSize;
    this.params = model.params();
    for (const p of this.params) {
      if (!(p.grad.buffer instanceof SharedArrayBuffer))
        throw new Error(`fit(): distributed: the gradient of '${p.name}' is not in shared memory (a layer bug)`);
    }
    // Params in the order backward finishes them; the rest (layers backward never reaches) last.
    const order: Param[] = [];
    const finishedBy: number[] = [];
    const seen = new Set<Param>();
    if (!plan.hasReplicas) {
      for (let i = plan.calls.length - 1; i >= 0; i--) {
        const c = plan.calls[i];
        if (!c.backward) continue;
        for (const p of c.layer.params())
          if (p.grad.length > 0 && !seen.has(p) && this.params.includes(p)) {
            seen.add(p);
            order.push(p);
            finishedBy.push(i);
          }
      }
    }
    for (const p of this.params)
      if (p.grad.length > 0 && !seen.has(p)) {
        order.push(p);
        finishedBy.push(-1);
      }
    const width = model.dtype === 'float64' ? 8 : 4;
    const limit = bucketBytes();
    const buckets: { parts: FloatArray[]; last: number }[] = [];
    let bytes = Infinity;
    for (let k = 0; k < order.length; k++) {
      const size = order[k].grad.length * width;
      const layerBoundary = k > 0 && finishedBy[k] !== finishedBy[k - 1];
      if (bytes + size > limit || (layerBoundary && bytes >= SEND_AT_BYTES)) {
        buckets.push({ parts: [], last: finishedBy[k] });
        bytes = 0;
      }
      const b = buckets[buckets.length - 1];
      b.parts.push(order[k].grad);
      // A bucket is complete when its earliest-in-plan layer is done (-1: only at the end of the step).
      b.last = finishedBy[k] === -1 || b.last === -1 ? -1 : Math.min(b.last, finishedBy[k]);
      bytes += size;
    }
    // The loss flag rides in the bucket reduced last. A rank whose loss is not finite skips backward and launches
    // every bucket in finish(), after setting the flag; the others leave it 0, so it is set before it is sent.
    if (buckets.length === 0) buckets.push({ parts: [], last: -1 });
    this.nonFinite = floatArray(model.dtype, 1);
    buckets[buckets.length - 1].parts.push(this.nonFinite);
    this.readyAfter = plan.calls.map(() => []);
    // Without overlap every bucket is queued by finish(), once backward ends (InitOptions.overlap).
    const { here, cores, overlap } = g.placement;
    const early = overlap ?? overlapPays(here, this.worldSize, cores, allowedCpus().length, getBackend().threads ?? 1);
    // Buckets summed once backward ends are summed while the main thread just waits for them: there this rank
    // may busy-poll (InitOptions.busyPoll); earlier ones sleep, leaving the core to backward.
    const lastCall = plan.calls.findIndex((c) => c.backward);
    buckets.forEach((b, index) => {
      const total = b.parts.reduce((n, p) => n + p.length, 0);
      const atEnd = !early || b.last === -1 || b.last === lastCall;
      const id = this.group.addBucket(floatArray(model.dtype, total), b.parts, true, g.busyPoll && atEnd);
      if (id !== index) throw new Error('fit(): distributed: bucket numbering out of step');
      if (!atEnd) this.readyAfter[b.last].push(index);
    });
    this.overlapping = early;
    this.launched = new Uint8Array(buckets.length);
    this.gradientValues = order.reduce((n, p) => n + p.grad.length, 0);
    this.control = floatArray('float64', 4) as Float64Array;
  }

  /**
   * Checks that every rank has the same model, world size and `settings` (fit-check.ts), then copies rank 0's
   * weights to every rank. Returns the sampler's seed, rank 0's.
   */
  async start(settings: readonly FitSetting[]): Promise<number> {
    Object.assign(stats, {
      steps: 0,
      waitMs: 0,
      buckets: this.launched.length,
      gradientValues: this.gradientValues,
      overlap: this.overlapping,
    });
    const c = floatArray('float64', CONTROL_SLOTS) as Float64Array;
    c[0] = fingerprint(this.model);
    c[1] = this.worldSize;
    c[2] = this.rank === 0 ? Math.floor(this.model.rng.next() * 2 ** 32) : 0; // the sampler's seed
    c[3] = CONTROL_PROTOCOL;
    packSettings(c, settings);
    const { why, differing } = await compareWithRankZero(
      this.group,
      c,
      (rank0, mine) =>
        rank0[0] !== mine[0]
          ? 'it built a different model from rank 0 (layer names, weight shapes or dtype differ): every rank ' +
            'must build the same model'
          : settingDifference(mine, rank0, settings),
      () => this.flush("comparing the model and fit with rank 0's"),
    );
    if (differing > 0) {
      throw new Error(
        why
          ? `fit(): distributed: this rank differs: ${why}`
          : `fit(): distributed: ${differing} rank(s) differ from rank 0 in their model or fit (their errors say ` +
              'how): every rank must build the same model and call fit with the same options and number of rows',
      );
    }
    const seed = c[2];
    const weights = this.model.weights();
    const packed = floatArray(
      this.model.dtype,
      weights.reduce((n, w) => n + w.value.length, 0),
    );
    let off = 0;
    for (const w of weights) {
      packed.set(w.value, off);
      off += w.value.length;
    }
    this.group.broadcast(packed, 0);
    await this.flush("broadcasting rank 0's weights");
    off = 0;
    for (const w of weights) {
      w.value.set(packed.subarray(off, off + w.value.length));
      off += w.value.length;
    }
    return seed;
  }

  /** The fit is over (done or failed): the group may take another. */
  end(): void {
    fitting.delete(this.group);
  }

  callDone(call: number): void {
    const ready = this.readyAfter[call];
    for (let k = 0; k < ready.length; k++) {
      this.group.reduce(ready[k]);
      this.launched[ready[k]] = 1;
    }
  }

  async finish(lossFinite: boolean, mainThread: boolean): Promise<boolean> {
    if (!lossFinite) this.nonFinite[0] = 1;
    const t0 = performance.now();
    if (mainThread && !this.launched.includes(1)) {
      // Nothing is queued (the last step's flush settled, no bucket went during backward): sum here, sparing
      // the handoffs to the communication thread and back, as a step on the main thread blocks it anyway.
      try {
        this.group.reduceNow(0, this.launched.length);
      } catch (e) {
        throw this.failure('summing gradients', e);
      }
    } else {
      for (let b = 0; b < this.launched.length; b++) if (!this.launched[b]) this.group.reduce(b);
      await this.flush('summing gradients');
    }
    stats.waitMs += performance.now() - t0;
    stats.steps++;
    this.launched.fill(0);
    const anyNonFinite = this.nonFinite[0] > 0;
    this.nonFinite[0] = 0;
    if (anyNonFinite) return false;
    // Summed gradients are dense: a sparse-rows update would miss the other ranks' rows.
    for (const p of this.params) p.sparse = undefined;
    return true;
  }

  /** Whether `flag` is set on any rank (stop requests: rank 0's callbacks, a rank's abort signal). */
  async anyRank(flag: boolean): Promise<boolean> {
    const c = this.control;
    c.fill(0);
    c[0] = flag ? 1 : 0;
    this.group.allreduce(c);
    await this.flush('agreeing to stop');
    return c[0] > 0;
  }

  /** Averages `values` over the ranks, in place (epoch logs). */
  async average(values: Float64Array): Promise<void> {
    const buf = floatArray('float64', values.length);
    buf.set(values);
    this.group.allreduce(buf);
    await this.flush('averaging metrics');
    for (let i = 0; i < values.length; i++) values[i] = buf[i] / this.worldSize;
  }

  private async flush(what: string): Promise<void> {
    try {
      await this.group.flush();
    } catch (e) {
      throw this.failure(what, e);
    }
  }

  private failure(what: string, e: unknown): Error {
    return new Error(
      `fit(): distributed: rank ${this.rank} of ${this.worldSize} failed while ${what}: ${glooMessage(e)} ` +
        `(a rank stopped or was unreachable; the group cannot continue)`,
    );
  }
}
