/**
 * Transformer benchmarks of `backprop bench` (issue 23), the networks bench/torch_peer.py trains as `gpt` /
 * `gpt-manual` and `mha` / `mha-manual`:
 * - the GPT training step of examples/gpt.js (vocabulary 40, context 64, batch 32, 4 pre-norm decoder blocks of 128
 *   features, 4 heads, feed-forward 512, AdamW), as fit runs it;
 * - multi-head self-attention alone, forward + backward (input and weight gradients of the sum of its outputs):
 *   T 256, d 256, 8 heads, batch 16.
 * GFLOP/s counts the products' multiply-adds ×2, backward as twice the forward (the attention's own backward
 * recomputes the scores: ×2.5 there).
 */
import * as bp from '../index';
import type { Backend } from '../backend/ops';
import { floatArray } from '../backend/memory';
import { allocParam } from '../layers/layer';
import { MultiHeadAttentionCore, type AttentionDims } from '../layers/multi-head-attention-core';
import { engineOf } from '../model/engine';
import { gptLayers } from '../data/char-lm';
import type { Timing } from './timing';

export const GPT = { vocabulary: 40, steps: 64, batch: 32, d: 128, heads: 4, inner: 512, blocks: 4 };
export const MHA = { steps: 256, d: 256, heads: 8, batch: 16 };

/** Floating-point operations of a GPT training step. */
export function gptStepFlops(): number {
  const { vocabulary: V, steps: T, batch: B, d, inner, blocks } = GPT;
  const rows = B * T;
  const perBlock = rows * (4 * d * d + 2 * d * inner) + B * T * T * d * 2;
  return 2 * 3 * (blocks * perBlock + rows * d * V);
}

/** Floating-point operations of one attention forward + backward. */
export function mhaFlops(): number {
  const { steps: T, d, batch: B } = MHA;
  return 2 * (3 * B * T * 4 * d * d + 3.5 * B * T * T * d * 2);
}

/** One GPT training step on `b`, as fit would run it (off the main thread when long). */
export function gptStep(b: Backend): () => Promise<number> | number {
  const model = bp.sequential({
    seed: 1,
    layers: gptLayers({ vocabularySize: GPT.vocabulary, sequenceLength: GPT.steps }),
  });
  model.compile({
    optimizer: bp.optimizers.adamw({ learningRate: 1e-3 }),
    loss: bp.losses.sparseCategoricalCrossentropy({ fromLogits: true }),
  });
  const rng = new bp.Rng(2);
  const n = GPT.batch * GPT.steps;
  const x = floatArray('float32', n).map(() => rng.int(GPT.vocabulary));
  const y = Int32Array.from({ length: n }, () => rng.int(GPT.vocabulary));
  const engine = engineOf(model);
  engine.checkBatchMemory('bench', GPT.batch);
  model.build([GPT.steps]);
  return engine.offThread(b, GPT.batch)
    ? () => engine.trainStepAsync(b, x, y, GPT.batch)
    : () => engine.trainStep(b, x, y, GPT.batch);
}

/** Multi-head self-attention forward + backward on `b`. */
export function mhaStep(b: Backend): () => void {
  const { steps: T, d, heads, batch } = MHA;
  const core = new MultiHeadAttentionCore({
    numHeads: heads,
    keyDim: d / heads,
    valueDim: d / heads,
    dropout: 0,
    useBias: true,
    kernelInitializer: bp.initializers.glorotUniform(),
    biasInitializer: bp.initializers.zeros(),
  });
  const dims: AttentionDims = { queryDim: d, keyInDim: d, valueInDim: d, outputDim: d, tq: T, tk: T };
  const rng = new bp.Rng(1);
  const params = core.weightSpecs('', dims).map((s) => {
    const p = allocParam(s.name, s.shape, 'float32');
    s.initializer.fill(p.value, p.shape, rng);
    return p;
  });
  core.bind(dims, 'float32', (name) => params.find((p) => p.name === name)!);
  const x = floatArray('float32', batch * T * d).map(() => rng.uniform(-1, 1));
  const dy = floatArray('float32', batch * T * d).fill(1);
  const dx = floatArray('float32', batch * T * d);
  const masks = { mask: null, keyMask: null, queryMask: null, causal: false };
  return () => {
    core.forward(b, x, x, x, batch, masks, true, rng);
    core.backward(b, dy, true, dx, dx, dx);
  };
}

/** Median seconds per call over `repeats` samples of at least `sampleSeconds`, after a warm-up. */
export async function timeStep(
  step: () => Promise<unknown> | unknown,
  sampleSeconds: number,
  repeats = 5,
): Promise<Timing> {
  const now = () => performance.now() / 1000;
  const t0 = now();
  let calls = 0;
  do {
    await step();
    calls++;
  } while (calls < 2 || now() - t0 < sampleSeconds / 2);
  const inner = Math.max(1, Math.round(sampleSeconds / ((now() - t0) / calls)));
  const samples: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t = now();
    for (let i = 0; i < inner; i++) await step();
    samples.push((now() - t) / inner);
  }
  samples.sort((a, c) => a - c);
  return { median: samples[repeats >> 1], min: samples[0], max: samples[repeats - 1], inner, samples: repeats };
}

/**
 * The rows of `backprop bench`'s transformer section: each network on native at 1 and 2 threads (restored after;
 * with `quick`, one sample at the current count).
 * The JS backend is left out: a GPT step takes it tens of seconds.
 */
export async function transformerRows(
  native: (Backend & { setThreads?(n: number): void }) | undefined,
  quick: boolean,
): Promise<Record<string, string | number | null>[]> {
  const rows: Record<string, string | number | null>[] = [];
  if (!native) return rows;
  const threadsBefore = native.info().threads;
  const nets: [string, () => () => Promise<unknown> | unknown, number, number][] = [
    [
      `GPT step (V ${GPT.vocabulary}, T ${GPT.steps}, b${GPT.batch}, 4x decoder d128) adamw`,
      () => gptStep(native),
      gptStepFlops(),
      GPT.batch,
    ],
    [
      `MultiHeadAttention fwd+bwd (T ${MHA.steps}, d ${MHA.d}, ${MHA.heads} heads, b${MHA.batch})`,
      () => mhaStep(native),
      mhaFlops(),
      MHA.batch,
    ],
  ];
  // --quick: one sample at the current thread count (a GPT step takes a JS-free second on a busy machine).
  const threadCounts = quick ? [threadsBefore ?? 1] : [1, 2];
  for (const [network, make, flops, batch] of nets) {
    for (const threads of threadCounts) {
      bp.setThreads(threads);
      const t = await timeStep(make(), quick ? 0 : 2, quick ? 1 : 5);
      rows.push({
        network,
        backend: 'native',
        threads,
        'samples/s': Math.round(batch / t.median),
        'ms/step': `${(t.median * 1e3).toFixed(1)} (${(t.min * 1e3).toFixed(1)}-${(t.max * 1e3).toFixed(1)})`,
        'GFLOP/s': +(flops / t.median / 1e9).toFixed(1),
      });
    }
  }
  if (threadsBefore) bp.setThreads(threadsBefore);
  return rows;
}
