/**
 * The native attention kernels: every float32 tile width agrees with the JS reference (the widest the CPU has, by
 * default; AVX2's 8 lanes on an AVX-512 CPU, BACKPROP_CONV_KERNELS=avx2; the AVX-512 path's 16-lane tiles on an
 * AVX2 CPU, BACKPROP_ATTENTION_TILES=wide, so their arithmetic is checked on any x86 machine; the 4-lane baseline,
 * BACKPROP_CONV_KERNELS=blas), each in a child process running the attention cases of the agreement suite. Results
 * are the same bits at any thread count, and values the op table cannot express are refused on both backends.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as bp from '../../src';
import { nativeBackend } from '../../src/backend/select';
import type { NativeBackend } from '../../src/backend/native';
import { runAttention } from '../ops/attention-op-cases';
import { testBackends } from '../support/backends';
import { OP_TABLE } from '../../src/backend/op-table';

const root = path.resolve(__dirname, '../..');
const native = nativeBackend().backend as NativeBackend | undefined;
const lanes = native?.addon.blasInfo().attentionLanes;

function runChild(env: Record<string, string>): { status: number | null; out: string; lanes: number } {
  const full = { ...process.env, ...env, BACKPROP_REQUIRE_NATIVE: '1' };
  const chosen = spawnSync(
    process.execPath,
    ['-e', "console.log(require('./dist/backend/native').loadNativeBackend().backend.addon.blasInfo().attentionLanes)"],
    { cwd: root, env: full, encoding: 'utf8' },
  ).stdout.trim();
  const r = spawnSync(
    process.execPath,
    [
      path.join(root, 'node_modules/jest/bin/jest.js'),
      'test/ops/agreement.test.ts',
      '--runInBand',
      '-t',
      'native backend agrees with the float64 reference attention',
    ],
    { cwd: root, env: full, encoding: 'utf8', timeout: 240000 },
  );
  return { status: r.status, out: `${r.stdout}\n${r.stderr}`, lanes: Number(chosen) };
}

const describeNative = native ? describe : describe.skip;

describeNative('native attention tiles', () => {
  const choices: [string, Record<string, string>, number][] = [['baseline', { BACKPROP_CONV_KERNELS: 'blas' }, 4]];
  if (lanes === 16) choices.push(['AVX2', { BACKPROP_CONV_KERNELS: 'avx2' }, 8]);
  if (lanes === 8) choices.push(['AVX-512 tiles on AVX2', { BACKPROP_ATTENTION_TILES: 'wide' }, 16]);
  test.each(choices)('%s agrees with the reference', (_label, env, want) => {
    const r = runChild(env);
    expect(r.lanes).toBe(want);
    if (r.status !== 0) throw new Error(r.out.slice(-4000));
    expect(r.out).toMatch(/Tests:\s+\d+ skipped, \d+ passed/);
  });
});

describeNative('attention thread counts', () => {
  afterAll(() => bp.setThreads(2));
  const shape = { batch: 3, heads: 5, tq: 70, tk: 90, keyDim: 16, valueDim: 8 };
  const options = { causal: true, keyMask: true, dropout: 0.1 };
  test('the same bits at 1, 2, 3, 4 and 8 threads, run after run (float32 and float64)', () => {
    for (const kind of ['float32', 'float64'] as const) {
      bp.setThreads(1);
      const one = runAttention(native!, kind, false, shape, options);
      for (const t of [2, 3, 4, 8, 2]) {
        bp.setThreads(t);
        expect(runAttention(native!, kind, false, shape, options)).toEqual(one);
      }
    }
  });
});

describe.each(testBackends())('%s backend: attention values the op table cannot express', (_name, b) => {
  const call = (scale: number, rate: number) => {
    const args = OP_TABLE.attentionForward.valid() as Parameters<typeof b.attentionForward>;
    args[15] = scale;
    args[17] = rate;
    b.attentionForward(...args);
  };
  test('a non-finite scale and a dropout rate outside [0, 1) are RangeErrors naming them', () => {
    expect(() => call(0.5, 0)).not.toThrow();
    expect(() => call(Infinity, 0)).toThrow(
      new RangeError("attentionForward(): 'scale' must be a finite number, got Infinity"),
    );
    expect(() => call(NaN, 0)).toThrow(/attentionForward\(\): 'scale' must be a finite number/);
    expect(() => call(0.5, 1)).toThrow(/attentionForward\(\): 'dropout' must be in \[0, 1\), got 1/);
    expect(() => call(0.5, -0.1)).toThrow(/'dropout' must be in \[0, 1\)/);
    expect(() => call(0.5, NaN)).toThrow(/'dropout' must be in \[0, 1\)/);
  });
});
