/**
 * The gemms a training step of an MLP contains, timed alone through the same backend: forward x·W per
 * layer, dW = xᵀ·dZ per layer, dX = dZ·Wᵀ for every layer but the first. A step's time over this is
 * the overhead of everything that is not gemm (activations, loss, optimizer, bias, calls, JS glue).
 */
import type { Backend } from '../backend/ops';
import type { MlpSpec } from './mlp-bench';
import { timeSync } from './timing';

export function gemmOnlyStep(spec: MlpSpec, b: Backend): () => void {
  const { sizes, batch: m } = spec;
  const calls: (() => void)[] = [];
  for (let i = 1; i < sizes.length; i++) {
    const k = sizes[i - 1],
      n = sizes[i];
    const x = new Float32Array(m * k).fill(0.5),
      w = new Float32Array(k * n).fill(0.01),
      z = new Float32Array(m * n);
    const dw = new Float32Array(k * n),
      dx = new Float32Array(m * k);
    calls.push(() => b.gemm(false, false, m, n, k, 1, x, w, 0, z));
    calls.push(() => b.gemm(true, false, k, n, m, 1, x, z, 0, dw));
    if (i > 1) calls.push(() => b.gemm(false, true, m, k, n, 1, z, w, 0, dx));
  }
  return () => {
    for (const c of calls) c();
  };
}

/**
 * Step time over gemm-only time, measured in alternating rounds (step, gemms, step, gemms, ...) and
 * reported as the median of the per-round ratios, so machine drift during the run affects both sides
 * alike; `best` is the fastest step sample over the fastest gemm sample (what each costs undisturbed).
 */
export function stepOverGemms(
  step: () => unknown,
  spec: MlpSpec,
  b: Backend,
  rounds = 9,
  sampleSeconds = 0.08,
): { ratio: number; min: number; max: number; best: number } {
  const gemms = gemmOnlyStep(spec, b);
  const ratios: number[] = [];
  let bestStep = Infinity,
    bestGemms = Infinity;
  for (let r = 0; r < rounds; r++) {
    const ts = timeSync(step, { sampleSeconds, repeats: 3, warmupSeconds: 0.02 });
    const tg = timeSync(gemms, { sampleSeconds, repeats: 3, warmupSeconds: 0.02 });
    ratios.push(ts.median / tg.median);
    bestStep = Math.min(bestStep, ts.min);
    bestGemms = Math.min(bestGemms, tg.min);
  }
  ratios.sort((x, y) => x - y);
  return { ratio: ratios[rounds >> 1], min: ratios[0], max: ratios[rounds - 1], best: bestStep / bestGemms };
}
