/**
 * Datasets from what is already in JS: an array of elements, or a generator function called once per pass
 * (sync or async). Their elements belong to the caller: nothing is copied or reused.
 */
import { derived, type Dataset } from './dataset';
import type { Pass } from './ops';

const noop = () => {};

/**
 * A dataset of the elements of `items` (the array is copied; the elements are not).
 * @example const ds = bp.data.array([{ xs: [0, 0], ys: 0 }, { xs: [0, 1], ys: 1 }]).batch(2);
 */
export function array<T>(items: T[]): Dataset<T> {
  if (!Array.isArray(items)) throw new Error(`data.array(): expected an array of elements, got ${typeof items}`);
  const all = items.slice();
  return derived(
    async function* (): Pass<T> {
      for (let i = 0; i < all.length; i++)
        yield { value: all[i], borrowed: false, release: noop, progress: (i + 1) / all.length };
    },
    () => all.length,
  );
}

/**
 * A dataset whose every pass calls `make()` for a fresh iterator: a generator function (sync or async), or
 * any function returning an iterator or iterable. Endless generators make endless datasets: give fitDataset
 * `batchesPerEpoch`.
 * @example
 * const ds = bp.data.generator(function* () {
 *   for (let i = 0; i < 100; i++) yield { xs: [i / 100], ys: [2 * i / 100] };
 * }).batch(10);
 */
export function generator<T>(make: () => Iterator<T> | AsyncIterator<T> | Iterable<T> | AsyncIterable<T>): Dataset<T> {
  if (typeof make !== 'function')
    throw new Error(`data.generator(): expected a function returning an iterator (e.g. function* () { ... })`);
  return derived(async function* (): Pass<T> {
    const made = make() as unknown;
    const it = iteratorOf<T>(made);
    try {
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield { value: r.value, borrowed: false, release: noop };
      }
    } finally {
      await it.return?.();
    }
  });
}

function iteratorOf<T>(made: unknown): Iterator<T> | AsyncIterator<T> {
  const o = made as Partial<AsyncIterable<T> & Iterable<T> & Iterator<T>> | null;
  if (o && typeof o[Symbol.asyncIterator] === 'function') return o[Symbol.asyncIterator]!();
  if (o && typeof o[Symbol.iterator] === 'function') return o[Symbol.iterator]!();
  if (o && typeof o.next === 'function') return o as Iterator<T>;
  throw new Error(
    `data.generator(): the function returned ${o === null ? 'null' : typeof o}, not an iterator; pass a ` +
      'generator function (function* () { yield ... }) or a function returning an iterator',
  );
}
