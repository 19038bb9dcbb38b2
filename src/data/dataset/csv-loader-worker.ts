/**
 * The loader role of a csvDataset pass (in a worker thread). It reads the file in chunks cut at record
 * ends, hands them to the parser threads, takes their rows back in file order, and — still off the main
 * thread — selects the split, shuffles through its buffer and copies rows into the batch slots the main
 * thread reads. Slots are a ring in shared memory: the loader waits while all are full, the main thread
 * releases each after its training step (csv-slots.ts). Memory is the chunks in flight, the shuffle buffer
 * and the slots, whatever the file's size.
 */
import type { MessagePort } from 'node:worker_threads';
import { Rng } from '../../random';
import { lastRecordEnd, type BadRecord } from './csv-bytes';
import { clip, readHeader, resolveColumns, type CsvPlanSpec } from './csv-plan';
import type { FromParser, RowBlock } from './csv-parser-worker';
import { SlotWriter, type SlotLayout } from './csv-slots';
import { OpenFile, sameIdentity, type FileIdentity, type FileRef } from './file-source';
import { passSeed, unitHash } from './seeds';
import { byteView, floatView, int32View } from './shared-memory';

export interface CsvPassConfig {
  file: FileRef;
  spec: CsvPlanSpec;
  /** The file version earlier passes read (null for the first): a pass over another version fails. */
  expected: FileIdentity | null;
  mode: 'rows' | 'scan';
  slots: SlotLayout;
  shuffle: { buffer: number; seed: number } | null;
  pass: number;
  split: { fraction: number; seed: number; keep: 'training' | 'validation' } | null;
  chunkBytes: number;
  /** A fitted scaler's numbers, applied to the features as rows enter the batch slots. */
  scaling: { offset: number[]; scale: number[] } | null;
  /** Whether a last batch smaller than the others is yielded (else dropped). */
  smallLastBatch: boolean;
}

/** What a pass reports when it ends. */
export interface CsvPassStats {
  records: number;
  rows: number;
  skipped: number;
  skippedExamples: string[];
  /** Scans: the target's distinct texts (up to the scan's limit) and what they look like. */
  distinct?: string[];
  allNumeric?: boolean;
  allInteger?: boolean;
  distinctOverflow?: boolean;
}

export type FromLoader =
  | { type: 'header'; names: string[]; featureNames: string[]; identity: FileIdentity }
  | { type: 'end'; stats: CsvPassStats }
  | { type: 'error'; message: string };

const LF = 10;
/** Chunks in flight per parser: one being parsed, one waiting. */
const IN_FLIGHT = 2;

interface Pending {
  result?: FromParser;
  /** A record longer than maxRowBytes begins this chunk (reported in file order). */
  longRecord?: boolean;
  parser: number;
  buf?: SharedArrayBuffer;
  endPos: number;
}

/** Runs one pass; `post` reports to the main thread. Resolves when the pass is over (ended, failed, cancelled). */
export async function runLoader(cfg: CsvPassConfig, ports: MessagePort[], post: (m: FromLoader) => void) {
  const { spec } = cfg;
  const slots = new SlotWriter(cfg.slots);
  if (cfg.scaling) slots.setScaling(cfg.scaling.offset, cfg.scaling.scale);
  let file: OpenFile | undefined;
  try {
    file = OpenFile.open(cfg.file, spec.name);
    if (cfg.expected && !sameIdentity(file.identity, cfg.expected))
      throw new Error(
        `${spec.name}: the file changed since the dataset's first pass read it (size or modification time ` +
          'differ); create a new dataset for the new data',
      );
    const header = readHeader(file, spec);
    const cols = resolveColumns(header.names, spec);
    post({ type: 'header', names: header.names, featureNames: cols.featureNames, identity: file.identity });
    for (const p of ports) p.postMessage({ type: 'plan', spec, names: header.names });
    const stats = await new Loader(cfg, file, header, cols.featureNames.length, ports, slots).run();
    if (stats) post({ type: 'end', stats });
  } catch (e) {
    slots.fail();
    post({ type: 'error', message: (e as Error).message });
  } finally {
    file?.close();
    for (const p of ports) p.close();
  }
}

class Loader {
  private readonly size: number;
  private pos: number;
  private carry = new Uint8Array(0);
  private pool: SharedArrayBuffer[] = [];
  private readonly pending = new Map<number, Pending>();
  private waiting: { seq: number; resolve: () => void } | undefined;
  private nextSeq = 0;
  private inFlight: number[];
  private line: number;
  // Rows
  private readonly nf: number;
  private readonly ny: number;
  private records = 0;
  private rows = 0;
  private skipped = 0;
  private readonly examples: string[] = [];
  private readonly rng: Rng | undefined;
  private readonly bufX: Float32Array | Float64Array | undefined;
  private readonly bufY: Int32Array | Float32Array | Float64Array | undefined;
  private filled = 0;
  private progress = 0;
  // Scans
  private readonly distinct = new Set<string>();
  private allNumeric = true;
  private allInteger = true;
  private overflow = false;

