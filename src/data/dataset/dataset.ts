/**
 * Dataset: a sequence of elements read in passes, built from a source (a CSV or image folder streamed from
 * disk, a generator, an array) and chained operations, as TF.js's `tf.data`. A dataset is an async iterable
 * (`for await (const batch of ds)`), and `model.fitDataset(ds)` trains on it one batch at a time, so data
 * larger than memory trains in memory bounded by the prefetch and shuffle buffers.
 *
 * Passes are numbered: a seeded `shuffle` gives pass `k` the same order on every run. Iterating a dataset
 * yourself numbers its passes 0, 1, 2, …; fitDataset uses the epoch number.
 */
import type { LeaseSource } from '../../fit/dataset-protocol';
import type { Batched } from './element';
import { fileCachePass, memoryCachePass, type MemoryCache } from './cache';
import {
  batchPass,
  filterPass,
  mapPass,
  owned,
  prefetchPass,
  repeatPass,
  shufflePass,
  skipPass,
  takePass,
  type Pass,
  type PassOf,
} from './ops';
import { randomSeed } from './seeds';
import { flattenStructure, zipPass, type DatasetStructure } from './zip';

function count(who: string, name: string, v: unknown, min = 1): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min)
    throw new Error(`${who}: '${name}' must be an integer ≥ ${min}, got ${String(v)}`);
  return v;
}

function fn<F>(who: string, f: F): F {
  if (typeof f !== 'function') throw new Error(`${who}: expected a function, got ${typeof f}`);
  return f;
}

export abstract class Dataset<T> implements AsyncIterable<T>, LeaseSource<T> {
  private passes = 0;

  /** @internal One pass over the elements as leases (src/fit/dataset-protocol.ts). */
  abstract leases(pass: number): Pass<T>;

  /** Elements in a pass when known (Infinity for an endless dataset), else undefined. */
  get size(): number | undefined {
    return undefined;
  }

  /**
   * Applies `f` to every element (it may be async). It runs on the main thread: decoding belongs in the
   * source (csvDataset, imageFolderDataset), which decodes in worker threads.
   * @example const scaled = ds.map(({ xs, ys }) => ({ xs: scaleInPlace(xs), ys }));
   */
  map<U>(f: (element: T) => U | Promise<U>): Dataset<U> {
    fn('map()', f);
    return derived(
      (pass) => mapPass(this.leases(pass), f),
      () => this.size,
    );
  }

  /** Keeps the elements for which `keep` returns true. @example ds.filter((row) => row.ys !== 2) */
  filter(keep: (element: T) => boolean | Promise<boolean>): Dataset<T> {
    fn('filter()', keep);
    return derived(
      (pass) => filterPass(this.leases(pass), keep),
      () => undefined,
    );
  }

  /**
   * Groups elements into batches of `batchSize` (the last one smaller unless `smallLastBatch` is false):
   * numbers and vectors become tensors, records are batched key by key.
   * @example bp.data.array([{ xs: [0, 1], ys: 1 }, { xs: [1, 1], ys: 0 }]).batch(2) // { xs: [2, 2], ys: [2] }
   */
  batch(batchSize: number, smallLastBatch = true): Dataset<Batched<T>> {
    count('batch()', 'batchSize', batchSize);
    return derived(
      (pass) => batchPass(this.leases(pass), batchSize, smallLastBatch) as Pass<Batched<T>>,
      () => {
        const n = this.size;
        if (n === undefined || n === Infinity) return n;
        return smallLastBatch ? Math.ceil(n / batchSize) : Math.floor(n / batchSize);
      },
    );
  }

  /**
   * Shuffles through a buffer of `bufferSize` elements, as tf.data does (a buffer as large as the dataset
   * shuffles uniformly). With a `seed`, pass k has the same order on every run; each pass differs.
   * @example ds.shuffle(10000, 42)
   */
  shuffle(bufferSize: number, seed?: number): Dataset<T> {
    count('shuffle()', 'bufferSize', bufferSize);
    if (seed !== undefined && !Number.isSafeInteger(seed))
      throw new Error(`shuffle(): 'seed' must be an integer, got ${String(seed)}`);
    const s = seed ?? randomSeed();
    return derived(
      (pass) => shufflePass(this.leases(pass), bufferSize, s, pass),
      () => this.size,
    );
  }

  /** Prepares up to `n` elements ahead of the consumer. @example generatorDataset.prefetch(4) */
  prefetch(n: number): Dataset<T> {
    count('prefetch()', 'n', n);
    return derived(
      (pass) => prefetchPass(this.leases(pass), n),
      () => this.size,
    );
  }

