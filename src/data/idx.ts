/**
 * The IDX format of MNIST's files: magic (0, 0, type, ndims), big-endian int32 dims, then the data in
 * big-endian. Reading validates the header, the type and that the byte count matches the dims.
 */
import * as fs from 'node:fs';
import type { Tensor2D } from './tensor';

const TYPES: Record<number, { name: string; size: number; read: (v: DataView, o: number) => number; write: (v: DataView, o: number, x: number) => void }> = {
  0x08: { name: 'uint8', size: 1, read: (v, o) => v.getUint8(o), write: (v, o, x) => v.setUint8(o, x) },
  0x09: { name: 'int8', size: 1, read: (v, o) => v.getInt8(o), write: (v, o, x) => v.setInt8(o, x) },
  0x0b: { name: 'int16', size: 2, read: (v, o) => v.getInt16(o), write: (v, o, x) => v.setInt16(o, x) },
  0x0c: { name: 'int32', size: 4, read: (v, o) => v.getInt32(o), write: (v, o, x) => v.setInt32(o, x) },
  0x0d: { name: 'float32', size: 4, read: (v, o) => v.getFloat32(o), write: (v, o, x) => v.setFloat32(o, x) },
  0x0e: { name: 'float64', size: 8, read: (v, o) => v.getFloat64(o), write: (v, o, x) => v.setFloat64(o, x) },
};
export type IdxType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

/** Reads an IDX file or buffer. @example const { shape, data } = bp.data.readIdx('train-images-idx3-ubyte') */
export function readIdx(source: string | Uint8Array): { shape: number[]; data: Float64Array; type: IdxType } {
  const name = typeof source === 'string' ? source : '<idx buffer>';
  let bytes: Uint8Array;
  try {
    bytes = typeof source === 'string' ? fs.readFileSync(source) : source;
  } catch (e) {
    throw new Error(`${name}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) throw new Error(`${name}: not an IDX file (bad magic number)`);
  const t = TYPES[bytes[2]];
  if (!t) throw new Error(`${name}: unknown IDX data type 0x${bytes[2].toString(16)}`);
  const ndims = bytes[3];
  if (ndims < 1 || ndims > 8) throw new Error(`${name}: ${ndims} dimensions is not supported (1 to 8)`);
  const header = 4 + 4 * ndims;
  if (bytes.length < header) throw new Error(`${name}: truncated header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  let count = 1;
  for (let i = 0; i < ndims; i++) {
    const d = view.getInt32(4 + 4 * i);
    if (d < 0) throw new Error(`${name}: negative dimension ${d}`);
    shape.push(d);
    count *= d;
    if (count > 2 ** 31) throw new Error(`${name}: dimensions [${shape.join(', ')}...] are too large`);
  }
  if (bytes.length !== header + count * t.size) {
    throw new Error(`${name}: has ${bytes.length - header} data bytes but dimensions [${shape.join(', ')}] of ${t.name} need ${count * t.size}`);
  }
  const data = new Float64Array(count);
  for (let i = 0; i < count; i++) data[i] = t.read(view, header + i * t.size);
  return { shape, data, type: t.name as IdxType };
}

/** Writes an IDX file. @example bp.data.writeIdx('labels.idx', [3], [1, 2, 3], 'uint8') */
export function writeIdx(path: string, shape: number[], data: ArrayLike<number>, type: IdxType = 'float32'): void {
  const code = Number(Object.keys(TYPES).find((k) => TYPES[Number(k)].name === type));
  const t = TYPES[code];
  if (!t) throw new Error(`writeIdx(): unknown type '${type}'`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new Error(`writeIdx(): shape [${shape}] needs ${count} values, got ${data.length}`);
  const header = 4 + 4 * shape.length;
  const buf = new Uint8Array(header + count * t.size);
  const view = new DataView(buf.buffer);
  buf[2] = code;
  buf[3] = shape.length;
  shape.forEach((d, i) => view.setInt32(4 + 4 * i, d));
  for (let i = 0; i < count; i++) t.write(view, header + i * t.size, data[i]);
  fs.writeFileSync(path, buf);
}

/**
 * Images + labels IDX files (as MNIST's) → x (one row per image, pixels/255 when `normalize`) and labels.
 * @example const { x, y } = bp.data.loadIdx('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte');
 */
export function loadIdx(imagesPath: string, labelsPath: string, { normalize = true }: { normalize?: boolean } = {}): { x: Tensor2D; y: Int32Array } {
  const images = readIdx(imagesPath), labels = readIdx(labelsPath);
  const n = images.shape[0];
  if (labels.shape.length !== 1 || labels.shape[0] !== n) throw new Error(`${labelsPath}: has ${labels.shape[0]} labels but ${imagesPath} has ${n} images`);
  const cols = images.shape.slice(1).reduce((a, b) => a * b, 1);
  const x = new Float32Array(n * cols);
  const k = normalize && images.type === 'uint8' ? 1 / 255 : 1;
  for (let i = 0; i < x.length; i++) x[i] = images.data[i] * k;
  const y = Int32Array.from(labels.data, (v, i) => {
    if (!Number.isInteger(v) || v < 0) throw new Error(`${labelsPath}: label ${i} is ${v}; labels must be non-negative integers`);
    return v;
  });
  return { x: { data: x, shape: [n, cols], dtype: 'float32' }, y };
}
