/**
 * Timing for benchmarks: warm-up, then repeated samples, each sample batching enough calls to last a
 * few milliseconds so timer resolution and call jitter do not dominate; the median and spread are
 * reported. Benchmarks, never unit tests, judge speed: these machines are shared and noisy.
 */
export interface Timing {
  /** Median seconds per call. */
  median: number;
  min: number;
  max: number;
  /** Calls per sample. */
  inner: number;
  samples: number;
}

export interface TimingOptions {
  /** Samples to take after warm-up (default 7). */
  repeats?: number;
  /** Target duration of one sample, seconds (default 0.05). */
  sampleSeconds?: number;
  /** Warm-up duration, seconds (default 0.1). */
  warmupSeconds?: number;
}

const nowSeconds = (): number => Number(process.hrtime.bigint()) / 1e9;

/** Times a synchronous function. */
export function timeSync(fn: () => void, opts: TimingOptions = {}): Timing {
  const repeats = opts.repeats ?? 7;
  const sampleSeconds = opts.sampleSeconds ?? 0.05;
  const warmupEnd = nowSeconds() + (opts.warmupSeconds ?? 0.1);
  let calls = 0;
  const t0 = nowSeconds();
  do {
    fn();
    calls++;
  } while (nowSeconds() < warmupEnd);
  const perCall = (nowSeconds() - t0) / calls;
  const inner = Math.max(1, Math.round(sampleSeconds / Math.max(perCall, 1e-9)));
  const samples: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t = nowSeconds();
    for (let i = 0; i < inner; i++) fn();
    samples.push((nowSeconds() - t) / inner);
  }
  samples.sort((a, b) => a - b);
  return {
    median: samples[samples.length >> 1],
    min: samples[0],
    max: samples[samples.length - 1],
    inner,
    samples: repeats,
  };
}
