/**
 * What `fitDataset` / `evaluateDataset` need of a dataset, kept here so the fit loop does not depend on the
 * dataset library (src/data/dataset/, which sits above it): elements of `{ xs, ys }` batches, and one pass
 * over them as *leases*. A lease's arrays may be views of a buffer a worker thread refills (a batch slot):
 * they are valid until `release()` is called, after which the producer may overwrite them. Consumers that
 * keep an element longer copy it first (`borrowed` says whether that is needed). This is how batches reach
 * the training step as filled typed arrays without a copy on the main thread.
 */

/** A tensor in a batch: values row-major, `[rows, ...per-sample shape]`; 'int32' holds class labels. */
export interface BatchTensor {
  data: Float32Array | Float64Array | Int32Array;
  shape: number[];
  dtype: 'float32' | 'float64' | 'int32';
}

/**
 * One training batch. `xs` / `ys` are a tensor each for a model with one input and one output, or records
 * keyed by input / output name for a functional model with several. A `ys` entry may also be an Int32Array
 * of class labels.
 */
export interface BatchElement {
  xs: BatchTensor | Record<string, BatchTensor>;
  ys: BatchTensor | Int32Array | Record<string, BatchTensor | Int32Array>;
}

/** An element on loan from its producer (see the file comment). */
export interface Lease<T> {
  value: T;
  /** True when `value`'s arrays are reused after `release()`: copy them to keep them. */
  borrowed: boolean;
  /** Hands the element's memory back to its producer; call once, after the last use of `value`. */
  release(): void;
  /** How far through the pass this element is, in [0, 1], when the source can tell (a file: bytes read). */
  progress?: number;
}

/** A source of passes over elements, as leases (every bp.data dataset is one). */
export interface LeaseSource<T> {
  /**
   * One pass over the elements. `pass` names the pass: a seeded shuffle derives its order from it, so pass
   * `k` has the same order on every run (fitDataset passes the epoch number, so a resumed run continues with
   * the order the uninterrupted one would have had). Stopping early (`return()`) releases what the pass holds.
   */
  leases(pass: number): AsyncGenerator<Lease<T>, void, undefined>;
  /** Elements in a pass, when known (Infinity for an endless dataset). */
  readonly size: number | undefined;
}

/** Whether `ds` offers leases (a bp.data dataset) rather than being a plain async iterable. */
export function isLeaseSource<T>(ds: unknown): ds is LeaseSource<T> {
  return !!ds && typeof (ds as LeaseSource<T>).leases === 'function';
}

const noop = () => {};

/**
 * Leases over any dataset: a bp.data dataset's own, or a plain (async) iterable's elements, which belong
 * to the caller (nothing to release, nothing borrowed).
 */
export async function* leasesOf<T>(
  ds: LeaseSource<T> | AsyncIterable<T> | Iterable<T>,
  pass: number,
): AsyncGenerator<Lease<T>, void, undefined> {
  if (isLeaseSource<T>(ds)) {
    yield* ds.leases(pass);
    return;
  }
  for await (const value of ds as AsyncIterable<T>) yield { value, borrowed: false, release: noop };
}
