/**
 * Training-step throughput of the two CNNs of the issue through the model API (float32, Adam 1e-3, batch 64,
 * 28×28×1 inputs, softmax cross-entropy from logits) — the networks bench/torch_peer.py and bench/tfjs-peer.js
 * train:
 * - keras: conv 32@3×3 relu → conv 64@3×3 relu → maxpool 2 → flatten → dense 128 relu → dense 10;
 * - small (tfjs-examples mnist): conv 8@5×5 relu → maxpool 2 → conv 16@5×5 relu → maxpool 2 → flatten → dense 10;
 * - residual: the functional residual CNN of src/bench/residual-cnn.ts (7 same convolutions with batch norm, softmax
 *   output, categorical cross-entropy on the probabilities).
 * A step runs as fit runs it (off the main thread when the step is long). Also: the same step's products done as
 * plain sgemms (each convolution as its im2col gemms, forward, dW and dX), for the step/gemm fraction and GFLOP/s.
 */
import * as bp from '../index';
import type { Backend } from '../backend/ops';
import { engineOf } from '../model/engine';
import { timeSync, type Timing } from './timing';
import { residualCnn, residualGemmLayers } from './residual-cnn';

export type CnnKind = 'keras' | 'small' | 'residual';
export const CNN_BATCH = 64;

/** The model of `kind`, compiled as the peers train it. */
export function cnnModel(kind: CnnKind, seed = 1): bp.LayersModel {
  if (kind === 'residual') {
    const model = residualCnn(seed);
    model.compile({ optimizer: bp.optimizers.adam({ learningRate: 1e-3 }), loss: 'categoricalCrossentropy' });
    return model;
  }
  const L = bp.layers;
  const layers =
    kind === 'keras'
      ? [
          L.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
          L.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
          L.maxPooling2d({ poolSize: 2 }),
          L.flatten(),
          L.dense({ units: 128, activation: 'relu' }),
          L.dense({ units: 10 }),
        ]
      : [
          L.conv2d({ filters: 8, kernelSize: 5, activation: 'relu', inputShape: [28, 28, 1] }),
          L.maxPooling2d({ poolSize: 2 }),
          L.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }),
          L.maxPooling2d({ poolSize: 2 }),
          L.flatten(),
          L.dense({ units: 10 }),
        ];
  const model = bp.sequential({ seed, layers });
  model.compile({
    optimizer: bp.optimizers.adam({ learningRate: 1e-3 }),
    loss: bp.losses.categoricalCrossentropy({ fromLogits: true }),
  });
  return model;
}

/** The gemms of one training step, as [m, n, k] (forward, dW, and dX for every layer but the first). */
export function cnnGemmShapes(kind: CnnKind, batch = CNN_BATCH): [number, number, number][] {
  // [rows per sample (output pixels), outputs, inputs (im2col columns)] per conv/dense layer.
  const layers: [number, number, number][] =
    kind === 'residual'
      ? residualGemmLayers()
      : kind === 'keras'
        ? [
            [26 * 26, 32, 9],
            [24 * 24, 64, 288],
            [1, 128, 9216],
            [1, 10, 128],
          ]
        : [
            [24 * 24, 8, 25],
            [8 * 8, 16, 200],
            [1, 10, 256],
          ];
  const out: [number, number, number][] = [];
  layers.forEach(([rows, n, k], i) => {
    const m = rows * batch;
    out.push([m, n, k], [k, n, m]);
    if (i > 0) out.push([m, k, n]);
  });
  return out;
}

/** Floating-point operations of one training step (2 per multiply-add of its gemms). */
export function cnnStepFlops(kind: CnnKind, batch = CNN_BATCH): number {
  return cnnGemmShapes(kind, batch).reduce((s, [m, n, k]) => s + 2 * m * n * k, 0);
}

/** Runs one training step of `model` on `b` the way fit does (off the main thread for long steps). */
export function cnnStep(kind: CnnKind, b: Backend | 'auto', seed = 1): () => Promise<number> | number {
  const model = cnnModel(kind, seed);
  const rng = new bp.Rng(2);
  const batch = CNN_BATCH;
  const x = bp.floatArray('float32', batch * 784).map(() => rng.uniform(0, 1));
  const y = bp.floatArray('float32', batch * 10);
  for (let r = 0; r < batch; r++) y[r * 10 + rng.int(10)] = 1;
  const engine = engineOf(model);
  const backend = b === 'auto' ? engine.backendFor(batch) : b;
  if (engine.offThread(backend, batch)) return () => engine.trainStepAsync(backend, x, y, batch);
  return () => engine.trainStep(backend, x, y, batch);
}

/** Median/min/max seconds per training step over `repeats` samples of at least `sampleSeconds` each. */
export async function timeCnn(kind: CnnKind, b: Backend, sampleSeconds = 0.5, repeats = 5): Promise<Timing> {
  const step = cnnStep(kind, b);
  for (let i = 0; i < 2; i++) await step(); // warm-up: buffers, scratch, optimizer state
  const samples: number[] = [];
  let inner = 1;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    let n = 0;
    do {
      await step();
      n++;
    } while (performance.now() - t0 < sampleSeconds * 1000);
    samples.push((performance.now() - t0) / 1000 / n);
    inner = n;
  }
  samples.sort((p, q) => p - q);
  return {
    median: samples[samples.length >> 1],
    min: samples[0],
    max: samples[samples.length - 1],
    inner,
    samples: repeats,
  };
}

/** The step's gemms alone through `b` (sgemm on the native backend), timed like a step. */
export function timeCnnGemms(kind: CnnKind, b: Backend, sampleSeconds = 0.3, repeats = 5): Timing {
  const calls = cnnGemmShapes(kind).map(([m, n, k]) => {
    const a = new Float32Array(m * k).fill(0.5),
      w = new Float32Array(k * n).fill(0.01),
      c = new Float32Array(m * n);
    return () => b.gemm(false, false, m, n, k, 1, a, w, 0, c);
  });
  return timeSync(
    () => {
      for (const call of calls) call();
    },
    { sampleSeconds, repeats, warmupSeconds: 0.1 },
  );
}
