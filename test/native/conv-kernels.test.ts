/**
 * Every native convolution path agrees with the JS reference: the Winograd and direct AVX-512 kernels (the
 * default on this CPU), the same with AVX2, and the im2col + OpenBLAS path, chosen with BACKPROP_CONV_KERNELS in a
 * child process (the choice is made once per process), each running the convolution cases of the agreement suite.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as bp from '../../src';
import { nativeBackend } from '../../src/backend/select';

const root = path.resolve(__dirname, '../..');
const available = !!nativeBackend().backend;
const kernels = nativeBackend().backend?.info().convolution;

function run(choice: string): { status: number | null; out: string; chosen: string } {
  const env = { ...process.env, BACKPROP_CONV_KERNELS: choice, BACKPROP_REQUIRE_NATIVE: '1' };
  const chosen = spawnSync(process.execPath, ['-e', "console.log(require('./dist').getBackend().convolution)"], {
    cwd: root,
    env,
    encoding: 'utf8',
  }).stdout.trim();
  const r = spawnSync(
    process.execPath,
    [
      path.join(root, 'node_modules/jest/bin/jest.js'),
      'test/ops/agreement.test.ts',
      '--runInBand',
      '-t',
      'native backend agrees with the float64 reference conv2d',
    ],
    { cwd: root, env, encoding: 'utf8', timeout: 240000 },
  );
  return { status: r.status, out: `${r.stdout}\n${r.stderr}`, chosen };
}

const describeNative = available ? describe : describe.skip;
describeNative('native convolution kernels', () => {
  const choices = ['blas', 'nowinograd', ...(kernels?.startsWith('avx512') ? ['avx2', 'avx2,nowinograd'] : [])];
  test.each(choices)('BACKPROP_CONV_KERNELS=%s agrees with the reference', (choice) => {
    const r = run(choice);
    const isa = choice.includes('blas') ? 'blas' : choice.includes('avx2') ? 'avx2' : kernels!.split('+')[0];
    expect(r.chosen).toBe(isa === 'blas' || choice.includes('nowinograd') ? isa : `${isa}+winograd`);
    if (r.status !== 0) throw new Error(r.out.slice(-4000));
    expect(r.out).toMatch(/Tests:\s+\d+ skipped, \d+ passed/);
  });
});

describeNative('the convolution thread pool', () => {
  const b = nativeBackend().backend!;
  // keras-like layer: 8 samples of 12x12x16 → 10x10x32, 3x3 kernel.
  const g = [8, 12, 12, 16, 3, 3, 32, 1, 1, 0, 0, 1, 1, 10, 10, 1] as const;
  const make = (n: number, seed: number) => {
    const a = new Float32Array(n);
    let s = seed;
    for (let i = 0; i < n; i++) a[i] = ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
    return a;
  };
  const inputs = () => ({
    x: make(8 * 12 * 12 * 16, 1),
    w: make(3 * 3 * 16 * 32, 2),
    dy: make(8 * 10 * 10 * 32, 3),
  });
  function backward(threads: number): Float32Array[] {
    bp.setThreads(threads);
    const { x, w, dy } = inputs();
    const z = new Float32Array(dy.length),
      dz = new Float32Array(dy.length);
    const dw = new Float32Array(w.length),
      db = new Float32Array(32),
      dx = new Float32Array(x.length);
    b.conv2dForward(x, w, null, z, z, ...g, 3, 0);
    b.conv2dBackward(x, w, z, z, dy, dz, dw, db, dx, ...g, 3, 0);
    return [z, dw, db, dx];
  }
  afterAll(() => bp.setThreads(2));

  test('results are identical run after run for a thread count, and within rounding across counts', () => {
    const two = backward(2);
    for (let i = 0; i < 5; i++) expect(backward(2)).toEqual(two);
    const one = backward(1);
    expect(one[0]).toEqual(two[0]); // forward and dx: per sample, the same arithmetic whatever the split
    expect(one[3]).toEqual(two[3]);
    for (const k of [1, 2]) {
      for (let i = 0; i < one[k].length; i++)
        expect(Math.abs(one[k][i] - two[k][i])).toBeLessThan(1e-4 * (1 + Math.abs(one[k][i])));
    }
  });

  test('calls running at once (one of them without the pool) give the results of calls run alone', async () => {
    bp.setThreads(2);
    const alone = backward(2);
    const runs = Array.from({ length: 4 }, async () => {
      const { x, w, dy } = inputs();
      const f = (n: number) => bp.floatArray('float32', n) as Float32Array;
      const [xs, ws, dys] = [x, w, dy].map((a) => f(a.length).fill(0));
      xs.set(x);
      ws.set(w);
      dys.set(dy);
      const z = f(dy.length),
        dz = f(dy.length),
        dw = f(w.length),
        db = f(32),
        dx = f(x.length);
      await b.conv2dForwardAsync!(xs, ws, null, z, z, ...g, 3, 0);
      await b.conv2dBackwardAsync!(xs, ws, z, z, dys, dz, dw, db, dx, ...g, 3, 0);
      return [z, dw, db, dx].map((a) => Float32Array.from(a));
    });
    for (const r of await Promise.all(runs)) expect(r).toEqual(alone);
  });
});
