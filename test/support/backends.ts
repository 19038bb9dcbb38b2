/**
 * The backends every shared suite runs on: the JS reference always, native whenever the addon loads, and the
 * WebAssembly backend (which loads wherever Node runs). With BACKPROP_REQUIRE_NATIVE=1 (CI) a native addon that
 * fails to load is an error, never a silent JS-only run; a wasm module that fails to load always is. Every suite
 * that runs "on every backend" gets its list from here.
 */
import { jsReference, nativeBackend, wasmBackend } from '../../src/backend/select';
import type { Backend, FloatArray } from '../../src/backend/ops';
import { Rng } from '../../src/random';

export type BackendName = 'js' | 'native' | 'wasm';

/** The backends to test, as [name, backend] pairs. */
export function testBackends(): [BackendName, Backend][] {
  const out: [BackendName, Backend][] = [['js', jsReference()]];
  const native = nativeBackend();
  if (native.backend) out.push(['native', native.backend]);
  else if (process.env.BACKPROP_REQUIRE_NATIVE === '1') {
    throw new Error(`BACKPROP_REQUIRE_NATIVE=1 but the native addon did not load: ${native.error}`);
  }
  const wasm = wasmBackend();
  if (!wasm.backend) throw new Error(`the wasm backend did not load: ${wasm.error}`);
  out.push(['wasm', wasm.backend]);
  return out;
}

/** The names of the backends to test (for suites that switch the global backend with bp.setBackend). */
export function backendNames(): BackendName[] {
  return testBackends().map(([name]) => name);
}
export const js = jsReference();

/** Random float64 values in [lo, hi). */
export function randArray(rng: Rng, n: number, lo = -1, hi = 1): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(lo, hi);
  return a;
}

/** A copy of `src` as the given kind, as a view at a non-zero byte offset when `offset` is set. */
export function asKind(src: ArrayLike<number>, kind: 'float32' | 'float64', offset = false): FloatArray {
  const C = kind === 'float32' ? Float32Array : Float64Array;
  const pad = offset ? 3 : 0;
  const buf = new C(src.length + pad + 2);
  buf.fill(NaN); // guard cells: any out-of-range write or read of them shows up as NaN
  const view = new C(buf.buffer, pad * C.BYTES_PER_ELEMENT, src.length) as FloatArray;
  for (let i = 0; i < src.length; i++) view[i] = src[i];
  return view;
}

/** The guard cells around a view made by asKind are still NaN (nothing wrote outside the view). */
export function guardsIntact(view: FloatArray): boolean {
  const C = view.constructor as Float32ArrayConstructor | Float64ArrayConstructor;
  const whole = new C(view.buffer as ArrayBuffer);
  const first = view.byteOffset / C.BYTES_PER_ELEMENT;
  for (let i = 0; i < whole.length; i++) {
    if (i >= first && i < first + view.length) continue;
    if (!Number.isNaN(whole[i])) return false;
  }
  return true;
}

/** max |a-b| / (atol + rtol·|ref|) over elements; ≤ 1 means within tolerance. */
export function elementwiseRatio(got: ArrayLike<number>, ref: ArrayLike<number>, rtol: number, atol: number): number {
  let worst = 0;
  for (let i = 0; i < ref.length; i++) {
    const r = ref[i],
      g = got[i];
    // Equal infinities (an empty max is -Infinity) match; the difference would be NaN.
    if ((Number.isNaN(r) && Number.isNaN(g)) || g === r) continue;
    const d = Math.abs(g - r) / (atol + rtol * Math.abs(r));
    if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : d;
  }
  return worst;
}

/** ‖a-b‖₂ / max(‖ref‖₂, tiny). */
export function normRelError(got: ArrayLike<number>, ref: ArrayLike<number>): number {
  let num = 0,
    den = 0;
  for (let i = 0; i < ref.length; i++) {
    num += (got[i] - ref[i]) ** 2;
    den += ref[i] ** 2;
  }
  if (num === 0) return 0;
  return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
}

/** Each element of `got` within 10^-digits/2 of `want` (jest's toBeCloseTo), with the index in the message. */
export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, digits = 10): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (Math.abs(got[i] - want[i]) >= 10 ** -digits / 2)
      throw new Error(`element ${i}: got ${got[i]}, want ${want[i]} (to ${digits} digits)`);
  }
}
