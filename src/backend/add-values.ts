/**
 * `out[i] = a[i] + x[i]` over the first n values: the sums of the graph engine (a tensor's gradients from several
 * consumers) and of the Add merge, over whole activations. On the native backend one `binary` call (a vectorized
 * loop) when every array holds exactly n values of one dtype; else the JS loop. Same bits either way: `binary`
 * rounds a float32 sum to double, then to float, as the JS loop does, and double's 53 bits (more than 2·24 + 2)
 * make that the float32 sum itself; float64 sums are IEEE sums. `out` may be `a` or `x`. Allocates nothing.
 */
import { Binary } from './elementwise';
import type { Backend, FloatArray } from './ops';

const FLAT = new Int32Array(1);
const NO_CODES = new Int32Array(0);
const NO_PARAMS_32 = new Float32Array(0);
const NO_PARAMS_64 = new Float64Array(0);

export function addValues(b: Backend, a: FloatArray, x: FloatArray, out: FloatArray, n: number): void {
  const f64 = out instanceof Float64Array;
  if (
    b.name === 'native' &&
    n > 0 &&
    n < 2 ** 31 &&
    a.length === n &&
    x.length === n &&
    out.length === n &&
    a instanceof Float64Array === f64 &&
    x instanceof Float64Array === f64
  ) {
    FLAT[0] = n;
    b.binary(Binary.add, 1, FLAT, FLAT, FLAT, a, x, out, NO_CODES, f64 ? NO_PARAMS_64 : NO_PARAMS_32, 0);
    return;
  }
  for (let i = 0; i < n; i++) out[i] = a[i] + x[i];
}
