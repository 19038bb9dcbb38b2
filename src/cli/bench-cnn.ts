/**
 * The CNN rows of `backprop bench`: one training step of the three CNNs (src/bench/cnn-bench.ts) on the native and
 * wasm backends (with their thread count and with 1 thread) and the JS backend, the native step over the same
 * products done as plain sgemms, and the GFLOP/s the step achieves next to raw OpenBLAS sgemm on the largest.
 */
import * as bp from '../index';
import type { Backend } from '../backend/ops';
import { cnnGemmShapes, cnnStepFlops, CNN_BATCH, timeCnn, timeCnnGemms, type CnnKind } from '../bench/cnn-bench';
import { rawBlasGflops } from '../bench/raw-blas';

type Row = Record<string, string | number | null>;

const LABELS: Record<CnnKind, string> = {
  keras: 'keras CNN b64 adam',
  small: 'small CNN b64 adam',
  residual: 'residual CNN b64 adam',
};

function rate(seconds: number): number {
  return Math.round(CNN_BATCH / seconds);
}

function spread(t: { median: number; min: number; max: number }): string {
  return `${rate(t.median)} (${rate(t.max)}-${rate(t.min)})`;
}

export async function cnnRows(
  quick: boolean,
  native: Backend | undefined,
  wasm: Backend | undefined,
  js: Backend,
): Promise<{ title: string; rows: Row[] }> {
  const rows: Row[] = [];
  for (const kind of ['small', 'keras', 'residual'] as CnnKind[]) {
    const row: Row = { cnn: LABELS[kind] };
    const flops = cnnStepFlops(kind);
    let nativeMedian: number | null = null;
    if (native) {
      const threads = native.info().threads ?? 1;
      const t = await timeCnn(kind, native, quick ? 0.2 : 0.5, quick ? 3 : 5);
      nativeMedian = t.median;
      row[`native samples/s (${threads} thr)`] = spread(t);
      bp.setThreads(1);
      const t1 = await timeCnn(kind, native, quick ? 0.2 : 0.5, quick ? 3 : 5);
      bp.setThreads(threads);
      row['native 1 thr'] = spread(t1);
      const g = timeCnnGemms(kind, native, quick ? 0.1 : 0.3, quick ? 3 : 5);
      row['step/gemms'] = +(t.median / g.median).toFixed(2);
      row['GFLOP/s'] = +(flops / t.median / 1e9).toFixed(1);
      const [m, n, k] = cnnGemmShapes(kind).reduce((a, s) => (s[0] * s[1] * s[2] > a[0] * a[1] * a[2] ? s : a));
      row['raw sgemm GFLOP/s'] = rawBlasGflops(m, n, k, 'float32', threads);
    }
    let wasmMedian: number | null = null;
    if (wasm) {
      const threads = wasm.info().threads ?? 1;
      const t = await timeCnn(kind, wasm, quick ? 0.2 : 0.5, quick ? 3 : 5);
      wasmMedian = t.median;
      row[`wasm samples/s (${threads} thr)`] = spread(t);
      bp.setThreads(1);
      const t1 = await timeCnn(kind, wasm, quick ? 0.2 : 0.5, quick ? 3 : 5);
      bp.setThreads(threads);
      row['wasm 1 thr'] = spread(t1);
      row['wasm/native time'] = nativeMedian ? +(wasmMedian / nativeMedian).toFixed(2) : null;
    }
    // The residual CNN's JS step takes seconds (seven 28x28 convolutions at batch 64): full runs only.
    if (quick && kind === 'residual') {
      row['js samples/s'] = null;
      row['native/js'] = null;
      row['wasm/js'] = null;
    } else {
      const heavy = kind !== 'small';
      const tj = await timeCnn(kind, js, heavy ? 0.5 : 0.3, quick ? 1 : heavy ? 3 : 5);
      row['js samples/s'] = spread(tj);
      row['native/js'] = nativeMedian ? +(tj.median / nativeMedian).toFixed(1) : null;
      row['wasm/js'] = wasmMedian ? +(tj.median / wasmMedian).toFixed(1) : null;
    }
    rows.push(row);
  }
  return {
    title:
      '(f) CNN training step (float32, Adam, batch 64, 28x28x1; samples/s median (range)); residual = the\n' +
      '    functional residual CNN (7 same convs, batch norm, add; bench/torch_peer.py cnn-residual);\n' +
      '    wasm/native time = the wasm step time over the native one; native/js, wasm/js = speedups over js;\n' +
      '    step/gemms = native step over the same products as plain sgemms (im2col shapes);\n' +
      '    GFLOP/s of the step next to raw sgemm on its largest gemm',
    rows,
  };
}
