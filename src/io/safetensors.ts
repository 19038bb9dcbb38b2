/**
 * The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian header length N,
 * N bytes of UTF-8 JSON `{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: { k: v } }`
 * (starting with '{', padded with spaces), then the tensors' raw little-endian bytes, offsets relative to the
 * start of that data.
 *
 * The reader treats the file as hostile: the header length is bounded before it is read, every entry is checked
 * (a closed list of dtypes and keys, shapes overflow-checked, offsets inside the data and equal to the size
 * the dtype and shape imply), and the entries must cover the data exactly, with no overlap and no hole (as
 * the format requires, which also makes a duplicated name detectable).
 */
import { FormatError, parseUntrustedJson, Reader } from './safe-json';
import { halfToFloat } from './weights';
import { clipText, quote } from '../quote';

/** The reference implementation's limit on the header (100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;
/** Most tensors a header may list. */
const MAX_TENSORS = 1 << 20;

/** Bytes per value of each safetensors dtype. */
const DTYPE_BYTES: Record<string, number> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
};

/** The float dtypes backprop reads into weights. */
export type FloatDtype = 'F16' | 'BF16' | 'F32' | 'F64';
const FLOAT_DTYPES: readonly string[] = ['F16', 'BF16', 'F32', 'F64'];

export interface SafetensorsEntry {
  name: string;
  dtype: string;
  shape: number[];
  /** Values (the product of the shape). */
  size: number;
  /** Byte range in the data section. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  entries: SafetensorsEntry[];
  metadata: Record<string, string>;
}

/** What encodeSafetensors writes: one tensor. */
export interface TensorToWrite {
  name: string;
  shape: number[];
  data: Float32Array | Float64Array;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * A safetensors file holding `tensors` in the given order (F32 or F64 by their array type), the header padded
 * with spaces so the data starts 8-byte aligned.
 * @example encodeSafetensors([{ name: 'dense_1/bias', shape: [2], data: Float32Array.of(0, 1) }])
 */
export function encodeSafetensors(tensors: TensorToWrite[], metadata: Record<string, string> = {}): Uint8Array {
  if (!LITTLE_ENDIAN) throw new Error('safetensors: writing needs a little-endian machine');
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    if (Object.prototype.hasOwnProperty.call(header, t.name))
      throw new Error(`safetensors: ${quote(t.name)} appears twice`);
    const dtype = t.data instanceof Float64Array ? 'F64' : 'F32';
    header[t.name] = { dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const head = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + head.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.byteLength), true);
  out.set(head, 8);
  let at = 8 + head.byteLength;
  for (const t of tensors) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

/**
 * The header length from a file's first 8 bytes, checked against the file's size and MAX_HEADER_BYTES before
 * anything of that size is allocated.
 */
export function headerLength(first8: Uint8Array, fileBytes: number, file: string): number {
  if (fileBytes < 8 || first8.byteLength < 8) throw new FormatError(file, 'not a safetensors file: under 8 bytes');
  const n = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(Math.min(MAX_HEADER_BYTES, fileBytes - 8))) {
    throw new FormatError(
      file,
      `the header length ${n} is larger than the file (${fileBytes} bytes) or than ${MAX_HEADER_BYTES} bytes: ` +
        'not a safetensors file, or a damaged one',
    );
  }
  return Number(n);
}

/** Parses and checks a header, given the size of the data section that follows it. */
export function parseHeader(bytes: Uint8Array, dataBytes: number, file: string): SafetensorsHeader {
  const r = new Reader(file);
  if (bytes[0] !== 0x7b) r.fail('header', "does not start with '{': not a safetensors file");
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return r.fail('header', 'is not valid UTF-8');
  }
  const root = r.obj(parseUntrustedJson(text, file), 'header');
  const names = Object.keys(root);
  if (names.length > MAX_TENSORS) r.fail('header', `lists ${names.length} tensors (limit ${MAX_TENSORS})`);
  const metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const name of names) {
    if (name === '__metadata__') {
      for (const [k, v] of Object.entries(r.obj(root[name], 'header.__metadata__'))) {
        metadata[k] = r.str(v, `header.__metadata__.${clipText(k)}`, 1 << 20);
      }
      continue;
    }
    entries.push(readEntry(r, name, root[name], dataBytes));
  }
  checkCoverage(r, entries, dataBytes);
  return { entries, metadata };
}

function readEntry(r: Reader, name: string, value: unknown, dataBytes: number): SafetensorsEntry {
  const where = `tensor ${quote(name)}`;
  const o = r.obj(value, where);
  for (const key of Object.keys(o)) {
    if (key !== 'dtype' && key !== 'shape' && key !== 'data_offsets') {
      r.fail(where, `unknown key ${quote(key)} (expected dtype, shape, data_offsets)`);
    }
  }
  const dtype = r.oneOf(o.dtype, `${where}.dtype`, Object.keys(DTYPE_BYTES));
  const width = DTYPE_BYTES[dtype];
  const { shape, size } = r.shape(o.shape, `${where}.shape`, Math.floor(dataBytes / width));
  const offsets = r.arr(o.data_offsets, `${where}.data_offsets`, 2);
  if (offsets.length !== 2) r.fail(`${where}.data_offsets`, 'expected [begin, end]');
  const begin = r.int(offsets[0], `${where}.data_offsets[0]`, 0, dataBytes);
  const end = r.int(offsets[1], `${where}.data_offsets[1]`, begin, dataBytes);
  if (end - begin !== size * width) {
    r.fail(
      `${where}.data_offsets`,
      `[${begin}, ${end}] holds ${end - begin} bytes but ${dtype} ${JSON.stringify(shape)} takes ${size * width}`,
    );
  }
  return { name, dtype, shape, size, begin, end };
}

/** The entries, in data order, tile the data section exactly: no hole, no overlap, nothing after. */
function checkCoverage(r: Reader, entries: SafetensorsEntry[], dataBytes: number): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const e of sorted) {
    if (e.begin < at) r.fail(`tensor ${quote(e.name)}`, `its bytes [${e.begin}, ${e.end}] overlap another tensor's`);
    if (e.begin > at) r.fail('header', `bytes [${at}, ${e.begin}] of the data belong to no tensor`);
    at = e.end;
  }
  if (at !== dataBytes) r.fail('header', `bytes [${at}, ${dataBytes}] of the data belong to no tensor`);
}

/** Whether backprop can read the dtype into float weights. */
export function isFloatDtype(dtype: string): dtype is FloatDtype {
  return FLOAT_DTYPES.includes(dtype);
}

/** Reads an entry's values (little-endian F16/BF16/F32/F64, checked by parseHeader) from `data` into `out`. */
export function decodeFloats(e: SafetensorsEntry, data: Uint8Array, out: Float32Array | Float64Array): void {
  const view = new DataView(data.buffer, data.byteOffset + e.begin, e.end - e.begin);
  const bits = new Float32Array(1);
  const bitsAsInt = new Uint32Array(bits.buffer);
  for (let i = 0; i < e.size; i++) {
    if (e.dtype === 'F32') out[i] = view.getFloat32(i * 4, true);
    else if (e.dtype === 'F64') out[i] = view.getFloat64(i * 8, true);
    else if (e.dtype === 'F16') out[i] = halfToFloat(view.getUint16(i * 2, true));
    else {
      // bfloat16: the top 16 bits of a float32.
      bitsAsInt[0] = view.getUint16(i * 2, true) << 16;
      out[i] = bits[0];
    }
  }
}
