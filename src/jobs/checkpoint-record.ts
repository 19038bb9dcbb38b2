/**
 * What a job's checkpoint directory holds besides the model, kept consistent through crashes at any moment:
 *
 * - which job it belongs to: a digest of the job's spec in model.json's metadata, written by the same atomic
 *   rename as the model itself; a job finding a checkpoint of another spec (a reused id) refuses it;
 * - the logs of its epochs: an append-only file, one JSON line per epoch. The lines for epochs up to a
 *   checkpoint are appended and fsynced before its model.json is renamed into place, so a model at epoch N
 *   always has its N lines; lines past N (written before a crash that lost their model) are cut off on resume.
 *   Each epoch costs one appended line, however long the job: the history is never rewritten.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readDescriptorSync } from '../io/read-files';
import { readNumber, toJson } from './json-numbers';

/** The metadata key (model.json's userDefinedMetadata) recording the job a checkpoint belongs to. */
export const JOB_RECORD_KEY = 'backpropJob';
export const HISTORY_FILE = 'history.jsonl';
/** Largest history file read on resume (a million epochs of a dozen metrics is about 200 MB). */
const MAX_HISTORY_BYTES = 512 * 2 ** 20;

const C = fs.constants;

/** JSON with object keys sorted, so that equal values always give the same text. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : canonical(x))).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/**
 * A digest of a job's description (its JSON spec; for jobs on arrays, their shapes): equal for equal specs
 * whatever the order of their keys.
 * @example specDigest({ model, data: { csv: 'datasets/iris.csv', target: 'species' }, fit: { epochs: 5 } })
 */
export function specDigest(spec: unknown): string {
  return crypto.createHash('sha256').update(canonical(spec)).digest('hex');
}

/** Records the job on the model, so that its next save writes the record atomically with the weights. */
export function recordJob(metadata: Record<string, unknown>, digest: string): void {
  metadata[JOB_RECORD_KEY] = { spec: digest };
}

/**
 * Throws unless a checkpoint's metadata records the job `digest` (a checkpoint of another spec, or of no job:
 * the directory's id was used before).
 */
export function checkJobRecord(metadata: Record<string, unknown>, digest: string, where: string): void {
  const r = metadata[JOB_RECORD_KEY] as { spec?: unknown } | undefined;
  if (r && typeof r === 'object' && r.spec === digest) return;
  throw new Error(
    `${where} holds a checkpoint of ${r ? 'another job spec' : 'no job spec this version recorded'}: the job's id ` +
      `was used before. It is not resumed (it would return a model of a different job); remove the checkpoint ` +
      `or use another id`,
  );
}

/** One epoch's logs as the history keeps them. */
export interface EpochLogs {
  epoch: number;
  logs: Record<string, number>;
}

/** The history of a checkpoint: the epochs it holds and their logs by key (as fit's History). */
export interface SavedHistory {
  epochs: number[];
  history: Record<string, number[]>;
}

/** Adds epoch logs to a history, keeping every key's array aligned with `epochs` (NaN where a key is missing). */
export function addEpochs(h: SavedHistory, entries: EpochLogs[]): void {
  for (const { epoch, logs } of entries) {
    const n = h.epochs.length;
    for (const k of Object.keys(logs)) h.history[k] ??= new Array<number>(n).fill(NaN);
    for (const [k, v] of Object.entries(h.history)) v.push(k in logs ? logs[k] : NaN);
    h.epochs.push(epoch);
  }
}

/**
 * The append-only history file of a checkpoint directory (written by one job at a time). It is opened for each
 * operation and closed after, never held: a job's thread may be terminated at any moment (a time limit), and a
 * descriptor it held would stay open in the worker process for good.
 */
export class HistoryLog {
  private readonly file: string;
  private pending: EpochLogs[] = [];

  /**
   * Opens the log of `dir` (creating it), keeps the lines of epochs before `upTo` (the checkpoint's epoch) and
   * cuts off the rest. `past` is what it kept.
   */
  constructor(
    dir: string,
    upTo: number,
    readonly past: SavedHistory = { epochs: [], history: {} },
  ) {
    this.file = path.join(dir, HISTORY_FILE);
    this.using(C.O_RDWR | C.O_CREAT, (fd) => fs.ftruncateSync(fd, upTo > 0 ? this.readValidPrefix(fd, upTo) : 0));
  }

  /** Runs `f` on the log opened with `flags` (never through a link, never blocking on a FIFO), then closes it. */
  private using(flags: number, f: (fd: number) => void): void {
    const fd = fs.openSync(this.file, flags | (C.O_NOFOLLOW ?? 0) | (C.O_NONBLOCK ?? 0), 0o644);
    try {
      if (!fs.fstatSync(fd).isFile()) throw new Error(`${HISTORY_FILE} in the checkpoint is not a regular file`);
      f(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Reads the lines of epochs 0, 1, … below `upTo` into `past`; returns the bytes they take. */
  private readValidPrefix(fd: number, upTo: number): number {
    const bytes = Buffer.from(readDescriptorSync(fd, HISTORY_FILE, { what: 'history', maxBytes: MAX_HISTORY_BYTES }));
    const entries: EpochLogs[] = [];
    let offset = 0;
    for (let end = bytes.indexOf(10); end >= 0; end = bytes.indexOf(10, offset)) {
      let entry: EpochLogs | undefined;
      try {
        entry = JSON.parse(bytes.subarray(offset, end).toString('utf8')) as EpochLogs;
      } catch {
        break;
      }
      const last = entries.length ? entries[entries.length - 1].epoch : -1;
      if (!entry || !Number.isSafeInteger(entry.epoch) || entry.epoch <= last || entry.epoch >= upTo) break;
      if (!entry.logs || typeof entry.logs !== 'object' || Array.isArray(entry.logs)) break;
      const logs: Record<string, number> = {};
      for (const [k, v] of Object.entries(entry.logs)) logs[k] = readNumber(v) ?? NaN; // 'Infinity' → Infinity
      entries.push({ epoch: entry.epoch, logs });
      offset = end + 1;
    }
    addEpochs(this.past, entries);
    return offset;
  }

  /** Queues an epoch's logs; they are written by the next flush (before the checkpoint that holds them). */
  add(epoch: number, logs: Record<string, number>): void {
    this.pending.push({ epoch, logs });
  }

  /** Appends the queued epochs up to (not including) `upTo` and makes them durable. */
  flush(upTo: number): void {
    const due = this.pending.filter((e) => e.epoch < upTo);
    if (!due.length) return;
    const data = Buffer.from(due.map((e) => `${toJson(e)}\n`).join(''), 'utf8');
    this.using(C.O_WRONLY | C.O_APPEND, (fd) => {
      for (let done = 0; done < data.length;) done += fs.writeSync(fd, data, done, data.length - done);
      fs.fsyncSync(fd);
    });
    this.pending = this.pending.filter((e) => e.epoch >= upTo);
  }
}
