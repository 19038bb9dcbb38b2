/**
 * The IDX format of MNIST's files: magic (0, 0, type, ndims), big-endian int32 dims, then the values in
 * big-endian. Reading validates the header, the type and that the byte count matches the dims, so a
 * truncated download is an error rather than a silently short dataset.
 */
import * as fs from 'node:fs';
import type { Tensor2D } from './tensor';
import { preview, quoteValue } from '../quote';

export type IdxType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';
export type IdxArray = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

interface TypeInfo {
  code: number;
  name: IdxType;
  size: number;
  make: (n: number) => IdxArray;
  read: (v: DataView, o: number) => number;
  write: (v: DataView, o: number, x: number) => void;
  /** Integer range, checked on write so a value is never silently wrapped. */
  range?: [number, number];
}

const TYPES: TypeInfo[] = [
  {
    code: 0x08,
    name: 'uint8',
    size: 1,
    make: (n) => new Uint8Array(n),
    read: (v, o) => v.getUint8(o),
    write: (v, o, x) => v.setUint8(o, x),
    range: [0, 255],
  },
  {
    code: 0x09,
    name: 'int8',
    size: 1,
    make: (n) => new Int8Array(n),
    read: (v, o) => v.getInt8(o),
    write: (v, o, x) => v.setInt8(o, x),
    range: [-128, 127],
  },
  {
    code: 0x0b,
    name: 'int16',
    size: 2,
    make: (n) => new Int16Array(n),
    read: (v, o) => v.getInt16(o),
    write: (v, o, x) => v.setInt16(o, x),
    range: [-32768, 32767],
  },
  {
    code: 0x0c,
    name: 'int32',
    size: 4,
    make: (n) => new Int32Array(n),
    read: (v, o) => v.getInt32(o),
    write: (v, o, x) => v.setInt32(o, x),
    range: [-(2 ** 31), 2 ** 31 - 1],
  },
  {
    code: 0x0d,
    name: 'float32',
    size: 4,
    make: (n) => new Float32Array(n),
    read: (v, o) => v.getFloat32(o),
    write: (v, o, x) => v.setFloat32(o, x),
  },
  {
    code: 0x0e,
    name: 'float64',
    size: 8,
    make: (n) => new Float64Array(n),
    read: (v, o) => v.getFloat64(o),
    write: (v, o, x) => v.setFloat64(o, x),
  },
];
const byCode = new Map(TYPES.map((t) => [t.code, t]));
const byName = new Map(TYPES.map((t) => [t.name, t]));

const MAX_DIM = 2 ** 31 - 1;

/**
 * Reads an IDX file or buffer into a typed array of the file's own type (Uint8Array for MNIST).
 * @example
 * const { shape, data, type } = bp.data.readIdx('train-images-idx3-ubyte'); // shape [60000, 28, 28], 'uint8'
 */