  /** The first `n` elements of each pass. @example ds.take(10) */
  take(n: number): Dataset<T> {
    count('take()', 'n', n, 0);
    return derived(
      (pass) => takePass(this.leases(pass), n),
      () => (this.size === undefined ? undefined : Math.min(this.size, n)),
    );
  }

  /** Each pass without its first `n` elements. @example ds.skip(1000) */
  skip(n: number): Dataset<T> {
    count('skip()', 'n', n, 0);
    return derived(
      (pass) => skipPass(this.leases(pass), n),
      () => (this.size === undefined ? undefined : Math.max(0, this.size - n)),
    );
  }

  /**
   * `count` passes in one (endless without a count); each repetition is a pass of its own, so a seeded
   * shuffle before `repeat` gives every repetition a different order.
   * @example ds.repeat() // endless: give fitDataset batchesPerEpoch
   */
  repeat(count_?: number): Dataset<T> {
    const times = count_ === undefined ? Infinity : count('repeat()', 'count', count_, 0);
    return derived(
      (pass) => repeatPass((p) => this.leases(p), pass, times),
      () => (times === Infinity ? Infinity : this.size === undefined ? undefined : this.size * times),
    );
  }

  /** Pairs this dataset's elements with another's: `[a, b]`. @example images.zip(labels) */
  zip<U>(other: Dataset<U>): Dataset<[T, U]> {
    return zip([this, other]) as Dataset<[T, U]>;
  }

  /**
   * Keeps the first complete pass and replays it afterwards: in memory, or in the file `path` (written
   * once, read back on later passes and later runs; delete it when the data changes).
   * @example csv.cache('/tmp/decoded.cache').shuffle(1000, 1)
   */
  cache(path?: string): Dataset<T> {
    if (path !== undefined && (typeof path !== 'string' || path === ''))
      throw new Error(`cache(): 'path' must be a file path, or omitted to cache in memory`);
    const of: PassOf<T> = (pass) => this.leases(pass);
    if (path !== undefined)
      return derived(
        (pass) => fileCachePass(path, of, pass),
        () => this.size,
      );
    const memory: MemoryCache<T> = {};
    return derived(
      (pass) => memoryCachePass(memory, of, pass),
      () => memory.elements?.length ?? this.size,
    );
  }

  /**
   * Calls `f` on every element of one pass, awaiting it. The element's arrays are valid during the call
   * (a file dataset reuses its batch buffers afterwards): copy what you keep.
   * @example await ds.forEachAsync(({ xs }) => { rows += xs.shape[0]; });
   */
  async forEachAsync(f: (element: T) => void | Promise<void>): Promise<void> {
    fn('forEachAsync()', f);
    for await (const l of this.leases(this.passes++)) {
      try {
        await f(l.value);
      } finally {
        l.release();
      }
    }
  }

  /** Every element of one pass, in an array (their own copies). @example const rows = await ds.take(5).toArray() */
  async toArray(): Promise<T[]> {
    if (this.size === Infinity) throw new Error(`toArray(): the dataset is endless; take() a part of it first`);
    const out: T[] = [];
    for await (const v of this) out.push(v);
    return out;
  }

  /** Iterates one pass; every element is the caller's to keep (borrowed ones are copied). */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for await (const l of this.leases(this.passes++)) yield owned(l).value;
  }
}

/** A dataset defined by its pass function. */
class Derived<T> extends Dataset<T> {
  constructor(
    private readonly run: PassOf<T>,
    private readonly sizeOf: () => number | undefined,
  ) {
    super();
  }
  leases(pass: number): Pass<T> {
    return this.run(pass);
  }
  override get size(): number | undefined {
    return this.sizeOf();
  }
}

/** A dataset from a pass function and a size function (for sources and operations). */
export function derived<T>(run: PassOf<T>, size: () => number | undefined = () => undefined): Dataset<T> {
  return new Derived(run, size);
}

/**
 * Datasets in lockstep, combined in the structure given: `zip([a, b])` gives `[x, y]` elements,
 * `zip({ xs: a, ys: b })` gives `{ xs, ys }`; a pass ends with the shortest dataset.
 * @example const ds = bp.data.zip({ xs: features, ys: labels }).batch(32);
 */
export function zip(datasets: DatasetStructure): Dataset<unknown> {
  const { sources, build } = flattenStructure(datasets, 'zip()');
  return derived(
    (pass) => zipPass(sources, build, pass),
    () => {
      let n: number | undefined = Infinity;
      for (const s of sources) {
        if (s.size === undefined) return undefined;
        n = Math.min(n, s.size);
      }
      return n;
    },
  );
}
