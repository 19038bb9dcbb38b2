/**
 * cache(): the first complete pass is kept — in memory, or in a file — and later passes replay it instead
 * of running the upstream again (decoding, a slow generator). A pass abandoned part-way keeps nothing.
 *
 * The file is written beside its final name and renamed once complete, so a file at the path is always a
 * whole pass; it is read back as untrusted input (every length checked against the file). Nothing checks
 * that it still matches its source: delete it when the data changes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isNumericArray, isTensor } from './element';
import { owned, type Pass, type PassOf } from './ops';

const noop = () => {};

/** The elements of the first complete pass, once there is one. */
export interface MemoryCache<T> {
  elements?: T[];
}

/**
 * Cached elements are shared by every later pass: they are handed out as borrowed (iteration copies them),
 * and must not be changed in place.
 */
export async function* memoryCachePass<T>(cache: MemoryCache<T>, of: PassOf<T>, pass: number): Pass<T> {
  if (cache.elements) {
    const all = cache.elements;
    for (let i = 0; i < all.length; i++)
      yield { value: all[i], borrowed: true, release: noop, progress: (i + 1) / all.length };
    return;
  }
  const got: T[] = [];
  for await (const l of of(pass)) {
    const o = owned(l);
    got.push(o.value);
    yield { ...o, borrowed: true };
  }
  cache.elements ??= got;
}

const MAGIC = Buffer.from('BPDSCACHE1\n');
const TAG_ELEMENT = 1,
  TAG_END = 2;
const KINDS = [Float32Array, Float64Array, Int32Array] as const;
/** Most bytes of one element's structure (the JSON describing it, without its arrays). */
const MAX_JSON = 1 << 20;
const BIN = '__bp_array__';

type Numeric = Float32Array | Float64Array | Int32Array;

/** An element as JSON (arrays replaced by references) plus its arrays. */
function encode(v: unknown, arrays: Numeric[]): unknown {
  if (isNumericArray(v)) return { [BIN]: arrays.push(v) - 1 };
  if (isTensor(v)) return { ...v, data: encode(v.data, arrays), shape: [...v.shape] };
  if (Array.isArray(v)) return v.map((x) => encode(x, arrays));
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = encode(x, arrays);
    return out;
  }
  if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`cache(): cannot store the number ${v}`);
  if (v !== null && typeof v !== 'number' && typeof v !== 'string' && typeof v !== 'boolean')
    throw new Error(`cache(): cannot store a ${typeof v} in a cache file`);
  return v;
}

function decode(v: unknown, arrays: Numeric[], file: string): unknown {
  if (Array.isArray(v)) return v.map((x) => decode(x, arrays, file));
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (BIN in o) {
      const i = o[BIN];
      if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= arrays.length)
        throw new Error(`${file}: a corrupt dataset cache (an array reference out of range); delete the file`);
      return arrays[i];
    }
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) out[k] = decode(x, arrays, file);
    return out;
  }
  return v;
}