export function readIdx(
  source: string | Uint8Array,
  name = typeof source === 'string' ? source : '<idx buffer>',
): { shape: number[]; data: IdxArray; type: IdxType } {
  let bytes: Uint8Array;
  try {
    bytes = typeof source === 'string' ? fs.readFileSync(source) : source;
  } catch (e) {
    throw new Error(`${name}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (bytes.length < 4)
    throw new Error(`${name}: truncated: ${bytes.length} bytes is shorter than the 4-byte IDX magic number`);
  // The bytes themselves are not quoted: a file that is not IDX may be anything, and messages travel.
  if (bytes[0] !== 0 || bytes[1] !== 0)
    throw new Error(`${name}: not an IDX file (its first two bytes must be 0x00 0x00, then <type> <ndims>)`);
  const t = byCode.get(bytes[2]);
  if (!t)
    throw new Error(
      `${name}: unknown IDX data type 0x${bytes[2].toString(16).padStart(2, '0')} (known: 0x08 uint8, 0x09 ` +
        `int8, 0x0b int16, 0x0c int32, 0x0d float32, 0x0e float64)`,
    );
  const ndims = bytes[3];
  if (ndims < 1) throw new Error(`${name}: an IDX file needs at least 1 dimension, the header says 0`);
  const header = 4 + 4 * ndims;
  if (bytes.length < header)
    throw new Error(
      `${name}: truncated header: ${ndims} dimensions need ${header} bytes, the file has ${bytes.length}`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let i = 0; i < ndims; i++) {
    const d = view.getInt32(4 + 4 * i);
    if (d < 0) throw new Error(`${name}: dimension ${i} is ${d}; dimensions must be non-negative`);
    shape.push(d);
  }
  // Multiplied as BigInt: dims of up to 2^31 each overflow a double's exact range after two factors.
  const need = shape.reduce((a, d) => a * BigInt(d), 1n) * BigInt(t.size);
  const have = BigInt(bytes.length - header);
  if (need !== have) {
    throw new Error(
      `${name}: ${need > have ? 'truncated' : 'has trailing bytes'}: ${have} data bytes but dimensions ` +
        `[${shape.join(', ')}] of ${t.name} need ${need}`,
    );
  }
  const count = Number(need) / t.size;
  const data = t.make(count);
  if (t.size === 1)
    data.set(
      t.name === 'uint8' ? bytes.subarray(header) : new Int8Array(bytes.buffer, bytes.byteOffset + header, count),
    );
  else for (let i = 0; i < count; i++) data[i] = t.read(view, header + i * t.size);
  return { shape, data, type: t.name };
}

function typeOf(data: ArrayLike<number>): IdxType {
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Float32Array) return 'float32';
  // number[] and anything else: float64 is the one type that holds every JS number exactly.
  return 'float64';
}

/**
 * Encodes values as IDX bytes. `type` defaults to the typed array's own type (float64 for number[]).
 * @example const bytes = bp.data.encodeIdx([2, 2], Uint8Array.of(0, 255, 128, 7)); // 4 + 8 + 4 bytes
 */
export function encodeIdx(shape: number[], data: ArrayLike<number>, type: IdxType = typeOf(data)): Uint8Array {
  const t = byName.get(type);
  if (!t)
    throw new Error(`writeIdx(): unknown type ${quoteValue(type)}; use one of ${TYPES.map((x) => x.name).join(', ')}`);
  if (
    !Array.isArray(shape) ||
    shape.length < 1 ||
    shape.length > 255 ||
    !shape.every((d) => Number.isInteger(d) && d >= 0 && d <= MAX_DIM)
  ) {
    throw new Error(
      `writeIdx(): 'shape' must be 1 to 255 integer dimensions in [0, ${MAX_DIM}], got ${preview(shape)}`,
    );
  }
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new Error(`writeIdx(): shape [${shape}] needs ${count} values, got ${data.length}`);
  const header = 4 + 4 * shape.length;
  const buf = new Uint8Array(header + count * t.size);
  const view = new DataView(buf.buffer);
  buf[2] = t.code;
  buf[3] = shape.length;
  shape.forEach((d, i) => view.setInt32(4 + 4 * i, d));
  for (let i = 0; i < count; i++) {
    const v = data[i];
    if (t.range && !(Number.isInteger(v) && v >= t.range[0] && v <= t.range[1])) {
      throw new Error(
        `writeIdx(): value ${v} at index ${i} does not fit ${t.name} (integers in [${t.range[0]}, ${t.range[1]}])`,
      );
    }
    t.write(view, header + i * t.size, v);
  }
  return buf;
}

/**
 * Writes an IDX file. `type` defaults to the typed array's own type (float64 for number[]).
 * @example bp.data.writeIdx('labels.idx', [3], [1, 2, 3], 'uint8');
 */
export function writeIdx(path: string, shape: number[], data: ArrayLike<number>, type?: IdxType): void {
  fs.writeFileSync(path, encodeIdx(shape, data, type ?? typeOf(data)));
}

/**
 * Images + labels IDX files (as MNIST's) → x (one row per image, the other dims flattened) and labels.
 * `normalize` divides uint8 pixels by 255; other types are taken as already scaled, since /255 only
 * makes sense for byte pixels. `sampleShape` is one image's shape in the file ([28, 28] for MNIST). Either
 * file may be given as its bytes; `names` then says what to call them in error messages.
 * @example const { x, y } = bp.data.loadIdx('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'); // x [10000, 784]
 */
export function loadIdx(
  imagesPath: string | Uint8Array,
  labelsPath: string | Uint8Array,
  {
    normalize = true,
    names = [
      typeof imagesPath === 'string' ? imagesPath : '<images buffer>',
      typeof labelsPath === 'string' ? labelsPath : '<labels buffer>',
    ],
  }: { normalize?: boolean; names?: [string, string] } = {},
): { x: Tensor2D; y: Int32Array; sampleShape: number[] } {
  const [imagesName, labelsName] = names;
  const images = readIdx(imagesPath, imagesName),
    labels = readIdx(labelsPath, labelsName);
  const n = images.shape[0];
  if (labels.shape.length !== 1 && !(labels.shape.length === 2 && labels.shape[1] === 1)) {
    throw new Error(`${labelsName}: labels must be 1-D (one per image), got shape [${labels.shape.join(', ')}]`);
  }
  if (labels.shape[0] !== n)
    throw new Error(`${labelsName}: has ${labels.shape[0]} labels but ${imagesName} has ${n} images; they must match`);
  const cols = images.shape.slice(1).reduce((a, b) => a * b, 1);
  const x = new Float32Array(n * cols);
  const k = normalize && images.type === 'uint8' ? 1 / 255 : 1;
  for (let i = 0; i < x.length; i++) x[i] = images.data[i] * k;
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = labels.data[i];
    if (!Number.isInteger(v) || v < 0 || v > MAX_DIM)
      throw new Error(`${labelsName}: label ${i} is ${v}; labels must be non-negative integers`);
    y[i] = v;
  }
  return { x: { data: x, shape: [n, cols], dtype: 'float32' }, y, sampleShape: images.shape.slice(1) };
}
