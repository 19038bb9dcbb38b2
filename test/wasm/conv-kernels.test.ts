/**
 * Every wasm convolution path agrees with the JS reference: Winograd + direct register tiles (the default, run by
 * the agreement suite itself), the direct tiles alone, and im2col + gemm, chosen with BACKPROP_CONV_KERNELS in a
 * child process (the choice is made when the module loads), each running the agreement suite's convolution cases.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../..');

function run(choice: string): { status: number | null; out: string; chosen: string } {
  const env = { ...process.env, BACKPROP_CONV_KERNELS: choice };
  const chosen = spawnSync(
    process.execPath,
    ['-e', "console.log(require('./dist').wasmBackend().backend.info().convolution)"],
    { cwd: root, env, encoding: 'utf8' },
  ).stdout.trim();
  const r = spawnSync(
    process.execPath,
    [
      path.join(root, 'node_modules/jest/bin/jest.js'),
      'test/ops/agreement.test.ts',
      '--runInBand',
      '-t',
      'wasm backend agrees with the float64 reference conv2d',
    ],
    { cwd: root, env, encoding: 'utf8', timeout: 300_000 },
  );
  return { status: r.status, out: `${r.stdout}\n${r.stderr}`, chosen };
}

test.each([
  ['nowinograd', 'wasm-simd128'],
  ['blas', 'wasm-simd128 im2col+gemm'],
])('BACKPROP_CONV_KERNELS=%s (%s) agrees with the reference', (choice, label) => {
  const r = run(choice);
  expect(r.chosen).toBe(label);
  if (r.status !== 0) throw new Error(r.out.slice(-4000));
  expect(r.out).toMatch(/Tests:\s+\d+ skipped, \d+ passed/);
});
