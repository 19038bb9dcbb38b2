/**
 * The wasm backend's memory: an op works on copies of its arrays in the module's memory, which grows as needed and
 * reuses freed blocks (no growth over repeated calls), and whose ceiling (4 GiB, or BACKPROP_WASM_MEMORY_MB) only
 * moves an op that does not fit onto the JS kernels — same answers, nothing lost. Run in child processes: the
 * ceiling is fixed when the module loads.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const DIST = path.resolve(__dirname, '../../dist/index.js');

function child(script: string, env: Record<string, string> = {}): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, ['-e', script], {
    env: { ...process.env, DIST, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

// An Adam step over n weights: its four arrays are copied into the module, 16n bytes.
const ADAM = `
const bp = require(process.env.DIST);
const w = bp.wasmBackend().backend, js = bp.jsReference();
if (!w) throw new Error('no wasm backend: ' + bp.wasmBackend().error);
const n = Number(process.env.N);
const make = () => [0, 1, 2, 3].map((s) => new Float32Array(n).map((_, i) => Math.abs(Math.sin(i * (s + 1))) * 0.5));
const [a, b] = [make(), make()];
w.adamStep(...a, 0.01, 0.9, 0.999, 1e-7, 3, 0, false);
js.adamStep(...b, 0.01, 0.9, 0.999, 1e-7, 3, 0, false);
let worst = 0;
for (let k = 0; k < 4; k++)
  for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(a[k][i] - b[k][i]) / (1e-6 + Math.abs(b[k][i])));
console.log(JSON.stringify({ worst, memory: w.memoryBytes() }));
`;

test('an op too large for a 64 MiB module runs on the JS kernel, with the right answer', () => {
  // 5M weights: 80 MB of copies, more than the module may hold; the JS kernel computes this step bit for bit.
  const big = child(ADAM, { N: '5000000', BACKPROP_WASM_MEMORY_MB: '64' });
  expect(big.status).toBe(0);
  const r = JSON.parse(big.out.trim().split('\n').pop()!);
  expect(r.worst).toBe(0);
  expect(r.memory).toBeLessThanOrEqual(64 * 2 ** 20);
  // The same op at 1M weights fits: the module computes it (float32 arithmetic, within float32 rounding).
  const small = JSON.parse(child(ADAM, { N: '1000000', BACKPROP_WASM_MEMORY_MB: '64' }).out.trim().split('\n').pop()!);
  expect(small.worst).toBeGreaterThan(0);
  expect(small.worst).toBeLessThan(1e-5);
});

test('a bad memory ceiling is a clear load error', () => {
  const r = child(`const bp = require(process.env.DIST); console.log(bp.wasmBackend().error);`, {
    BACKPROP_WASM_MEMORY_MB: '12',
  });
  expect(r.out).toMatch(/BACKPROP_WASM_MEMORY_MB must be an integer in \[64, 4096\], got '12'/);
});

test('repeated calls reuse the freed blocks: the memory stops growing', () => {
  const r = child(`
const bp = require(process.env.DIST);
bp.setBackend('wasm');
const model = bp.sequential({ seed: 1, layers: [
  bp.layers.conv2d({ filters: 16, kernelSize: 3, activation: 'relu', inputShape: [12, 12, 3] }),
  bp.layers.flatten(), bp.layers.dense({ units: 4, activation: 'softmax' }) ] });
model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
const x = bp.tensor(new Float32Array(32 * 12 * 12 * 3).map(Math.random), [32, 12, 12, 3]);
const y = bp.tensor(new Float32Array(32 * 4).map((_, i) => (i % 4 === 0 ? 1 : 0)), [32, 4]);
(async () => {
  for (let i = 0; i < 20; i++) await model.trainOnBatch(x, y);
  const grown = bp.wasmBackend().backend.memoryBytes();
  for (let i = 0; i < 200; i++) await model.trainOnBatch(x, y);
  console.log(JSON.stringify({ grown, after: bp.wasmBackend().backend.memoryBytes() }));
})();
`);
  expect(r.status).toBe(0);
  const { grown, after } = JSON.parse(r.out.trim().split('\n').pop()!);
  expect(after).toBe(grown);
});
