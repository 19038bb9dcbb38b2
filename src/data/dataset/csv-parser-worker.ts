/**
 * The parser role of a csvDataset pass (in a worker thread): chunks of whole records arrive from the loader
 * through a MessagePort, are parsed into float rows (csv-bytes.ts) in blocks of shared memory, and go back
 * with their counts. Blocks come back to be reused once the loader has copied their rows out.
 */
import type { MessagePort } from 'node:worker_threads';
import { maxRows, parseRecords, type ChunkResult, type ParsePlan } from './csv-bytes';
import { parsePlan, type CsvPlanSpec } from './csv-plan';
import { byteView, floatView, int32View } from './shared-memory';

/** A block of parsed rows: features and targets in shared memory. */
export interface RowBlock {
  x: SharedArrayBuffer;
  y: SharedArrayBuffer | null;
  /** Rows the block holds. */
  capacity: number;
}

export type ToParser =
  | { type: 'plan'; spec: CsvPlanSpec; names: string[] }
  | { type: 'chunk'; seq: number; buf: SharedArrayBuffer; length: number }
  | { type: 'recycle'; block: RowBlock };

export interface FromParser {
  type: 'parsed';
  seq: number;
  block: RowBlock | null;
  result: ChunkResult;
  error?: string;
}

const FLOAT_BYTES = { float32: 4, float64: 8 };

/**
 * Serves one pass on `port`: the loader's first message is the plan (the spec and the header's names),
 * then chunks to parse.
 */
export function serveParser(port: MessagePort): void {
  let spec: CsvPlanSpec | undefined;
  let plan: ParsePlan | undefined;
  let planError: string | undefined;
  let hasY = false;
  let bytes = 4;
  const free: RowBlock[] = [];

  const blockFor = (rows: number): RowBlock => {
    const i = free.findIndex((b) => b.capacity >= rows);
    if (i >= 0) return free.splice(i, 1)[0];
    // Some headroom, so that chunks a little larger than the last reuse this block.
    const capacity = Math.ceil(rows * 1.25);
    return {
      x: new SharedArrayBuffer(Math.max(8, capacity * plan!.features * bytes)),
      y: hasY ? new SharedArrayBuffer(capacity * (plan!.targetMode === 'labels' ? 4 : bytes)) : null,
      capacity,
    };
  };

  port.on('message', (m: ToParser) => {
    if (m.type === 'plan') {
      spec = m.spec;
      bytes = FLOAT_BYTES[spec.dtype];
      try {
        plan = parsePlan(spec, m.names);
        hasY = plan.targetMode !== 'none' && !plan.scan;
      } catch (e) {
        planError = (e as Error).message;
      }
      return;
    }
    if (m.type === 'recycle') {
      if (free.length < 2) free.push(m.block);
      return;
    }
    const reply = (r: FromParser) => port.postMessage(r);
    const empty: ChunkResult = { rows: 0, records: 0, newlines: 0, badCount: 0, bad: [], skipped: [] };
    if (!plan || !spec) return reply({ type: 'parsed', seq: m.seq, block: null, result: empty, error: planError });
    try {
      const b = byteView(m.buf, m.length);
      if (plan.scan) {
        const result = parseRecords(b, 0, m.length, plan, new Float64Array(0), null);
        return reply({ type: 'parsed', seq: m.seq, block: null, result });
      }
      const block = blockFor(maxRows(m.length, plan.width));
      const x = floatView(spec.dtype, block.x);
      const y = !block.y ? null : plan.targetMode === 'labels' ? int32View(block.y) : floatView(spec.dtype, block.y);
      const result = parseRecords(b, 0, m.length, plan, x, y);
      reply({ type: 'parsed', seq: m.seq, block, result });
    } catch (e) {
      reply({ type: 'parsed', seq: m.seq, block: null, result: empty, error: (e as Error).message });
    }
  });
}
