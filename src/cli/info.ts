/** `backprop info`: version, backend and why, BLAS and threads, CPU features, where the addon (or wasm) came from. */
import { machine } from './machine';

export function info(o: { json?: boolean }): void {
  const m = machine();
  if (o.json) {
    process.stdout.write(`${JSON.stringify(m)}\n`);
    return;
  }
  const rows: [string, unknown][] = [
    ['backprop', m.backprop],
    ['node', `${m.node} (${m.platform})`],
    ['cpu', `${m.cpu}, ${m.cores} cores`],
    ['cpu features', (m.cpuFeatures as string[]).join(' ') || 'n/a'],
    ['backend', m.backend],
    ['chosen because', m.reason],
    ['BLAS', m.blas ?? `n/a (${m.backend === 'wasm' ? 'WebAssembly SIMD kernels' : 'pure-JS backend'})`],
    ['BLAS threads', m.blasThreads ?? 'n/a'],
    ['addon loaded from', m.addon ?? 'not loaded'],
  ];
  if (m.backend === 'wasm') {
    rows.push(['wasm threads', m.wasmThreads], ['wasm module', m.wasmModule], ['convolutions', m.convolution]);
  }
  if (m.nativeError) rows.push(['addon error', m.nativeError]);
  for (const [k, v] of rows) process.stdout.write(`${k.padEnd(18)} ${v}\n`);
}
