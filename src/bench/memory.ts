/**
 * Memory soak: after warm-up a training step must allocate nothing that accumulates. Trains one model for
 * 10,000 steps and compares RSS and V8 external memory (typed-array backing stores) at step 1,000 and 10,000.
 */
import type { Backend } from '../backend/ops';
import { mlpStep, type MlpSpec } from './mlp-bench';

export interface MemoryReport {
  steps: number;
  rssAt1k: number;
  rssAtEnd: number;
  rssGrowthPct: number;
  externalAt1k: number;
  externalAtEnd: number;
  externalGrowthPct: number;
}

export function memorySoak(spec: MlpSpec, b: Backend | 'auto', steps = 10000): MemoryReport {
  const step = mlpStep(spec, b);
  const sample = () => {
    (global as { gc?: () => void }).gc?.();
    const m = process.memoryUsage();
    return { rss: m.rss, external: m.external + m.arrayBuffers };
  };
  let at1k = sample();
  for (let i = 1; i <= steps; i++) {
    step();
    if (i === 1000) at1k = sample();
  }
  const end = sample();
  const pct = (a: number, c: number) => +((100 * (c - a)) / a).toFixed(2);
  return {
    steps,
    rssAt1k: at1k.rss,
    rssAtEnd: end.rss,
    rssGrowthPct: pct(at1k.rss, end.rss),
    externalAt1k: at1k.external,
    externalAtEnd: end.external,
    externalGrowthPct: pct(at1k.external, end.external),
  };
}
