/**
 * Pooling kernels of the JS backend (formulas in ops.ts), unchecked except for the argmax indices, which
 * address memory by their values: each is read once, checked, and only that read is used. Windows are
 * clipped to the input once per output position, so the work is bounded by the input, whatever the window.
 */
import type { FloatArray } from '../ops';
import { scratch, SLOT_ACC } from './scratch';

/** The clipped window of output (oy, ox): rows [ky0, ky1) and columns [kx0, kx1) of the kernel. */
class Window {
  iy0 = 0;
  ix0 = 0;
  ky0 = 0;
  ky1 = 0;
  kx0 = 0;
  kx1 = 0;
  at(
    oy: number,
    ox: number,
    inH: number,
    inW: number,
    kH: number,
    kW: number,
    sH: number,
    sW: number,
    pT: number,
    pL: number,
  ): void {
    this.iy0 = oy * sH - pT;
    this.ix0 = ox * sW - pL;
    this.ky0 = Math.max(0, -this.iy0);
    this.ky1 = Math.min(kH, inH - this.iy0);
    this.kx0 = Math.max(0, -this.ix0);
    this.kx1 = Math.min(kW, inW - this.ix0);
  }
}
const win = new Window();

export function maxPool2dForwardUnchecked(
  x: FloatArray,
  y: FloatArray,
  argmax: Int32Array,
  batch: number,
  inH: number,
  inW: number,
  inC: number,
  kH: number,
  kW: number,
  strideH: number,
  strideW: number,
  padTop: number,
  padLeft: number,
  outH: number,
  outW: number,
): void {
  if (batch * outH * outW * inC === 0) return;
  let o = 0;
  for (let n = 0; n < batch; n++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++, o += inC) {
        win.at(oy, ox, inH, inW, kH, kW, strideH, strideW, padTop, padLeft);
        const { iy0, ix0, ky0, ky1, kx0, kx1 } = win;
        for (let ky = ky0; ky < ky1; ky++) {
          const rowBase = (n * inH + iy0 + ky) * inW;
          for (let kx = kx0; kx < kx1; kx++) {
            const src = (rowBase + ix0 + kx) * inC;
            const pos = ky * kW + kx;
            if (ky === ky0 && kx === kx0) {
              for (let c = 0; c < inC; c++) {
                y[o + c] = x[src + c];
                argmax[o + c] = pos;
              }
              continue;
            }
            for (let c = 0; c < inC; c++) {
              const v = x[src + c],
                m = y[o + c];
              // The first maximum wins; a NaN wins over numbers (and the first NaN stays).
              if (v > m || (v !== v && m === m)) {
                y[o + c] = v;
                argmax[o + c] = pos;
              }
            }
          }
        }
      }
    }
  }
}

export function maxPool2dBackwardUnchecked(
  dy: FloatArray,
  argmax: Int32Array,
  dx: FloatArray,
  batch: number,
  inH: number,
  inW: number,
  inC: number,
  kH: number,
  kW: number,
  strideH: number,
  strideW: number,
  padTop: number,
  padLeft: number,
  outH: number,
  outW: number,
): void {
  dx.fill(0);
  if (batch * outH * outW * inC === 0) return;
  const window = kH * kW;
  let o = 0;
  for (let n = 0; n < batch; n++) {
    for (let oy = 0; oy < outH; oy++) {
      const iy0 = oy * strideH - padTop;
      for (let ox = 0; ox < outW; ox++) {
        const ix0 = ox * strideW - padLeft;
        for (let c = 0; c < inC; c++, o++) {
          const pos = argmax[o]; // the one read of this index
          const ky = Math.floor(pos / kW);
          const iy = iy0 + ky,
            ix = ix0 + (pos - ky * kW);
          if (!(pos >= 0 && pos < window) || iy < 0 || iy >= inH || ix < 0 || ix >= inW) {
            throw new RangeError(
              `maxPool2dBackward(): 'argmax' at ${o} is ${pos}, which is not a position of its window inside ` +
                `the input (0..${window - 1})`,
            );
          }
          dx[((n * inH + iy) * inW + ix) * inC + c] += dy[o];
        }
      }
    }
  }
}

export function avgPool2dForwardUnchecked(
  x: FloatArray,
  y: FloatArray,
  batch: number,
  inH: number,
  inW: number,
  inC: number,
  kH: number,
  kW: number,
  strideH: number,
  strideW: number,
  padTop: number,
  padLeft: number,
  outH: number,
  outW: number,
): void {
  if (batch * outH * outW * inC === 0) return;
  const acc = scratch(SLOT_ACC, inC);
  let o = 0;
  for (let n = 0; n < batch; n++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++, o += inC) {
        win.at(oy, ox, inH, inW, kH, kW, strideH, strideW, padTop, padLeft);
        const { iy0, ix0, ky0, ky1, kx0, kx1 } = win;
        acc.fill(0, 0, inC);
        for (let ky = ky0; ky < ky1; ky++) {
          const rowBase = (n * inH + iy0 + ky) * inW;
          for (let kx = kx0; kx < kx1; kx++) {
            const src = (rowBase + ix0 + kx) * inC;
            for (let c = 0; c < inC; c++) acc[c] += x[src + c];
          }
        }
        const count = (ky1 - ky0) * (kx1 - kx0);
        for (let c = 0; c < inC; c++) y[o + c] = acc[c] / count;
      }
    }
  }
}

export function avgPool2dBackwardUnchecked(
  dy: FloatArray,
  dx: FloatArray,
  batch: number,
  inH: number,
  inW: number,
  inC: number,
  kH: number,
  kW: number,
  strideH: number,
  strideW: number,
  padTop: number,
  padLeft: number,
  outH: number,
  outW: number,
): void {
  dx.fill(0);
  if (batch * outH * outW * inC === 0) return;
  let o = 0;
  for (let n = 0; n < batch; n++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++, o += inC) {
        win.at(oy, ox, inH, inW, kH, kW, strideH, strideW, padTop, padLeft);
        const { iy0, ix0, ky0, ky1, kx0, kx1 } = win;
        const count = (ky1 - ky0) * (kx1 - kx0);
        for (let ky = ky0; ky < ky1; ky++) {
          const rowBase = (n * inH + iy0 + ky) * inW;
          for (let kx = kx0; kx < kx1; kx++) {
            const dst = (rowBase + ix0 + kx) * inC;
            for (let c = 0; c < inC; c++) dx[dst + c] += dy[o + c] / count;
          }
        }
      }
    }
  }
}
