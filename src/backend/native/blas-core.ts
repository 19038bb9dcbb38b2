/**
 * Which OpenBLAS kernels run. OpenBLAS 0.3.21 does not recognise some recent CPUs (e.g. a Xeon of family 6
 * model 207 under a hypervisor) and falls back to its generic 'Prescott' kernels, several times slower at
 * sgemm than its SkylakeX ones on the same AVX-512 machine. OpenBLAS reads OPENBLAS_CORETYPE once, when
 * the library loads, so the choice must be in the process environment before the addon is required.
 *
 * Precedence: OPENBLAS_CORETYPE set by the user always wins; else BACKPROP_BLAS_CORETYPE=<name> picks a
 * core, or `auto` leaves the choice to OpenBLAS's own detection; else, on linux-x64, the CPU flags in
 * /proc/cpuinfo choose SkylakeX (AVX-512 F/BW/VL/DQ) or Haswell (AVX2 + FMA), or nothing (older CPUs,
 * which OpenBLAS detects correctly).
 */
import * as fs from 'node:fs';
import { isMainThread } from 'node:worker_threads';

/** What was decided, for getBackend(): e.g. `core chosen by backprop: SkylakeX (avx512f/bw/vl/dq)`. */
export interface BlasCoreChoice {
  /** The core we put in OPENBLAS_CORETYPE, if any. */
  core?: string;
  note: string;
}

/** The core for a /proc/cpuinfo text, from the first processor's flags (undefined: leave it to OpenBLAS). */
export function coreForCpuinfo(cpuinfo: string): { core: string; why: string } | undefined {
  const line = /^flags\s*:(.*)$/m.exec(cpuinfo);
  if (!line) return undefined;
  const flags = new Set(line[1].trim().split(/\s+/));
  if (['avx512f', 'avx512bw', 'avx512vl', 'avx512dq'].every((f) => flags.has(f))) {
    return { core: 'SkylakeX', why: 'avx512f/bw/vl/dq' };
  }
  if (flags.has('avx2') && flags.has('fma')) return { core: 'Haswell', why: 'avx2+fma' };
  return undefined;
}

const CORE_NAME = /^[A-Za-z][A-Za-z0-9]{0,31}$/;

/**
 * Sets OPENBLAS_CORETYPE when neither the user nor BACKPROP_BLAS_CORETYPE has decided, and says what was
 * done. Call before the addon (and so OpenBLAS) is loaded. In a worker thread process.env is a private
 * copy that OpenBLAS never sees, so there it only reports what the process inherited.
 */
export function chooseBlasCore(
  env: NodeJS.ProcessEnv = process.env,
  platform = `${process.platform}-${process.arch}`,
  readCpuinfo = () => fs.readFileSync('/proc/cpuinfo', 'utf8'),
): BlasCoreChoice {
  const user = env.OPENBLAS_CORETYPE;
  if (user) return { note: `OPENBLAS_CORETYPE=${user} from the environment` };
  const override = env.BACKPROP_BLAS_CORETYPE;
  if (override === 'auto') return { note: 'BACKPROP_BLAS_CORETYPE=auto: detected by OpenBLAS' };
  if (!isMainThread)
    return { note: 'detected by OpenBLAS (worker thread: the process environment is not ours to set)' };
  let pick: { core: string; why: string } | undefined;
  if (override !== undefined && override !== '') {
    if (!CORE_NAME.test(override)) {
      return { note: `BACKPROP_BLAS_CORETYPE='${override}' is not a core name (e.g. SkylakeX, Haswell); ignored` };
    }
    pick = { core: override, why: 'BACKPROP_BLAS_CORETYPE' };
  } else {
    if (platform !== 'linux-x64') return { note: 'detected by OpenBLAS' };
    let cpuinfo = '';
    try {
      cpuinfo = readCpuinfo();
    } catch {
      return { note: 'detected by OpenBLAS (/proc/cpuinfo unreadable)' };
    }
    pick = coreForCpuinfo(cpuinfo);
    if (!pick) return { note: 'detected by OpenBLAS (no AVX2/AVX-512 in /proc/cpuinfo)' };
  }
  // Assigning process.env on the main thread calls setenv(), so OpenBLAS's getenv() sees it at load.
  env.OPENBLAS_CORETYPE = pick.core;
  return { core: pick.core, note: `core chosen by backprop: ${pick.core} (${pick.why})` };
}

/** The note for getBackend(), re-checked at load: a user who set OPENBLAS_CORETYPE after import wins. */
export function describeChoice(choice: BlasCoreChoice, env: NodeJS.ProcessEnv = process.env): string {
  if (choice.core && env.OPENBLAS_CORETYPE !== choice.core) {
    return `OPENBLAS_CORETYPE=${env.OPENBLAS_CORETYPE ?? ''} set by the user`;
  }
  return choice.note;
}
