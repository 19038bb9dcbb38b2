/**
 * Float64 scratch memory for the JS kernels (im2col panels, float64 accumulators). One array per slot, grown
 * when a larger shape first needs it and reused after: a kernel allocates only the first time it meets a size.
 * JS runs one kernel at a time per thread (each worker thread has its own module instance).
 */
const slots: Float64Array[] = [];

/** At least `n` float64 values in slot `slot` (contents unspecified). */
export function scratch(slot: number, n: number): Float64Array {
  let s = slots[slot];
  if (!s || s.length < n) {
    s = new Float64Array(Math.max(n, 64));
    slots[slot] = s;
  }
  return s;
}

export const SLOT_COL = 0;
export const SLOT_DCOL = 1;
export const SLOT_ACC = 2;
export const SLOT_ACC2 = 3;
export const SLOT_WT = 4;
// Winograd convolution (winograd.ts)
export const SLOT_WINO_U = 5;
export const SLOT_WINO_V = 6;
export const SLOT_WINO_M = 7;
export const SLOT_WINO_ACC = 8;
export const SLOT_WINO_PAD = 9;
export const SLOT_WINO_PAD_GRAD = 10;
export const SLOT_WINO_PAD_DX = 11;
// attention (attention.ts): a row of scores, a row of output or query gradient, one head's key and value gradients
export const SLOT_ATTN_ROW = 16;
export const SLOT_ATTN_ACC = 17;
export const SLOT_ATTN_DK = 18;
export const SLOT_ATTN_DV = 19;
