/**
 * The dataset operations on in-memory sources: array and generator passes, map/filter/batch/shuffle/
 * prefetch/take/skip/repeat/zip/cache, sizes, seeded orders that repeat per pass, leases released exactly
 * once, and cache files checked as untrusted input.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { derived, zip, type Dataset } from '../../../src/data/dataset/dataset';
import { array, generator } from '../../../src/data/dataset/sources';
import { textLineDataset } from '../../../src/data/dataset/text-lines';
import { stack } from '../../../src/data/dataset/element';
import type { Pass } from '../../../src/data/dataset/ops';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-ds-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** A source whose elements are borrowed (as a worker's batch slots are), counting releases. */
function borrowed(n: number) {
  const state = { released: 0, live: 0, maxLive: 0 };
  const ds = derived(
    async function* (): Pass<{ v: Float32Array }> {
      for (let i = 0; i < n; i++) {
        state.live++;
        state.maxLive = Math.max(state.maxLive, state.live);
        const buf = Float32Array.of(i);
        let done = false;
        yield {
          value: { v: buf },
          borrowed: true,
          release: () => {
            if (done) throw new Error('released twice');
            done = true;
            state.released++;
            state.live--;
            buf[0] = -1; // the producer reuses the memory
          },
        };
      }
    },
    () => n,
  );
  return { ds, state };
}