/** Sequential buffered reads of a file handle. */
class Reader {
  private buf = Buffer.alloc(1 << 20);
  private start = 0;
  private end = 0;
  constructor(
    private readonly fh: fs.promises.FileHandle,
    private pos: number,
    readonly limit: number,
  ) {}
  get offset(): number {
    return this.pos - (this.end - this.start);
  }
  async bytes(n: number, what: string, file: string): Promise<Buffer> {
    if (this.offset + n > this.limit)
      throw new Error(`${file}: a corrupt or truncated dataset cache (${what} runs past the end); delete the file`);
    if (n > this.buf.length) {
      const out = Buffer.alloc(n);
      const have = this.end - this.start;
      this.buf.copy(out, 0, this.start, this.end);
      this.start = this.end = 0;
      let at = have;
      while (at < n) {
        const { bytesRead } = await this.fh.read(out, at, n - at, this.pos);
        if (bytesRead === 0) throw new Error(`${file}: the dataset cache was truncated while being read`);
        at += bytesRead;
        this.pos += bytesRead;
      }
      return out;
    }
    if (this.end - this.start < n) {
      this.buf.copy(this.buf, 0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
      while (this.end < n) {
        const { bytesRead } = await this.fh.read(this.buf, this.end, this.buf.length - this.end, this.pos);
        if (bytesRead === 0) throw new Error(`${file}: the dataset cache was truncated while being read`);
        this.end += bytesRead;
        this.pos += bytesRead;
      }
    }
    const out = this.buf.subarray(this.start, this.start + n);
    this.start += n;
    return out;
  }
}

async function* readCache<T>(file: string): Pass<T> {
  const fh = await fs.promises.open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    const tail = Buffer.alloc(12);
    if (size >= MAGIC.length + 12) await fh.read(tail, 0, 12, size - 12);
    const head = Buffer.alloc(MAGIC.length);
    await fh.read(head, 0, MAGIC.length, 0);
    if (!head.equals(MAGIC) || tail.readUInt32LE(0) !== TAG_END)
      throw new Error(`${file}: not a complete dataset cache written by backprop; delete it or name another file`);
    const count = tail.readUInt32LE(4) + tail.readUInt32LE(8) * 2 ** 32;
    const r = new Reader(fh, MAGIC.length, size - 12);
    for (let i = 0; i < count; i++) {
      const rec = await r.bytes(12, 'a record header', file);
      const tag = rec.readUInt32LE(0),
        jsonLength = rec.readUInt32LE(4),
        nArrays = rec.readUInt32LE(8);
      if (tag !== TAG_ELEMENT || jsonLength > MAX_JSON || nArrays > 65536)
        throw new Error(`${file}: a corrupt dataset cache (record ${i}); delete the file`);
      let json: unknown;
      try {
        json = JSON.parse((await r.bytes(jsonLength, 'a record', file)).toString('utf8'));
      } catch {
        throw new Error(`${file}: a corrupt dataset cache (record ${i} is not JSON); delete the file`);
      }
      const arrays: Numeric[] = [];
      for (let a = 0; a < nArrays; a++) {
        const h = await r.bytes(8, 'an array header', file);
        const kind = h.readUInt32LE(0),
          bytes = h.readUInt32LE(4);
        const C = KINDS[kind];
        if (!C || bytes % C.BYTES_PER_ELEMENT !== 0)
          throw new Error(`${file}: a corrupt dataset cache (record ${i}, array ${a}); delete the file`);
        const raw = await r.bytes(bytes, 'an array', file);
        const out = new C(bytes / C.BYTES_PER_ELEMENT);
        new Uint8Array(out.buffer).set(raw);
        arrays.push(out);
      }
      yield { value: decode(json, arrays, file) as T, borrowed: false, release: noop, progress: (i + 1) / count };
    }
    if (r.offset !== size - 12)
      throw new Error(`${file}: a corrupt dataset cache (bytes after the last record); delete the file`);
  } finally {
    await fh.close();
  }
}

/** Writes a pass to `file` (via a temporary name) while yielding it; only a complete pass is renamed in place. */
async function* writeCache<T>(file: string, of: PassOf<T>, pass: number): Pass<T> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.partial`);
  const fh = await fs.promises.open(tmp, 'wx');
  let complete = false;
  let count = 0;
  try {
    await fh.write(MAGIC);
    for await (const l of of(pass)) {
      const arrays: Numeric[] = [];
      let json: Buffer;
      try {
        json = Buffer.from(JSON.stringify(encode(l.value, arrays)));
        if (json.length > MAX_JSON) throw new Error(`cache(): an element's structure is over ${MAX_JSON} bytes`);
        const head = Buffer.alloc(12);
        head.writeUInt32LE(TAG_ELEMENT, 0);
        head.writeUInt32LE(json.length, 4);
        head.writeUInt32LE(arrays.length, 8);
        const parts: Uint8Array[] = [head, json];
        for (const a of arrays) {
          if (a.byteLength > 2 ** 32 - 8) throw new Error('cache(): an array of an element is over 4 GiB');
          const h = Buffer.alloc(8);
          h.writeUInt32LE(
            KINDS.findIndex((C) => a instanceof C),
            0,
          );
          h.writeUInt32LE(a.byteLength, 4);
          parts.push(h, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
        }
        await fh.writev(parts);
      } catch (e) {
        l.release();
        throw e;
      }
      count++;
      yield l;
    }
    const end = Buffer.alloc(12);
    end.writeUInt32LE(TAG_END, 0);
    end.writeUInt32LE(count % 2 ** 32, 4);
    end.writeUInt32LE(Math.floor(count / 2 ** 32), 8);
    await fh.write(end);
    await fh.sync();
    complete = true;
  } finally {
    await fh.close();
    if (complete) await fs.promises.rename(tmp, file);
    else await fs.promises.rm(tmp, { force: true });
  }
}

/** A pass through a cache file: replayed when the file exists, else written from the upstream. */
export async function* fileCachePass<T>(file: string, of: PassOf<T>, pass: number): Pass<T> {
  let exists = false;
  try {
    exists = (await fs.promises.stat(file)).isFile();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (exists) yield* readCache<T>(file);
  else yield* writeCache(file, of, pass);
}
