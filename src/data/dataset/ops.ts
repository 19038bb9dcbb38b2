/**
 * The dataset operations, on passes of leases (src/fit/dataset-protocol.ts): each takes the upstream pass
 * and yields its own. A lease handed downstream is the consumer's to release; an operation that keeps
 * elements across steps (batch, shuffle, prefetch) first copies borrowed ones and releases them, so an
 * upstream with a fixed number of batch slots never waits on elements held here.
 */
import type { Lease } from '../../fit/dataset-protocol';
import { Rng } from '../../random';
import { copyElement, stack } from './element';
import { passSeed, subPass } from './seeds';

export type Pass<T> = AsyncGenerator<Lease<T>, void, undefined>;
export type PassOf<T> = (pass: number) => Pass<T>;

const noop = () => {};

/** An element with its own memory, as a lease with nothing to release. */
export function owned<T>(l: Lease<T>): Lease<T> {
  if (!l.borrowed) return l;
  let value: T;
  try {
    value = copyElement(l.value);
  } finally {
    l.release();
  }
  return { value, borrowed: false, release: noop, progress: l.progress };
}

export async function* mapPass<T, U>(src: Pass<T>, fn: (x: T) => U | Promise<U>): Pass<U> {
  for await (const l of src) {
    let value: U;
    try {
      value = await fn(l.value);
    } catch (e) {
      l.release();
      throw e;
    }
    yield { value, borrowed: l.borrowed, release: l.release, progress: l.progress };
  }
}

export async function* filterPass<T>(src: Pass<T>, keep: (x: T) => boolean | Promise<boolean>): Pass<T> {
  for await (const l of src) {
    let ok: boolean;
    try {
      ok = await keep(l.value);
    } catch (e) {
      l.release();
      throw e;
    }
    if (ok) yield l;
    else l.release();
  }
}

export async function* takePass<T>(src: Pass<T>, n: number): Pass<T> {
  if (n <= 0) {
    await src.return();
    return;
  }
  let i = 0;
  for await (const l of src) {
    yield l;
    if (++i >= n) break;
  }
}

export async function* skipPass<T>(src: Pass<T>, n: number): Pass<T> {
  let i = 0;
  for await (const l of src) {
    if (i++ < n) l.release();
    else yield l;
  }
}

/**
 * `count` passes of the upstream (endless without one), each with its own pass key. An endless repeat of
 * a pass that yields nothing ends instead of spinning forever.
 */
export async function* repeatPass<T>(of: PassOf<T>, pass: number, count: number): Pass<T> {
  for (let k = 0; k < count; k++) {
    let any = false;
    for await (const l of of(subPass(pass, k))) {
      any = true;
      yield l;
    }
    if (!any) return;
  }
}

export async function* batchPass<T>(src: Pass<T>, size: number, smallLastBatch: boolean): Pass<unknown> {
  let items: T[] = [];
  let progress: number | undefined;
  for await (const l of src) {
    const o = owned(l);
    items.push(o.value);
    progress = o.progress;
    if (items.length === size) {
      const value = stack(items);
      items = [];
      yield { value, borrowed: false, release: noop, progress };
    }
  }
  if (items.length > 0 && smallLastBatch) yield { value: stack(items), borrowed: false, release: noop, progress };
}

/**
 * A seeded shuffle through a buffer of `size` elements (as tf.data's): the buffer fills, then each step
 * emits a random buffered element and puts the next one in its place; at the end the rest leaves in random
 * order. Pass `k` draws from `passSeed(seed, k)`.
 */
export async function* shufflePass<T>(src: Pass<T>, size: number, seed: number, pass: number): Pass<T> {
  const rng = new Rng(passSeed(seed, pass));
  const buffer: Lease<T>[] = [];
  try {
    for await (const l of src) {
      const o = owned(l);
      if (buffer.length < size) {
        buffer.push(o);
        continue;
      }
      const j = rng.int(size);
      const out = buffer[j];
      buffer[j] = o;
      yield out;
    }
    while (buffer.length > 0) {
      const j = rng.int(buffer.length);
      const out = buffer[j];
      buffer[j] = buffer[buffer.length - 1];
      buffer.pop();
      yield out;
    }
  } finally {
    buffer.length = 0;
  }
}

/**
 * Runs the upstream up to `n` elements ahead of the consumer (for sources whose elements take time to
 * come: a generator reading a network, a `map` with I/O). Errors arrive in order, after the elements
 * produced before them.
 */
export async function* prefetchPass<T>(src: Pass<T>, n: number): Pass<T> {
  const queue: Lease<T>[] = [];
  let done = false;
  let failure: { error: unknown } | undefined;
  let stopped = false;
  let wake: (() => void) | undefined;
  let space: (() => void) | undefined;
  const pump = (async () => {
    try {
      while (!stopped) {
        if (queue.length >= n) {
          await new Promise<void>((r) => (space = r));
          continue;
        }
        const r = await src.next();
        if (r.done) break;
        if (stopped) {
          r.value.release();
          break;
        }
        queue.push(owned(r.value));
        wake?.();
      }
    } catch (e) {
      failure = { error: e };
    } finally {
      done = true;
      wake?.();
    }
  })();
  try {
    for (;;) {
      if (queue.length > 0) {
        const l = queue.shift()!;
        space?.();
        yield l;
        continue;
      }
      if (done) {
        if (failure) throw failure.error;
        return;
      }
      await new Promise<void>((r) => (wake = r));
      wake = undefined;
    }
  } finally {
    stopped = true;
    space?.();
    await pump;
    for (const l of queue.splice(0)) l.release();
    await src.return();
  }
}