  constructor(
    private readonly cfg: CsvPassConfig,
    private readonly file: OpenFile,
    private readonly header: { names: string[]; dataStart: number; linesBefore: number },
    features: number,
    private readonly ports: MessagePort[],
    private readonly slots: SlotWriter,
  ) {
    this.size = file.identity.size;
    this.pos = header.dataStart;
    this.line = header.linesBefore + 1;
    this.inFlight = ports.map(() => 0);
    this.nf = features;
    this.ny = cfg.spec.targetMode === 'labels' || cfg.spec.targetMode === 'numbers' ? 1 : 0;
    ports.forEach((p, i) =>
      p.on('message', (m: FromParser) => {
        const slot = this.pending.get(m.seq);
        if (!slot) return;
        slot.result = m;
        this.inFlight[i]--;
        if (slot.buf) this.pool.push(slot.buf);
        if (this.waiting?.seq === m.seq) this.waiting.resolve();
      }),
    );
    if (cfg.mode === 'rows' && cfg.shuffle) {
      const B = cfg.shuffle.buffer;
      this.rng = new Rng(passSeed(cfg.shuffle.seed, cfg.pass));
      const F = cfg.spec.dtype === 'float64' ? Float64Array : Float32Array;
      this.bufX = new F(B * this.nf);
      if (this.ny) this.bufY = cfg.spec.targetMode === 'labels' ? new Int32Array(B) : new F(B);
    }
  }

  private cancelled(): boolean {
    return this.slots.cancelled();
  }

  /** The next chunk of whole records (the final one ends with a \n added if the file lacks it), or null. */
  private readChunk(): { buf: SharedArrayBuffer; length: number; longRecord?: boolean } | null {
    const max = this.cfg.spec.maxRowBytes;
    let cap = Math.max(this.cfg.chunkBytes, this.carry.length + 1) + 1;
    let buf = this.pool.find((b) => b.byteLength >= cap);
    if (buf) this.pool.splice(this.pool.indexOf(buf), 1);
    else buf = new SharedArrayBuffer(cap);
    cap = buf.byteLength;
    let u8 = byteView(buf);
    u8.set(this.carry);
    let have = this.carry.length;
    this.carry = new Uint8Array(0);
    for (;;) {
      const n = this.file.read(u8, have, cap - 1 - have, this.pos);
      this.pos += n;
      have += n;
      this.file.check();
      if (this.pos >= this.size) {
        if (have === 0) {
          this.pool.push(buf);
          return null;
        }
        if (u8[have - 1] !== LF) u8[have++] = LF;
        return { buf, length: have };
      }
      const cut = lastRecordEnd(Buffer.from(u8.buffer, 0, have), 0, have);
      if (cut > 0) {
        this.carry = u8.slice(cut, have);
        return { buf, length: cut };
      }
      // No record end in the whole buffer: one record is longer than a chunk.
      if (have > max) {
        this.pos = this.size;
        return { buf, length: 0, longRecord: true };
      }
      const grown = new SharedArrayBuffer(Math.min(cap * 2, max + 2));
      byteView(grown).set(u8.subarray(0, have));
      buf = grown;
      cap = grown.byteLength;
      u8 = byteView(buf);
    }
  }

  /** Sends chunks to parsers with room, until the file is read. */
  private dispatch(): void {
    while (this.pos < this.size || this.carry.length > 0) {
      let p = -1;
      for (let i = 0; i < this.ports.length; i++)
        if (this.inFlight[i] < IN_FLIGHT && (p < 0 || this.inFlight[i] < this.inFlight[p])) p = i;
      if (p < 0) return;
      const c = this.readChunk();
      if (!c) return;
      const seq = this.nextSeq++;
      if (c.longRecord) {
        this.pending.set(seq, { longRecord: true, parser: -1, endPos: this.pos });
        this.pool.push(c.buf);
        return;
      }
      this.pending.set(seq, { parser: p, buf: c.buf, endPos: this.pos });
      this.inFlight[p]++;
      this.ports[p].postMessage({ type: 'chunk', seq, buf: c.buf, length: c.length });
    }
  }

  private async resultFor(seq: number): Promise<Pending> {
    const slot = this.pending.get(seq)!;
    if (!slot.result && !slot.longRecord) {
      await new Promise<void>((resolve) => (this.waiting = { seq, resolve }));
      this.waiting = undefined;
    }
    this.pending.delete(seq);
    return slot;
  }

  private message(b: BadRecord, chunkLine: number): string {
    const line = chunkLine + b.line;
    const name = this.cfg.spec.name;
    if (b.field >= 0)
      return this.cfg.spec.quoteContent
        ? `${name}: line ${line}, column '${clip(this.header.names[b.field])}': '${clip(b.cell)}' ${b.why}`
        : `${name}: line ${line}, column ${b.field + 1}: the cell ${b.why}`;
    return `${name}: line ${line}: ${b.why}`;
  }

