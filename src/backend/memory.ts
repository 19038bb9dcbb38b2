/**
 * Float arrays the off-main-thread ops accept: typed arrays over a non-growable SharedArrayBuffer. Such a
 * buffer cannot be detached, transferred, shrunk or freed while an op holds it, so a kernel running on
 * libuv's thread pool can keep writing where it was told to while JS goes on (see ops.ts).
 */
import { types } from 'node:util';
import type { DType, FloatArray } from './ops';

/**
 * A zero-filled float array of `length` values, backed by its own non-growable SharedArrayBuffer: the kind
 * of array the async ops (`gemmAsync`, `denseForwardAsync`, ...) accept. Synchronous ops take it too.
 * @example
 * const a = bp.floatArray('float32', 2 * 4), b = bp.floatArray('float32', 4 * 3), c = bp.floatArray('float32', 6);
 * await bp.nativeBackend().backend?.gemmAsync?.(false, false, 2, 3, 4, 1, a, b, 0, c); // c = a·b
 */
export function floatArray(dtype: DType, length: number): FloatArray {
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new TypeError(`floatArray(): 'dtype' must be 'float32' or 'float64', got ${describe(dtype)}`);
  }
  if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) {
    throw new RangeError(`floatArray(): 'length' must be a non-negative integer, got ${describe(length)}`);
  }
  const C = dtype === 'float64' ? Float64Array : Float32Array;
  const bytes = length * C.BYTES_PER_ELEMENT;
  let buffer: SharedArrayBuffer;
  try {
    buffer = new SharedArrayBuffer(bytes);
  } catch (e) {
    throw new RangeError(
      `floatArray(): cannot allocate ${length} ${dtype} values (${bytes} bytes): ${(e as Error).message}`,
    );
  }
  // lib ES2022's typings take only ArrayBuffer here; every engine Node supports takes a SharedArrayBuffer too.
  return new C(buffer as unknown as ArrayBuffer);
}

/** A zero-filled array from floatArray() of the same dtype and length as `a`. */
export function floatArrayLike(a: FloatArray): FloatArray {
  return floatArray(a instanceof Float64Array ? 'float64' : 'float32', a.length);
}

/**
 * Whether the async ops accept `a`: a float array backed by a non-growable SharedArrayBuffer.
 * @example bp.isAsyncSafe(bp.floatArray('float32', 8)) // true
 * @example bp.isAsyncSafe(new Float32Array(8)) // false: an ArrayBuffer can be detached during the op
 */
export function isAsyncSafe(a: unknown): boolean {
  if (!(a instanceof Float32Array) && !(a instanceof Float64Array)) return false;
  const buffer = a.buffer;
  return types.isSharedArrayBuffer(buffer) && (buffer as { growable?: boolean }).growable !== true;
}

function describe(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : typeof v === 'number' ? String(v) : typeof v;
}

/**
 * A zero-filled Int32Array of `length` values over its own non-growable SharedArrayBuffer, for index arrays the
 * async ops write or read (max-pooling's argmax).
 * @example const argmax = int32Array(64 * 12 * 12 * 32); // a layer's argmax buffer
 */
export function int32Array(length: number): Int32Array {
  if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) {
    throw new RangeError(`int32Array(): 'length' must be a non-negative integer, got ${describe(length)}`);
  }
  let buffer: SharedArrayBuffer;
  try {
    buffer = new SharedArrayBuffer(length * 4);
  } catch (e) {
    throw new RangeError(`int32Array(): cannot allocate ${length} indices: ${(e as Error).message}`);
  }
  return new Int32Array(buffer as unknown as ArrayBuffer);
}
