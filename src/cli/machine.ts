/** What machine and runtime we are on (for `info` and the top of `bench`). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as bp from '../index';
import { VERSION } from '../io/save';

export function cpuFeatures(): string[] {
  try {
    const flags = /^flags\s*:\s*(.*)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1].split(/\s+/) ?? [];
    return ['sse4_2', 'avx', 'avx2', 'fma', 'avx512f', 'avx512bw', 'avx512vl', 'avx512_vnni', 'asimd', 'neon'].filter(
      (f) => flags.includes(f),
    );
  } catch {
    return [];
  }
}

export function machine(): Record<string, unknown> {
  const b = bp.getBackend();
  return {
    backprop: VERSION,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    cpuFeatures: cpuFeatures(),
    backend: b.name,
    reason: b.reason,
    blas: b.blas ?? null,
    blasThreads: b.name === 'native' ? (b.threads ?? null) : null,
    addon: b.name === 'native' ? (b.loadedFrom ?? null) : null,
    nativeError: bp.nativeBackend().error ?? null,
    // the WebAssembly backend, when it is the one in use
    wasmThreads: b.name === 'wasm' ? (b.threads ?? null) : null,
    wasmModule: b.name === 'wasm' ? (b.loadedFrom ?? null) : null,
    convolution: b.convolution ?? null,
  };
}