  async run(): Promise<CsvPassStats | null> {
    const spec = this.cfg.spec;
    for (let seq = 0; ; seq++) {
      if (this.cancelled()) return null;
      this.dispatch();
      if (seq >= this.nextSeq) break;
      const p = await this.resultFor(seq);
      if (p.longRecord)
        throw new Error(
          `${spec.name}: the record starting on line ${this.line} is longer than maxRowBytes ` +
            `(${spec.maxRowBytes} bytes); an unclosed quote makes the rest of a file one record. Fix the file, ` +
            'or raise maxRowBytes if its records are this long',
        );
      const m = p.result!;
      if (m.error) throw new Error(m.error);
      const r = m.result;
      const chunkLine = this.line;
      this.line += r.newlines;
      this.progress = this.size > 0 ? p.endPos / this.size : 1;
      if (this.cfg.mode === 'scan') {
        this.mergeScan(r);
        this.records += r.records;
        continue;
      }
      if (r.badCount > 0 && !spec.skipBadRows) throw new Error(this.message(r.bad[0], chunkLine));
      this.skipped += r.badCount;
      for (const b of r.bad) if (this.examples.length < 5) this.examples.push(this.message(b, chunkLine));
      if (m.block) {
        await this.emitBlock(m.block, r.rows, r.skipped);
        this.ports[p.parser].postMessage({ type: 'recycle', block: m.block });
      }
      this.records += r.records;
    }
    if (this.records === 0 && spec.header && this.skipped === 0)
      throw new Error(`${spec.name}: has a header but no data rows`);
    if (this.cfg.mode === 'rows') {
      if (!(await this.drainShuffle())) return null;
      this.slots.finish(this.progress, this.cfg.smallLastBatch);
    } else this.slots.finish(1, false);
    const stats: CsvPassStats = {
      records: this.records,
      rows: this.rows,
      skipped: this.skipped,
      skippedExamples: this.examples,
    };
    if (this.cfg.mode === 'scan')
      Object.assign(stats, {
        distinct: [...this.distinct],
        allNumeric: this.allNumeric,
        allInteger: this.allInteger,
        distinctOverflow: this.overflow,
      });
    return stats;
  }

  private mergeScan(r: FromParser['result']): void {
    this.allNumeric &&= r.allNumeric !== false;
    this.allInteger &&= r.allInteger !== false;
    if (r.distinctOverflow) this.overflow = true;
    if (this.overflow) return;
    for (const v of r.distinct ?? []) {
      this.distinct.add(v);
      if (this.distinct.size > 100_000) {
        this.overflow = true;
        return;
      }
    }
  }

  /** The block's rows, in order: the split's selection, then the shuffle buffer or straight into slots. */
  private async emitBlock(block: RowBlock, rows: number, skipped: number[]): Promise<void> {
    const dtype = this.cfg.spec.dtype;
    const x = floatView(dtype, block.x);
    const y = !block.y
      ? undefined
      : this.cfg.spec.targetMode === 'labels'
        ? int32View(block.y)
        : floatView(dtype, block.y);
    const { split } = this.cfg;
    const nf = this.nf;
    // Records are numbered in the file (bad ones too), so a row's subset does not depend on other rows.
    let local = -1;
    let si = 0;
    for (let r = 0; r < rows; r++) {
      local++;
      while (si < skipped.length && skipped[si] === local) {
        si++;
        local++;
      }
      if (split && unitHash(split.seed, this.records + local) < split.fraction !== (split.keep === 'validation'))
        continue;
      this.rows++;
      if (!this.rng) {
        if (!this.slots.canPut() && !(await this.slots.waitForSlot())) return;
        this.slots.put(x, r * nf, y, r, this.progress);
        continue;
      }
      const B = this.cfg.shuffle!.buffer;
      if (this.filled < B) {
        this.store(this.filled++, x, r, y);
        continue;
      }
      const j = this.rng.int(B);
      if (!this.slots.canPut() && !(await this.slots.waitForSlot())) return;
      this.slots.put(this.bufX!, j * nf, this.bufY, j, this.progress);
      this.store(j, x, r, y);
    }
  }

  private store(
    j: number,
    x: Float32Array | Float64Array,
    r: number,
    y: Int32Array | Float32Array | Float64Array | undefined,
  ) {
    const nf = this.nf;
    const bx = this.bufX!;
    if (nf < 64) for (let c = 0; c < nf; c++) bx[j * nf + c] = x[r * nf + c];
    else bx.set(x.subarray(r * nf, (r + 1) * nf), j * nf);
    if (y) this.bufY![j] = y[r];
  }

  /** The rest of the shuffle buffer, in random order. False when the pass was cancelled. */
  private async drainShuffle(): Promise<boolean> {
    if (!this.rng) return true;
    const nf = this.nf;
    while (this.filled > 0) {
      const j = this.rng.int(this.filled);
      if (!this.slots.canPut() && !(await this.slots.waitForSlot())) return false;
      this.slots.put(this.bufX!, j * nf, this.bufY, j, this.progress);
      const last = --this.filled;
      if (last !== j) {
        this.bufX!.copyWithin(j * nf, last * nf, (last + 1) * nf);
        if (this.bufY) this.bufY[j] = this.bufY[last];
      }
    }
    return true;
  }
}
