/**
 * Training-step throughput of recurrent classifiers through the model API: LSTM or GRU (sigmoid gates, as
 * PyTorch's) over 50 steps of 32 features → 128 units → dense 10 softmax, batch 64, Adam, float32 — the
 * network bench/torch_peer.py trains for `lstm` / `gru`. Steps run as fit runs them (off the main thread
 * when long). GFLOP/s counts the step's multiply-adds as 3 × the forward's (forward, and backward's input
 * and weight gradients), set against raw OpenBLAS on the per-step recurrent product.
 */
import * as bp from '../index';
import type { Backend } from '../backend/ops';
import { engineOf } from '../model/engine';
import { rawBlasGflops } from './raw-blas';
import type { Timing } from './timing';

export interface RnnSpec {
  cell: 'lstm' | 'gru';
  steps: number;
  features: number;
  units: number;
  batch: number;
}

export const RNN_SPECS: RnnSpec[] = [
  { cell: 'lstm', steps: 50, features: 32, units: 128, batch: 64 },
  { cell: 'gru', steps: 50, features: 32, units: 128, batch: 64 },
];

const GATES = { lstm: 4, gru: 3 };

/** Floating-point operations of one training step (2 per multiply-add). */
export function rnnStepFlops(s: RnnSpec): number {
  const forward = s.steps * (s.features + s.units) * GATES[s.cell] * s.units + s.units * 10;
  return 2 * 3 * forward * s.batch;
}

/** A model for the spec with one prepared batch, and one training step on `b` as fit would run it. */
export function rnnStep(s: RnnSpec, b: Backend): () => Promise<number> | number {
  const rnn = s.cell === 'lstm' ? bp.layers.lstm : bp.layers.gru;
  const model = bp.sequential({
    seed: 1,
    layers: [
      rnn({ units: s.units, recurrentActivation: 'sigmoid', inputShape: [s.steps, s.features] }),
      bp.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: bp.optimizers.adam({ learningRate: 1e-3 }), loss: 'sparseCategoricalCrossentropy' });
  const rng = new bp.Rng(2);
  const x = bp.floatArray('float32', s.batch * s.steps * s.features).map(() => rng.uniform(0, 1));
  const y = Int32Array.from({ length: s.batch }, () => rng.int(10));
  const engine = engineOf(model);
  return engine.offThread(b, s.batch)
    ? () => engine.trainStepAsync(b, x, y, s.batch)
    : () => engine.trainStep(b, x, y, s.batch);
}

/** Median seconds per step over `repeats` samples of at least `sampleSeconds` each, after a warm-up. */
export async function timeRnn(s: RnnSpec, b: Backend, sampleSeconds: number, repeats = 5): Promise<Timing> {
  const step = rnnStep(s, b);
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

/** Raw sgemm GFLOP/s of the per-step recurrent product ([batch, units] × [units, k·units]). */
export function recurrentGemmCeiling(s: RnnSpec, threads?: number): number | null {
  return rawBlasGflops(s.batch, GATES[s.cell] * s.units, s.units, 'float32', threads);
}

/**
 * The rows of `backprop bench`'s recurrent section: for each network, native and wasm at 1 and 2 threads (then
 * restored) and the JS backend, with samples/s, ms per step (median and range) and GFLOP/s.
 */
export async function rnnRows(
  native: Backend | undefined,
  wasm: Backend | undefined,
  js: Backend,
  quick: boolean,
): Promise<Record<string, string | number | null>[]> {
  const rows: Record<string, string | number | null>[] = [];
  const threadsBefore = native?.info().threads ?? wasm?.info().threads;
  for (const s of RNN_SPECS) {
    const runs: [string, Backend, number | null][] = [];
    if (native) for (const t of [1, 2]) runs.push(['native', native, t]);
    if (wasm) for (const t of [1, 2]) runs.push(['wasm', wasm, t]);
    runs.push(['js', js, null]);
    for (const [name, b, threads] of runs) {
      if (threads !== null) bp.setThreads(threads);
      const t = await timeRnn(s, b, name === 'js' ? (quick ? 1 : 3) : quick ? 0.3 : 1, name === 'js' ? 3 : 5);
      const gflops = rnnStepFlops(s) / t.median / 1e9;
      // The ceiling: raw OpenBLAS on one step's gemm, single-threaded (small gemms gain little from a second
      // thread, and on a busy machine a 2-thread figure for them is mostly noise).
      const raw = name === 'native' ? recurrentGemmCeiling(s, 1) : null;
      rows.push({
        network: `${s.cell.toUpperCase()}(${s.units}) ${s.steps}x${s.features} b${s.batch} adam`,
        backend: name,
        threads: threads ?? 1,
        'samples/s': Math.round(s.batch / t.median),
        'ms/step': `${(t.median * 1e3).toFixed(1)} (${(t.min * 1e3).toFixed(1)}-${(t.max * 1e3).toFixed(1)})`,
        'GFLOP/s': +gflops.toFixed(1),
        'raw step sgemm GFLOP/s (1 thread)': raw,
        '% of raw': raw ? +((100 * gflops) / raw).toFixed(0) : null,
      });
    }
  }
  if (threadsBefore) bp.setThreads(threadsBefore);
  return rows;
}