describe('sources and chained operations', () => {
  test('array and generator (sync and async), map, filter, take, skip, sizes', async () => {
    const a = array(range(10));
    expect(a.size).toBe(10);
    expect(
      await a
        .map((v) => v * 2)
        .filter((v) => v % 3 === 0)
        .toArray(),
    ).toEqual([0, 6, 12, 18]);
    expect(await a.skip(7).toArray()).toEqual([7, 8, 9]);
    expect(await a.take(2).toArray()).toEqual([0, 1]);
    expect(a.skip(7).size).toBe(3);
    expect(a.take(20).size).toBe(10);
    const g = generator(function* () {
      for (let i = 0; i < 3; i++) yield i;
    });
    expect(await g.toArray()).toEqual([0, 1, 2]);
    expect(await g.toArray()).toEqual([0, 1, 2]); // each pass calls the function again
    const ag = generator(async function* () {
      yield 'a';
      yield 'b';
    });
    expect(await ag.map(async (s) => s.toUpperCase()).toArray()).toEqual(['A', 'B']);
    expect(() => generator(5 as never)).toThrow(/expected a function/);
    await expect(generator(() => 5 as never).toArray()).rejects.toThrow(/not an iterator/);
  });

  test('batch stacks numbers, vectors, tensors and records; shapes must agree', async () => {
    const rows = array(range(5).map((i) => ({ xs: [i, i + 0.5], ys: i % 2, name: `r${i}` })));
    const batches = await rows.batch(2).toArray();
    expect(rows.batch(2).size).toBe(3);
    expect(rows.batch(2, false).size).toBe(2);
    expect(batches.map((b) => b.xs.shape)).toEqual([
      [2, 2],
      [2, 2],
      [1, 2],
    ]);
    expect(Array.from(batches[1].xs.data)).toEqual([2, 2.5, 3, 3.5]);
    expect(batches[0].ys).toEqual({ data: Float32Array.of(0, 1), shape: [2], dtype: 'float32' });
    expect(batches[2].name).toEqual(['r4']);
    const t = stack([
      { data: Int32Array.of(1, 2), shape: [2], dtype: 'int32' },
      { data: Int32Array.of(3, 4), shape: [2], dtype: 'int32' },
    ]);
    expect(t).toEqual({ data: Int32Array.of(1, 2, 3, 4), shape: [2, 2], dtype: 'int32' });
    await expect(
      array([{ xs: [1, 2] }, { xs: [1] }])
        .batch(2)
        .toArray(),
    ).rejects.toThrow(/element 1 of the batch is an array of 1 at 'xs' but element 0 is an array of 2/);
    await expect(
      array([{ a: 1 }, { b: 1 }])
        .batch(2)
        .toArray(),
    ).rejects.toThrow(/keys a/);
    await expect(
      array([() => 1])
        .batch(1)
        .toArray(),
    ).rejects.toThrow(/cannot batch function/);
  });

  test('a seeded shuffle: a permutation, the same for pass k on every run, different between passes', async () => {
    const ds = array(range(100)).shuffle(20, 7);
    const p0 = await ds.toArray();
    const p1 = await ds.toArray();
    expect([...p0].sort((x, y) => x - y)).toEqual(range(100));
    expect(p1).not.toEqual(p0);
    const again = array(range(100)).shuffle(20, 7);
    expect(await again.toArray()).toEqual(p0);
    expect(await again.toArray()).toEqual(p1);
    // A buffer of one keeps the order; a buffer as large as the data shuffles all of it.
    expect(await array(range(10)).shuffle(1, 3).toArray()).toEqual(range(10));
    const leases: number[] = [];
    for await (const l of array(range(100)).shuffle(200, 1).leases(0)) leases.push(l.value);
    expect(leases.slice(0, 10)).not.toEqual(range(10));
  });

  test('repeat: passes of their own; an endless repeat of an empty dataset ends', async () => {
    const ds = array(range(4)).shuffle(4, 2).repeat(3);
    expect(ds.size).toBe(12);
    const all = await ds.toArray();
    expect(all.length).toBe(12);
    expect(all.slice(0, 4)).not.toEqual(all.slice(4, 8));
    expect(array([1]).repeat().size).toBe(Infinity);
    expect(await array([1, 2]).repeat().take(5).toArray()).toEqual([1, 2, 1, 2, 1]);
    expect(
      await array([])
        .repeat()
        .toArray()
        .catch((e) => e.message),
    ).toMatch(/endless/);
    expect(await array([]).repeat().take(3).toArray()).toEqual([]);
  });

  test('zip: a structure of datasets, ending with the shortest', async () => {
    const z = zip({ xs: { a: array([1, 2, 3]), b: array(['x', 'y']) }, ys: array([true, false, true]) });
    expect(z.size).toBe(2);
    expect(await z.toArray()).toEqual([
      { xs: { a: 1, b: 'x' }, ys: true },
      { xs: { a: 2, b: 'y' }, ys: false },
    ]);
    expect(
      await array([1, 2])
        .zip(array([3, 4]))
        .toArray(),
    ).toEqual([
      [1, 3],
      [2, 4],
    ]);
    expect(() => zip({ a: 5 } as never)).toThrow(/'a' is number; give datasets/);
  });

  test('borrowed elements: released once each, copied before they are kept', async () => {
    const { ds, state } = borrowed(50);
    const kept: Float32Array[] = [];
    for await (const e of ds) kept.push(e.v);
    expect(kept.map((v) => v[0])).toEqual(range(50)); // iteration copies: the producer's -1 never shows
    expect(state.released).toBe(50);
    const b = borrowed(50);
    const seen: number[] = [];
    await b.ds.forEachAsync((e) => void seen.push(e.v[0]));
    expect(seen).toEqual(range(50));
    expect(b.state.maxLive).toBe(1); // forEachAsync releases each before taking the next
    const s = borrowed(50);
    const shuffled = await s.ds.shuffle(10, 1).batch(7).prefetch(3).toArray();
    expect(shuffled.flatMap((x) => Array.from(x.v.data)).sort((u, v) => u - v)).toEqual(range(50));
    expect(s.state.released).toBe(50);
    expect(s.state.maxLive).toBe(1); // shuffle and batch copy and release at once: no slot is held
    const t = borrowed(50);
    await t.ds.take(3).toArray();
    expect(t.state.released).toBe(3);
    const f = borrowed(10);
    await f.ds
      .filter((e) => e.v[0] % 2 === 0)
      .skip(1)
      .toArray();
    expect(f.state.released).toBe(10);
  });

  test('prefetch runs ahead, delivers errors in order, and stops its producer when abandoned', async () => {
    let produced = 0;
    const ds = generator(async function* () {
      for (let i = 0; i < 100; i++) {
        produced++;
        yield i;
      }
    }).prefetch(5);
    const it = ds[Symbol.asyncIterator]();
    expect((await it.next()).value).toBe(0);
    await new Promise((r) => setTimeout(r, 20));
    expect(produced).toBeGreaterThan(1);
    expect(produced).toBeLessThanOrEqual(8);
    await it.return(undefined);
    const failing = generator(function* () {
      yield 1;
      yield 2;
      throw new Error('source failed');
    }).prefetch(4);
    const got: number[] = [];
    await expect(failing.forEachAsync((v) => void got.push(v))).rejects.toThrow('source failed');
    expect(got).toEqual([1, 2]);
  });

  test('cache in memory: the first complete pass is replayed', async () => {
    let passes = 0;
    const ds = generator(function* () {
      passes++;
      yield* [1, 2, 3];
    }).cache();
    expect(await ds.take(2).toArray()).toEqual([1, 2]); // an incomplete pass is not kept
    expect(await ds.toArray()).toEqual([1, 2, 3]);
    expect(await ds.toArray()).toEqual([1, 2, 3]);
    expect(passes).toBe(2);
    expect(ds.size).toBe(3);
  });

  test('cache in a file: written once, read back (also by a new dataset), corrupt files refused', async () => {
    const file = path.join(tmp, 'c.cache');
    let passes = 0;
    const make = () =>
      generator(function* () {
        passes++;
        for (let i = 0; i < 5; i++)
          yield {
            xs: { data: Float32Array.of(i, i / 3), shape: [2], dtype: 'float32' as const },
            ys: Int32Array.of(i),
            tag: `t${i}`,
          };
      }).cache(file);
    const first = await make().toArray();
    expect(fs.existsSync(file)).toBe(true);
    const second = await make().toArray();
    expect(passes).toBe(1);
    expect(second).toEqual(first);
    expect(second[3].xs.data).toBeInstanceOf(Float32Array);
    expect(second[3].ys).toEqual(Int32Array.of(3));
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(file, bytes.subarray(0, bytes.length - 30));
    await expect(make().toArray()).rejects.toThrow(/not a complete dataset cache written by backprop|corrupt/);
    const flipped = Buffer.from(bytes);
    flipped.writeUInt32LE(0xffffffff, 11 + 4); // the first record's structure length
    fs.writeFileSync(file, flipped);
    await expect(make().toArray()).rejects.toThrow(/corrupt dataset cache/);
    fs.writeFileSync(file, 'hello');
    await expect(make().toArray()).rejects.toThrow(/not a complete dataset cache/);
    // An abandoned first pass leaves no file behind.
    const other = path.join(tmp, 'd.cache');
    await generator(function* () {
      yield 1;
      yield 2;
    })
      .cache(other)
      .take(1)
      .toArray();
    expect(fs.readdirSync(tmp).filter((f) => f.includes('d.cache'))).toEqual([]);
  });

  test('textLineDataset: lines of a file in chunks, \\r\\n and a BOM handled, long lines refused', async () => {
    const p = path.join(tmp, 'lines.txt');
    const lines = range(30000).map((i) => `line ${i} ${'é'.repeat(i % 7)}`);
    fs.writeFileSync(p, '\ufeff' + lines.join('\r\n'));
    const ds: Dataset<string> = textLineDataset(p);
    expect(await ds.toArray()).toEqual(lines);
    const fd = fs.openSync(p, 'r');
    try {
      expect(await textLineDataset(fd).take(2).toArray()).toEqual(lines.slice(0, 2));
    } finally {
      fs.closeSync(fd);
    }
    fs.writeFileSync(p, 'short\n' + 'x'.repeat(5000) + '\n');
    await expect(textLineDataset(p, { maxLineBytes: 1000 }).toArray()).rejects.toThrow(
      /line 2 is longer than maxLineBytes/,
    );
  });
});
