/** Decoding manifest entries (float32, int32, and uint8/uint16/float16 quantized) into model arrays. */
import type { FloatArray } from '../backend/ops';
import { quote } from '../quote';
import { FormatError } from './safe-json';

export interface ManifestEntry {
  name: string;
  shape: number[];
  size: number;
  dtype: 'float32' | 'int32';
  group: 'model' | 'optimizer';
  quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; scale: number; min: number };
  bytes: number;
  offset: number;
}

/** An IEEE half-precision value (its 16 bits) as a number. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1,
    e = (h >> 10) & 0x1f,
    f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/**
 * Writes the entry's values (little-endian in the file) into `out` (length already checked). A value that is
 * not finite in `out` (NaN or ±Infinity in the file, a float16 Inf/NaN, or a quantized value whose scale makes
 * it overflow) is refused, as loadSafetensors refuses it: a FormatError naming `file` (the weights file the
 * entry was read from), the weight and the index.
 */
export function decodeWeights(e: ManifestEntry, bytes: Uint8Array, out: FloatArray | Int32Array, file: string): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset + e.offset, e.bytes);
  const q = e.quantization;
  for (let i = 0; i < e.size; i++) {
    let v: number;
    if (!q) v = e.dtype === 'int32' ? view.getInt32(i * 4, true) : view.getFloat32(i * 4, true);
    else if (q.dtype === 'uint8') v = q.min + q.scale * view.getUint8(i);
    else if (q.dtype === 'uint16') v = q.min + q.scale * view.getUint16(i * 2, true);
    else v = halfToFloat(view.getUint16(i * 2, true));
    out[i] = v;
    if (!Number.isFinite(out[i])) {
      const past = Number.isFinite(v)
        ? `, past the largest ${out instanceof Float32Array ? 'float32' : 'float64'}`
        : '';
      throw new FormatError(file, `weight ${quote(e.name)} holds ${v} at index ${i}${past}; weights must be finite`);
    }
  }
}
