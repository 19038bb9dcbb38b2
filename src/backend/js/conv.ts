/**
 * Convolution kernels of the JS backend (the reference; formulas in ops.ts), unchecked: callers validate.
 * Output rows (n, oy, ox) are processed in panels: im2col copies a panel's input windows into a float64
 * scratch matrix (rows × kH·kW·inC/groups), and a strided gemm multiplies it with the group's kernel columns
 * straight into z. Backward rebuilds the same panels for dW = colᵀ·dz, and scatters dcol = dz·Wᵀ back into
 * dx (col2im). Nothing is allocated once the scratch has grown to the shape. Float32 3×3 stride-1 layers go to
 * the Winograd kernels (winograd.ts) instead; float64 always takes this path (the gradient checks' reference).
 */
import type { FloatArray } from '../ops';
import { backwardRange, forwardRange } from './activations';
import { scratch, SLOT_ACC, SLOT_ACC2, SLOT_COL, SLOT_DCOL, SLOT_WT } from './scratch';
import { stridedGemm } from './strided-gemm';
import { winogradApplies, winogradBackward, winogradForward } from './winograd';

/** Float64 values per im2col panel: 256 KB, within L2 alongside the kernel. */
const PANEL_VALUES = 32768;

/** The geometry of the current call (one module-level instance: kernels never re-enter). */
class Geometry {
  batch = 0;
  inH = 0;
  inW = 0;
  inC = 0;
  kH = 0;
  kW = 0;
  outC = 0;
  sH = 1;
  sW = 1;
  pT = 0;
  pL = 0;
  dH = 1;
  dW = 1;
  outH = 0;
  outW = 0;
  groups = 1;
  /** Input channels per group, output channels per group, im2col columns per group. */
  cg = 0;
  fg = 0;
  kg = 0;
  rows = 0;

  set(
    batch: number,
    inH: number,
    inW: number,
    inC: number,
    kH: number,
    kW: number,
    outC: number,
    sH: number,
    sW: number,
    pT: number,
    pL: number,
    dH: number,
    dW: number,
    outH: number,
    outW: number,
    groups: number,
  ): Geometry {
    this.batch = batch;
    this.inH = inH;
    this.inW = inW;
    this.inC = inC;
    this.kH = kH;
    this.kW = kW;
    this.outC = outC;
    this.sH = sH;
    this.sW = sW;
    this.pT = pT;
    this.pL = pL;
    this.dH = dH;
    this.dW = dW;
    this.outH = outH;
    this.outW = outW;
    this.groups = groups;
    this.cg = inC / groups;
    this.fg = outC / groups;
    this.kg = kH * kW * this.cg;
    this.rows = batch * outH * outW;
    return this;
  }

  panelRows(): number {
    return Math.max(1, Math.min(this.rows, Math.floor(PANEL_VALUES / Math.max(1, this.kg))));
  }
}

const G = new Geometry();

/**
 * col[r·kg + (ky·kW + kx)·cg + c] = x[n, iy, ix, c0 + c] for the panel's rows r (0 outside the input).
 * `scatter`: the reverse, dx[n, iy, ix, c0 + c] += col[...] for positions inside the input (col2im).
 */
