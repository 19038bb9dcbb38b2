/**
 * The Gloo addon's own checks (native/gloo): every malformed argument from JS is a TypeError or RangeError,
 * never a crash, whatever the JS side validated before.
 */
import * as fs from 'node:fs';
import { allowedCpus } from '../../src/distributed/cpus';
import { loadGloo } from '../../src/distributed/native';
import { GLOO_ADDON, tempStore } from './ranks';

const describeGloo = fs.existsSync(GLOO_ADDON) ? describe : describe.skip;

describeGloo('Gloo addon arguments', () => {
  test.each([
    [[], /expected an array of CPU numbers/],
    [['0'], /expected an array of CPU numbers/],
    [[[]], /expected an array of CPU numbers/],
    [[[-1]], /expected an array of CPU numbers in \[0, 1024\)/],
    [[[1024]], /in \[0, 1024\)/],
    [[[0.5]], /in \[0, 1024\)/],
    [[[NaN]], /in \[0, 1024\)/],
    [[['0']], /expected an array of CPU numbers/],
    [[new Array(2000).fill(0)], /in \[0, 1024\)/],
  ])('setAffinity(%j) is refused', (args, message) => {
    const { setAffinity } = loadGloo() as unknown as { setAffinity: (...a: unknown[]) => number };
    expect(() => setAffinity(...(args as unknown[]))).toThrow(message);
  });

  test('setAffinity binds this process to the CPUs it already has, and counts its threads', () => {
    const cpus = allowedCpus();
    expect(loadGloo().setAffinity(cpus)).toBeGreaterThanOrEqual(1);
    expect(allowedCpus()).toEqual(cpus);
  });

  test('addBucket needs its spin flag as a boolean', () => {
    const g = new (loadGloo().Group)(0, 1, '127.0.0.1', 1000);
    const a = new Float32Array(new SharedArrayBuffer(16));
    try {
      expect(() => (g.addBucket as (...x: unknown[]) => number)(a, [a], true)).toThrow(
        /expected \(buffer, parts\[\], divide, spin\)/,
      );
      expect(() => (g.addBucket as (...x: unknown[]) => number)(a, [a], true, 1)).toThrow(/divide, spin/);
      expect(g.addBucket(a, [a], true, true)).toBe(0);
    } finally {
      void g.close();
    }
  });

  test('reduceNow checks its range and that the group is connected and idle, then sums in place', async () => {
    const g = new (loadGloo().Group)(0, 1, '127.0.0.1', 1000);
    const grad = new Float32Array(new SharedArrayBuffer(16)).fill(3);
    const store = tempStore();
    try {
      g.addBucket(new Float32Array(new SharedArrayBuffer(16)), [grad], true, false);
      expect(() => g.reduceNow(0, 1)).toThrow(/reduceNow: the group is not connected/);
      await g.connectFile(store);
      const call = (...x: unknown[]) => (g.reduceNow as (...y: unknown[]) => void).call(g, ...x);
      expect(() => call(0, 2)).toThrow(/'to' must be an integer in \[0, 1\]/);
      expect(() => call(1, 0)).toThrow(/'to' must be an integer in \[1, 1\]/);
      expect(() => call(-1, 1)).toThrow(/'from' must be an integer in \[0, 1\]/);
      expect(() => call('0', 1)).toThrow(/'from' must be an integer$/);
      expect(() => call(0)).toThrow(/'to' must be an integer$/);
      g.reduceNow(0, 1);
      g.reduceNow(1, 1); // empty range
      expect(Array.from(grad)).toEqual([3, 3, 3, 3]); // a group of one: the sum over one rank, / 1
      await g.flush();
    } finally {
      await g.close();
      fs.rmSync(store, { recursive: true, force: true });
    }
  });
});
