/**
 * The tile transforms of Winograd F(2×2, 3×3) (forward, and the input gradient as a forward with the flipped
 * kernel) and F(3×3, 2×2) (the kernel gradient), as in native/winograd.cc. Transformed values are float64
 * scratch: the JS kernels round only when they store an output, so Winograd's extra additions cost no float32
 * precision here. Matrix ξ = 4i + j of a tile lives at `stride`·ξ from the tile's first value.
 */
import type { FloatArray } from '../ops';

/**
 * U[ξ][c][f] = (G g Gᵀ)[ξ] for g = w[·,·,c,f] with G = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1]. `flip`: g = w[2-·,2-·,c,f]
 * stored as U[ξ][f][c] (the kernel of the input gradient's convolution).
 */
export function kernelTransform(w: FloatArray, C: number, F: number, flip: boolean, U: Float64Array): void {
  const h = kt;
  const cf = C * F;
  for (let c = 0; c < C; c++) {
    for (let f = 0; f < F; f++) {
      const q = c * F + f;
      for (let j = 0; j < 3; j++) {
        // Tap (ky, j) of the (flipped) kernel: flipping maps (ky, kx) to (2 - ky, 2 - kx).
        const g0 = w[(flip ? 8 - j : j) * cf + q],
          g1 = w[(flip ? 5 - j : 3 + j) * cf + q],
          g2 = w[(flip ? 2 - j : 6 + j) * cf + q];
        h[j] = g0;
        h[3 + j] = 0.5 * (g0 + g1 + g2);
        h[6 + j] = 0.5 * (g0 - g1 + g2);
        h[9 + j] = g2;
      }
      // U[ξ][c][f], or U[ξ][f][c] for the flipped kernel.
      const o = flip ? f * C + c : q;
      for (let i = 0; i < 4; i++) {
        const h0 = h[3 * i],
          h1 = h[3 * i + 1],
          h2 = h[3 * i + 2];
        const x = 4 * i * cf + o;
        U[x] = h0;
        U[x + cf] = 0.5 * (h0 + h1 + h2);
        U[x + 2 * cf] = 0.5 * (h0 - h1 + h2);
        U[x + 3 * cf] = h2;
      }
    }
  }
}
const kt = new Float64Array(12);

/**
 * V[ξ] = (Bᵀ d B)[ξ] for the 4×4 patch d at p (rows `rs` apart, columns `cs` apart) of one channel.
 * `grad` selects F(3×3, 2×2)'s Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 -1 0 1] (last row negated from F(2×2, 3×3)'s).
 */
export function inputTransform(
  d: Float64Array,
  p: number,
  rs: number,
  cs: number,
  grad: boolean,
  v: Float64Array,
  vo: number,
  stride: number,
): void {
  const s3 = grad ? -1 : 1;
  for (let j = 0, q = p; j < 4; j++, q += cs) {
    const d0 = d[q],
      d1 = d[q + rs],
      d2 = d[q + 2 * rs],
      d3 = d[q + 3 * rs];
    // Columns of Bᵀd kept in the v slots of row j (written over below).
    v[vo + j * stride] = d0 - d2;
    v[vo + (4 + j) * stride] = d1 + d2;
    v[vo + (8 + j) * stride] = d2 - d1;
    v[vo + (12 + j) * stride] = s3 * (d1 - d3);
  }
  for (let i = 0; i < 16; i += 4) {
    const o = vo + i * stride;
    const t0 = v[o],
      t1 = v[o + stride],
      t2 = v[o + 2 * stride],
      t3 = v[o + 3 * stride];
    v[o] = t0 - t2;
    v[o + stride] = t1 + t2;
    v[o + 2 * stride] = t2 - t1;
    v[o + 3 * stride] = s3 * (t1 - t3);
  }
}

/** Z[ξ] = (G g Gᵀ)[ξ] for the 2×2 block g at p (rows `rs`, columns `cs` apart), G = [1 0; ½ ½; ½ -½; 0 1]. */
export function gradTransform(
  g: Float64Array,
  p: number,
  rs: number,
  cs: number,
  z: Float64Array,
  zo: number,
  stride: number,
): void {
  const g00 = g[p],
    g01 = g[p + cs],
    g10 = g[p + rs],
    g11 = g[p + rs + cs];
  const s0 = 0.5 * (g00 + g10),
    s1 = 0.5 * (g01 + g11),
    e0 = 0.5 * (g00 - g10),
    e1 = 0.5 * (g01 - g11);
  row(z, zo, stride, g00, g01);
  row(z, zo + 4 * stride, stride, s0, s1);
  row(z, zo + 8 * stride, stride, e0, e1);
  row(z, zo + 12 * stride, stride, g10, g11);
}

function row(z: Float64Array, o: number, stride: number, h0: number, h1: number): void {
  z[o] = h0;
  z[o + stride] = 0.5 * (h0 + h1);
  z[o + 2 * stride] = 0.5 * (h0 - h1);
  z[o + 3 * stride] = h1;
}

/** dw[ky,kx,c,f] = (Aᵀ M A)[ky][kx] for M = acc[·][c][f], Aᵀ = [1 1 1 0; 0 1 -1 0; 0 1 1 1] (F(3×3, 2×2)). */
export function weightOutputTransform(acc: Float64Array, C: number, F: number, dw: FloatArray): void {
  const cf = C * F;
  for (let q = 0; q < cf; q++) {
    for (let j = 0; j < 4; j++) {
      const m0 = acc[j * cf + q],
        m1 = acc[(4 + j) * cf + q],
        m2 = acc[(8 + j) * cf + q],
        m3 = acc[(12 + j) * cf + q];
      a[j] = m0 + m1 + m2;
      a[4 + j] = m1 - m2;
      a[8 + j] = m1 + m2 + m3;
    }
    for (let ky = 0; ky < 3; ky++) {
      const a0 = a[4 * ky],
        a1 = a[4 * ky + 1],
        a2 = a[4 * ky + 2],
        a3 = a[4 * ky + 3];
      const o = ky * 3 * cf + q;
      dw[o] = a0 + a1 + a2;
      dw[o + cf] = a1 - a2;
      dw[o + 2 * cf] = a1 + a2 + a3;
    }
  }
}
const a = new Float64Array(12);
