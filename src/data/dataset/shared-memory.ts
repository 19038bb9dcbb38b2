/**
 * Typed views of SharedArrayBuffers and Atomics.waitAsync, typed (lib ES2022's typings take only
 * ArrayBuffer for views and lack waitAsync; every Node version backprop supports has both).
 */

export type FloatKind = 'float32' | 'float64';
export type FloatView = Float32Array | Float64Array;

/** A float32 or float64 view of a whole shared buffer. */
export function floatView(kind: FloatKind, buffer: SharedArrayBuffer): FloatView {
  const b = buffer as unknown as ArrayBuffer;
  return kind === 'float64' ? new Float64Array(b) : new Float32Array(b);
}

/** An Int32Array view of a whole shared buffer. */
export function int32View(buffer: SharedArrayBuffer): Int32Array {
  return new Int32Array(buffer as unknown as ArrayBuffer);
}

/** A Uint8Array view of a shared buffer's first `length` bytes (all by default). */
export function byteView(buffer: SharedArrayBuffer, length = buffer.byteLength): Uint8Array {
  return new Uint8Array(buffer as unknown as ArrayBuffer, 0, length);
}

/** A Float64Array view of a whole shared buffer. */
export function float64View(buffer: SharedArrayBuffer): Float64Array {
  return new Float64Array(buffer as unknown as ArrayBuffer);
}

type WaitAsync = (
  a: Int32Array,
  index: number,
  value: number,
  timeout?: number,
) => { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };

/** Resolves once `a[index]` is notified (or at once if it no longer holds `value`), without blocking the thread. */
export async function waitChange(a: Int32Array, index: number, value: number): Promise<void> {
  const w = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync(a, index, value);
  if (w.async) await w.value;
}
