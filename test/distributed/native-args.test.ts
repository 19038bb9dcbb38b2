/**
 * The Gloo addon's own checks (native/gloo): every malformed argument from JS is a TypeError or RangeError,
 * never a crash, whatever the JS side validated before.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
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

  test("segmentBytes is this machine's; setSegmentBytes takes a multiple of 8 in [128 KB, 16 MB]", () => {
    const g = new (loadGloo().Group)(0, 1, '127.0.0.1', 1000);
    const set = (...x: unknown[]) => (g.setSegmentBytes as (...y: unknown[]) => void).call(g, ...x);
    try {
      const here = g.segmentBytes();
      expect(here % 8).toBe(0);
      expect(here).toBeGreaterThanOrEqual(131072);
      expect(here).toBeLessThanOrEqual(16777216);
      expect(() => set()).toThrow(/'bytes' must be an integer$/);
      expect(() => set('131072')).toThrow(/'bytes' must be an integer$/);
      expect(() => set(131071)).toThrow(/'bytes' must be an integer in \[131072, 16777216\]/);
      expect(() => set(16777224)).toThrow(/in \[131072, 16777216\]/);
      expect(() => set(131072.5)).toThrow(/in \[131072, 16777216\]/);
      expect(() => set(131076)).toThrow(/'bytes' must be a multiple of 8/);
      set(131072);
      expect(g.segmentBytes()).toBe(here); // the machine's, not the group's
    } finally {
      void g.close();
    }
  });

  test('clearBuckets forgets the buckets (numbering starts again), refused while a sum is queued', async () => {
    // Two ranks in this process: rank 0's sum waits for rank 1's, so it is deterministically still queued.
    const Group = loadGloo().Group;
    const g = [new Group(0, 2, '127.0.0.1', 5000), new Group(1, 2, '127.0.0.1', 5000)];
    const grads = g.map((_, r) => new Float32Array(new SharedArrayBuffer(16)).fill(r + 1));
    const store = tempStore();
    try {
      const bucket = (r: number) =>
        g[r].addBucket(new Float32Array(new SharedArrayBuffer(16)), [grads[r]], true, false);
      expect(bucket(0)).toBe(0);
      expect(bucket(0)).toBe(1);
      g[0].clearBuckets();
      expect(() => g[0].reduce(0)).toThrow(/reduce: no buckets/);
      expect(bucket(0)).toBe(0);
      expect(bucket(1)).toBe(0);
      await Promise.all(g.map((x) => x.connectFile(store)));
      g[0].reduce(0);
      expect(() => g[0].clearBuckets()).toThrow(/clearBuckets: collectives are still queued; await flush\(\) first/);
      expect(() => g[0].setSegmentBytes(131072)).toThrow(/setSegmentBytes: collectives are still queued/);
      g[1].reduce(0);
      await Promise.all(g.map((x) => x.flush()));
      expect(Array.from(grads[0])).toEqual([1.5, 1.5, 1.5, 1.5]); // (1 + 2) / 2
      g[0].clearBuckets();
      g[0].setSegmentBytes(131072);
    } finally {
      await Promise.all(g.map((x) => x.close()));
      fs.rmSync(store, { recursive: true, force: true });
    }
  });

  test('the address must be an IP literal (Gloo would resolve a name, and crash on one that does not resolve)', () => {
    const Group = loadGloo().Group;
    for (const address of ['x', 'localhost', '', '127.0.0.1 ', '999.1.1.1'])
      expect(() => new Group(0, 1, address, 1000)).toThrow(/'address' must be an IPv4 or IPv6 address/);
    void new Group(0, 1, '::1', 1000).close();
  });

  test('collectives queued before connect fail the group; a group connects once', async () => {
    const g = new (loadGloo().Group)(0, 1, '127.0.0.1', 1000);
    const store = tempStore();
    try {
      g.barrier();
      await expect(g.flush()).rejects.toThrow(/a collective was queued before the group connected/);
      const h = new (loadGloo().Group)(0, 1, '127.0.0.1', 1000);
      await h.connectFile(store);
      expect(() => h.connectFile(store)).toThrow(/connect: a group connects once/);
      expect(() => h.connectStore(() => undefined)).toThrow(/connect: a group connects once/);
      await h.close();
    } finally {
      await g.close();
      fs.rmSync(store, { recursive: true, force: true });
    }
  });

  test('a process that exits with its group open (no destroy) exits cleanly', () => {
    const native = path.resolve(__dirname, '../../dist/distributed/native');
    const store = tempStore();
    const code = `
      const { Group } = require(${JSON.stringify(native)}).loadGloo();
      const g = new Group(0, 1, '127.0.0.1', 1000);
      g.connectFile(${JSON.stringify(store)}).then(() => { g.barrier(); g.flush(); setTimeout(() => {}, 20); });`;
    try {
      const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' });
      expect({ signal: r.signal, status: r.status, stderr: r.stderr }).toEqual({ signal: null, status: 0, stderr: '' });
    } finally {
      fs.rmSync(store, { recursive: true, force: true });
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
