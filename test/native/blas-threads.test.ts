/**
 * OpenBLAS's idle threads: backprop shortens their spin (OPENBLAS_THREAD_TIMEOUT) before the addon loads,
 * so that they do not take the cores from the convolution kernels' own threads after each gemm; a value the
 * user set is left alone. The speed effect is measured by `backprop bench` (section f), not here.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { chooseThreadTimeout, DEFAULT_THREAD_TIMEOUT } from '../../src/backend/native/blas-threads';

describe('OPENBLAS_THREAD_TIMEOUT', () => {
  test('set on the main thread when the user did not choose', () => {
    const env: NodeJS.ProcessEnv = {};
    expect(chooseThreadTimeout(env, true)).toBe(String(DEFAULT_THREAD_TIMEOUT));
    expect(env.OPENBLAS_THREAD_TIMEOUT).toBe('20');
    const empty: NodeJS.ProcessEnv = { OPENBLAS_THREAD_TIMEOUT: '' };
    expect(chooseThreadTimeout(empty, true)).toBe('20');
  });
  test("the user's value wins; a worker thread sets nothing (OpenBLAS never sees its copy of the environment)", () => {
    const env: NodeJS.ProcessEnv = { OPENBLAS_THREAD_TIMEOUT: '28' };
    expect(chooseThreadTimeout(env, true)).toBe('28');
    expect(env.OPENBLAS_THREAD_TIMEOUT).toBe('28');
    const worker: NodeJS.ProcessEnv = {};
    expect(chooseThreadTimeout(worker, false)).toBeUndefined();
    expect(worker).toEqual({});
  });
  test('importing the package sets it before the addon loads, and keeps the user value', () => {
    const dist = path.resolve(__dirname, '../../dist/index.js');
    const read = (env: NodeJS.ProcessEnv) => {
      const r = spawnSync(
        process.execPath,
        ['-e', `require(${JSON.stringify(dist)}); console.log(process.env.OPENBLAS_THREAD_TIMEOUT)`],
        { env, encoding: 'utf8' },
      );
      expect(r.status).toBe(0);
      return r.stdout.trim();
    };
    const base = { ...process.env };
    delete base.OPENBLAS_THREAD_TIMEOUT;
    expect(read(base)).toBe('20');
    expect(read({ ...base, OPENBLAS_THREAD_TIMEOUT: '25' })).toBe('25');
  });
});
