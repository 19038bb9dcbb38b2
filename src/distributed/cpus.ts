/**
 * CPU lists as Linux writes them ("0-3,8,10-11"): which CPUs this process may run on, and how `backprop launch`
 * shares them out, one block of consecutive CPUs per rank (as PyTorch's CPU launcher binds its instances).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';

/** The most CPUs a list may name (Linux's CPU_SETSIZE). */
export const MAX_CPUS = 1024;

/** "0-3,8" → [0, 1, 2, 3, 8]; an error naming `what` and the expected form otherwise. */
export function parseCpuList(text: string, what: string): number[] {
  const fix = `${what} must be a CPU list such as 0-3,8 (CPU numbers below ${MAX_CPUS}), got '${text}'`;
  const cpus = new Set<number>();
  if (text.length > 8192) throw new Error(fix);
  for (const part of text.trim().split(',')) {
    const m = /^(\d{1,4})(?:-(\d{1,4}))?$/.exec(part.trim());
    if (!m) throw new Error(fix);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo || hi >= MAX_CPUS) throw new Error(fix);
    for (let c = lo; c <= hi; c++) cpus.add(c);
  }
  return [...cpus].sort((a, b) => a - b);
}

/** [0, 1, 2, 3, 8] → "0-3,8". */
export function formatCpuList(cpus: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < cpus.length;) {
    let j = i;
    while (j + 1 < cpus.length && cpus[j + 1] === cpus[j] + 1) j++;
    parts.push(j === i ? `${cpus[i]}` : `${cpus[i]}-${cpus[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** The CPUs this process may run on (its affinity, as /proc reports it), else 0..availableParallelism-1. */
export function allowedCpus(): number[] {
  try {
    const status = fs.readFileSync('/proc/self/status', 'utf8');
    const line = /^Cpus_allowed_list:\s*(\S+)\s*$/m.exec(status);
    if (line) return parseCpuList(line[1], 'Cpus_allowed_list');
  } catch {
    // not Linux, or /proc not mounted: fall through
  }
  return Array.from({ length: os.availableParallelism() }, (_, i) => i);
}

/**
 * One CPU list per local rank: `nproc` consecutive blocks of `perRank` CPUs (default: an equal share of
 * `allowed`), each at least `threads` CPUs. Undefined when they do not fit (more ranks × threads than CPUs):
 * ranks then share every CPU, unbound.
 */
export function cpuBlocks(
  nproc: number,
  threads: number,
  allowed: readonly number[],
  perRank = Math.floor(allowed.length / nproc),
): string[] | undefined {
  if (perRank < 1 || perRank < threads || perRank * nproc > allowed.length) return undefined;
  return Array.from({ length: nproc }, (_, r) => formatCpuList(allowed.slice(r * perRank, (r + 1) * perRank)));
}