function im2col(x: FloatArray, col: Float64Array, r0: number, count: number, c0: number, scatter: boolean): void {
  const { inH, inW, inC, kH, kW, sH, sW, pT, pL, dH, dW, outH, outW, cg } = G;
  let ox = r0 % outW;
  const t = (r0 - ox) / outW;
  let oy = t % outH;
  let n = (t - oy) / outH;
  let ci = 0;
  for (let r = 0; r < count; r++) {
    const iy0 = oy * sH - pT,
      ix0 = ox * sW - pL;
    for (let ky = 0; ky < kH; ky++) {
      const iy = iy0 + ky * dH;
      if (iy < 0 || iy >= inH) {
        if (!scatter) col.fill(0, ci, ci + kW * cg);
        ci += kW * cg;
        continue;
      }
      const rowBase = (n * inH + iy) * inW * inC + c0;
      for (let kx = 0; kx < kW; kx++) {
        const ix = ix0 + kx * dW;
        if (ix < 0 || ix >= inW) {
          if (!scatter) col.fill(0, ci, ci + cg);
          ci += cg;
          continue;
        }
        const src = rowBase + ix * inC;
        if (scatter) for (let c = 0; c < cg; c++) x[src + c] += col[ci++];
        else for (let c = 0; c < cg; c++) col[ci++] = x[src + c];
      }
    }
    if (++ox === outW) {
      ox = 0;
      if (++oy === outH) {
        oy = 0;
        n++;
      }
    }
  }
}

export function conv2dForwardUnchecked(
  x: FloatArray,
  w: FloatArray,
  b: FloatArray | null,
  z: FloatArray,
  y: FloatArray,
  batch: number,
  inH: number,
  inW: number,
  inC: number,
  kH: number,
  kW: number,
  outC: number,
  strideH: number,
  strideW: number,
  padTop: number,
  padLeft: number,
  dilationH: number,
  dilationW: number,
  outH: number,
  outW: number,
  groups: number,
  act: number,
  alpha: number,
): void {
  const g = G.set(
    batch,
    inH,
    inW,
    inC,
    kH,
    kW,
    outC,
    strideH,
    strideW,
    padTop,
    padLeft,
    dilationH,
    dilationW,
    outH,
    outW,
    groups,
  );
  const total = g.rows * outC;
  if (total === 0) return;
  if (winogradApplies(x instanceof Float32Array, g)) {
    winogradForward(x, w, b, z, y, g, act, alpha);
    return;
  }
  z.fill(0, 0, total);
  const { kg, fg, cg } = g;
  if (kg > 0) {
    const pr = g.panelRows();
    const col = scratch(SLOT_COL, pr * kg);
    for (let r0 = 0; r0 < g.rows; r0 += pr) {
      const count = Math.min(pr, g.rows - r0);
      for (let grp = 0; grp < groups; grp++) {
        im2col(x, col, r0, count, grp * cg, false);
        stridedGemm(count, fg, kg, col, 0, kg, 1, w, grp * fg, outC, 1, z, r0 * outC + grp * fg, outC);
      }
    }
  }
  for (let o = 0; o < total; o += outC) {
    if (b) for (let j = 0; j < outC; j++) z[o + j] += b[j];
    forwardRange(act, alpha, z, y, o, o + outC);
  }
}

