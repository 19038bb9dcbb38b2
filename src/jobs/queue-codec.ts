/**
 * What a queue client reads from Redis, checked: a progress event or a return value is JSON text anyone
 * who can write to Redis may have written. Each is parsed only within a size bound, checked field by field
 * and rebuilt from the fields it should have, or refused with an error saying what is wrong — never
 * passed on as it came (a `null` return value once crashed every client following the job).
 */
import type { JobDataInfo, ProgressEvent } from './protocol';
import { JOB_ID, RANK_TASK_ID, type QueuedJobReturn } from './queue-protocol';
import { readNumber } from './json-numbers';
import { clipText, quote, quoteValue } from '../quote';

/** Most bytes of a progress event a client parses (a worker's are a few hundred). */
export const MAX_PROGRESS_BYTES = 64 * 2 ** 10;
/** Most bytes of a return value a client following a job parses (its history: ~20 bytes per value). */
export const MAX_RETURN_BYTES = 64 * 2 ** 20;
/** Most history keys and metrics (losses, metrics, their val_ twins). */
const MAX_KEYS = 256;
/** Longest string field (a metric name, a worker name, a class name, a store key). */
const MAX_STRING = 4096;

/** A value from Redis that is not what a worker writes; `jobId` names the job it is about, if valid. */
export class InvalidQueueValue extends Error {
  constructor(
    message: string,
    readonly jobId?: string,
  ) {
    super(jobId ? `job ${jobId}: ${message}` : message);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

function parse(text: unknown, most: number, what: string): unknown {
  if (typeof text !== 'string') throw new InvalidQueueValue(`${what} is missing`);
  // length ≤ bytes: the cheap test first, so that a huge text is not measured
  if (text.length > most || Buffer.byteLength(text) > most)
    throw new InvalidQueueValue(`${what} is ${Buffer.byteLength(text)} bytes, over the ${most} a client reads`);
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidQueueValue(`${what} is not JSON: ${quote(text)}`);
  }
}

function num(v: unknown, what: string): number {
  const n = readNumber(v);
  if (n === undefined) throw new InvalidQueueValue(`${what} is not a number: ${quoteValue(v)}`);
  return n;
}

function count(v: unknown, what: string): number {
  if (!Number.isSafeInteger(v) || (v as number) < 0)
    throw new InvalidQueueValue(`${what} is not a count: ${quoteValue(v)}`);
  return v as number;
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string' || v.length > MAX_STRING)
    throw new InvalidQueueValue(`${what} is not a string of at most ${MAX_STRING} characters: ${quoteValue(v)}`);
  return v;
}

/** A record of names to values; entries are defined, never assigned (a '__proto__' name stays a name). */
function record<T>(v: unknown, what: string, item: (x: unknown, what: string) => T): Record<string, T> {
  if (!isObject(v)) throw new InvalidQueueValue(`${what} is not an object: ${quoteValue(v)}`);
  const entries = Object.entries(v);
  if (entries.length > MAX_KEYS) throw new InvalidQueueValue(`${what} has ${entries.length} keys, over ${MAX_KEYS}`);
  return Object.fromEntries(
    entries.map(([k, x]) => [str(k, `a key of ${what}`), item(x, `${what}.${clipText(k, 40)}`)]),
  );
}

function list<T>(v: unknown, what: string, item: (x: unknown, what: string) => T): T[] {
  if (!Array.isArray(v)) throw new InvalidQueueValue(`${what} is not an array: ${quoteValue(v)}`);
  return v.map((x, i) => item(x, `${what}[${i}]`));
}

/** A progress event from its JSON text; throws InvalidQueueValue naming the first wrong field. */
export function decodeProgress(text: unknown): ProgressEvent {
  const p = parse(text, MAX_PROGRESS_BYTES, 'the progress event');
  if (!isObject(p)) throw new InvalidQueueValue(`the progress event is not an object: ${quoteValue(p)}`);
  if (p.kind !== 'batch' && p.kind !== 'epoch')
    throw new InvalidQueueValue(`the progress event's kind is not 'batch' or 'epoch': ${quoteValue(p.kind)}`);
  const w = (k: string) => `the progress event's ${k}`;
  return {
    kind: p.kind,
    epoch: count(p.epoch, w('epoch')),
    epochs: count(p.epochs, w('epochs')),
    batch: count(p.batch, w('batch')),
    batches: count(p.batches, w('batches')),
    loss: num(p.loss, w('loss')),
    metrics: record(p.metrics, w('metrics'), num),
    samplesPerSecond: num(p.samplesPerSecond, w('samplesPerSecond')),
    etaSeconds: num(p.etaSeconds, w('etaSeconds')),
  };
}

function dataInfo(v: unknown, what: string): JobDataInfo {
  if (!isObject(v)) throw new InvalidQueueValue(`${what} is not an object: ${quoteValue(v)}`);
  const info: JobDataInfo = { featureNames: list(v.featureNames, `${what}.featureNames`, str) };
  if (v.targetName !== undefined) info.targetName = str(v.targetName, `${what}.targetName`);
  if (v.task !== undefined) {
    if (v.task !== 'classification' && v.task !== 'regression')
      throw new InvalidQueueValue(`${what}.task is not 'classification' or 'regression': ${quoteValue(v.task)}`);
    info.task = v.task;
  }
  if (v.classes !== undefined) info.classes = list(v.classes, `${what}.classes`, str);
  // Data mapped by name: each input's columns; each target's columns and, for class labels, classes.
  if (v.inputs !== undefined) info.inputs = record(v.inputs, `${what}.inputs`, (x, w) => list(x, w, str));
  if (v.targets !== undefined)
    info.targets = record(v.targets, `${what}.targets`, (x, w) => {
      if (!isObject(x)) throw new InvalidQueueValue(`${w} is not an object: ${quoteValue(x)}`);
      const t: { columns: string[]; classes?: string[] } = { columns: list(x.columns, `${w}.columns`, str) };
      if (x.classes !== undefined) t.classes = list(x.classes, `${w}.classes`, str);
      return t;
    });
  return info;
}

function bool(v: unknown, what: string): boolean {
  if (typeof v !== 'boolean') throw new InvalidQueueValue(`${what} is not true or false: ${quoteValue(v)}`);
  return v;
}

/**
 * A worker's return value from its JSON text (at most `most` bytes); throws InvalidQueueValue naming the
 * first wrong field.
 */
export function decodeReturn(text: unknown, most = MAX_RETURN_BYTES): QueuedJobReturn {
  const r = parse(text, most, 'the return value');
  if (!isObject(r)) throw new InvalidQueueValue(`the return value is not an object: ${quoteValue(r)}`);
  const w = (k: string) => `the return value's ${k}`;
  const out: QueuedJobReturn = {
    started: bool(r.started, w('started')),
    cancelled: bool(r.cancelled, w('cancelled')),
    history: record(r.history, w('history'), (v, what) => list(v, what, num)),
    epochs: list(r.epochs, w('epochs'), count),
    resumedFrom: count(r.resumedFrom, w('resumedFrom')),
    batchesDone: count(r.batchesDone, w('batchesDone')),
    worker: str(r.worker, w('worker')),
  };
  if (r.modelPath !== undefined) out.modelPath = str(r.modelPath, w('modelPath'));
  if (r.batchesAtCancel !== undefined) out.batchesAtCancel = count(r.batchesAtCancel, w('batchesAtCancel'));
  if (r.data !== undefined) out.data = dataInfo(r.data, w('data'));
  if (r.ranks !== undefined) out.ranks = count(r.ranks, w('ranks'));
  if (r.attempt !== undefined) out.attempt = count(r.attempt, w('attempt'));
  return out;
}

/** An entry of the queue's events stream, checked; the events a client follows. */
export type QueueEvent =
  | { kind: 'progress'; id: string; progress: ProgressEvent }
  | { kind: 'completed'; id: string; returnValue: QueuedJobReturn }
  | { kind: 'failed'; id: string; reason: string }
  | { kind: 'active' | 'waiting' | 'removed'; id: string };

/** Longest failure reason kept from an event. */
const MAX_REASON = 4096;

/**
 * An events-stream entry (BullMQ's fields: event, jobId, data, returnvalue, failedReason) as a QueueEvent;
 * undefined for the kinds a client does not follow. Throws InvalidQueueValue (with the job id when it is
 * valid) for an entry a worker would not write.
 */
export function decodeEvent(e: Record<string, string>): QueueEvent | undefined {
  const { event: kind, jobId: id } = e;
  if (!['progress', 'active', 'waiting', 'completed', 'failed', 'removed'].includes(kind)) return undefined;
  // A rank task of a multi-rank job (queue-group.ts) is the workers' business, not a job a client follows.
  if (typeof id === 'string' && RANK_TASK_ID.test(id)) return undefined;
  if (typeof id !== 'string' || !JOB_ID.test(id))
    throw new InvalidQueueValue(`a '${kind}' event names no valid job id: ${quoteValue(id)}`);
  try {
    if (kind === 'progress') return { kind, id, progress: decodeProgress(e.data) };
    if (kind === 'completed') return { kind, id, returnValue: decodeReturn(e.returnvalue) };
  } catch (err) {
    throw new InvalidQueueValue((err as Error).message, id);
  }
  if (kind === 'failed')
    return { kind, id, reason: clipText(String(e.failedReason ?? ''), MAX_REASON, { keepQuotes: true }) };
  return { kind: kind as 'active' | 'waiting' | 'removed', id };
}
