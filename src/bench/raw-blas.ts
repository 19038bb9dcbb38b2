/**
 * The raw OpenBLAS gemm rate, measured by a small C program (scripts/raw-gemm.c) with no Node in
 * between: the ceiling the native backend's gemm is compared against. Compiled on first use when a C
 * compiler and cblas.h are present; otherwise the figure is simply unavailable.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const INCLUDE_DIRS = [
  '/usr/include/x86_64-linux-gnu/openblas-pthread',
  '/usr/include/aarch64-linux-gnu/openblas-pthread',
  '/usr/include/openblas',
];
let compiled: string | null | undefined;

function compile(): string | null {
  const src = path.join(ROOT, 'scripts', 'raw-gemm.c');
  if (!fs.existsSync(src)) return null;
  const exe = path.join(os.tmpdir(), `backprop-raw-gemm-${process.getuid?.() ?? 0}`);
  const includes = INCLUDE_DIRS.filter((d) => fs.existsSync(path.join(d, 'cblas.h'))).map((d) => `-I${d}`);
  try {
    execFileSync('cc', ['-O2', '-o', exe, src, ...includes, '-lopenblas'], { stdio: 'ignore', timeout: 60000 });
    return exe;
  } catch {
    return null;
  }
}

/**
 * GFLOP/s of raw `cblas_?gemm` (row-major, no transposes) for m×k·k×n, or null when it cannot be
 * measured here. `threads` sets OPENBLAS_NUM_THREADS for the child so both sides use the same count.
 */
export function rawBlasGflops(
  m: number,
  n: number,
  k: number,
  dtype: 'float32' | 'float64',
  threads?: number,
): number | null {
  if (compiled === undefined) compiled = compile();
  if (!compiled) return null;
  const env = { ...process.env };
  if (threads) env.OPENBLAS_NUM_THREADS = String(threads);
  try {
    const out = execFileSync(compiled, [String(m), String(n), String(k), '9', dtype === 'float64' ? 'f64' : 'f32'], {
      env,
      timeout: 120000,
    });
    const v = Number(String(out).trim());
    return Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
}