export function conv2dBackwardUnchecked(
  x: FloatArray,
  w: FloatArray,
  z: FloatArray,
  y: FloatArray,
  dy: FloatArray,
  dz: FloatArray,
  dw: FloatArray,
  db: FloatArray | null,
  dx: FloatArray | null,
  batch: number,
  inH: number,
  inW: number,
  inC: number,
  kH: number,
  kW: number,
  outC: number,
  strideH: number,
  strideW: number,
  padTop: number,
  padLeft: number,
  dilationH: number,
  dilationW: number,
  outH: number,
  outW: number,
  groups: number,
  act: number,
  alpha: number,
): void {
  const g = G.set(
    batch,
    inH,
    inW,
    inC,
    kH,
    kW,
    outC,
    strideH,
    strideW,
    padTop,
    padLeft,
    dilationH,
    dilationW,
    outH,
    outW,
    groups,
  );
  if (winogradApplies(x instanceof Float32Array, g)) {
    winogradBackward(x, w, z, y, dy, dz, dw, db, dx, g, act, alpha);
    return;
  }
  const total = g.rows * outC;
  const { kg, fg, cg } = g;
  backwardRange(act, alpha, z, y, dy, dz, total);
  if (db) {
    const sums = scratch(SLOT_ACC2, outC);
    sums.fill(0, 0, outC);
    for (let o = 0; o < total; o += outC) for (let j = 0; j < outC; j++) sums[j] += dz[o + j];
    for (let j = 0; j < outC; j++) db[j] = sums[j];
  }
  if (dx) dx.fill(0);
  // dW accumulates over panels in float64 and is rounded once at the end.
  const acc = scratch(SLOT_ACC, kg * outC);
  acc.fill(0, 0, kg * outC);
  if (total > 0 && kg > 0) {
    const pr = g.panelRows();
    const col = scratch(SLOT_COL, pr * kg);
    const dcol = dx ? scratch(SLOT_DCOL, pr * kg) : col;
    // dcol = dz·Wᵀ reads the kernel transposed: each group's slice is copied once into contiguous rows (fg × kg).
    const wt = dx ? scratch(SLOT_WT, outC * kg) : col;
    if (dx) {
      for (let grp = 0; grp < groups; grp++) {
        for (let f = 0; f < fg; f++)
          for (let k = 0; k < kg; k++) wt[(grp * fg + f) * kg + k] = w[k * outC + grp * fg + f];
      }
    }
    for (let r0 = 0; r0 < g.rows; r0 += pr) {
      const count = Math.min(pr, g.rows - r0);
      for (let grp = 0; grp < groups; grp++) {
        const dzo = r0 * outC + grp * fg;
        im2col(x, col, r0, count, grp * cg, false);
        stridedGemm(kg, fg, count, col, 0, 1, kg, dz, dzo, outC, 1, acc, grp * fg, outC);
        if (dx) {
          dcol.fill(0, 0, count * kg);
          stridedGemm(count, kg, fg, dz, dzo, outC, 1, wt, grp * fg * kg, kg, 1, dcol, 0, kg);
          im2col(dx, dcol, r0, count, grp * cg, true);
        }
      }
    }
  }
  for (let i = 0; i < dw.length; i++) dw[i] = acc[i];
}

/**
 * The input gradient of a convolution alone, `dx = ∂/∂x` given dz (overwritten; the backward above without the
 * activation, dW and db): dcol = dz·Wᵀ per panel, scattered back into dx (col2im). A transposed convolution's
 * forward (conv-transpose.ts).
 */
export function conv2dInputGradUnchecked(
  dz: FloatArray,
  w: FloatArray,
  dx: FloatArray,
  batch: number,
  inH: number,
  inW: number,
  inC: number,
  kH: number,
  kW: number,
  outC: number,
  strideH: number,
  strideW: number,
  padTop: number,
  padLeft: number,
  dilationH: number,
  dilationW: number,
  outH: number,
  outW: number,
  groups: number,
): void {
  const g = G.set(
    batch,
    inH,
    inW,
    inC,
    kH,
    kW,
    outC,
    strideH,
    strideW,
    padTop,
    padLeft,
    dilationH,
    dilationW,
    outH,
    outW,
    groups,
  );
  dx.fill(0, 0, batch * inH * inW * inC);
  const { kg, fg, cg } = g;
  if (g.rows === 0 || kg === 0 || outC === 0) return;
  const pr = g.panelRows();
  const dcol = scratch(SLOT_DCOL, pr * kg);
  const wt = scratch(SLOT_WT, outC * kg);
  for (let grp = 0; grp < groups; grp++) {
    for (let f = 0; f < fg; f++) for (let k = 0; k < kg; k++) wt[(grp * fg + f) * kg + k] = w[k * outC + grp * fg + f];
  }
  for (let r0 = 0; r0 < g.rows; r0 += pr) {
    const count = Math.min(pr, g.rows - r0);
    for (let grp = 0; grp < groups; grp++) {
      dcol.fill(0, 0, count * kg);
      stridedGemm(count, kg, fg, dz, r0 * outC + grp * fg, outC, 1, wt, grp * fg * kg, kg, 1, dcol, 0, kg);
      im2col(dx, dcol, r0, count, grp * cg, true);
    }
  }
}
