/**
 * csvDataset: a CSV file streamed from disk as `{ xs, ys }` batches (or rows), parsed in worker threads.
 * The file is never held in memory: a loader thread reads it in chunks, parser threads turn chunks into
 * float rows, and the loader shuffles (through a buffer) and batches them into a ring of shared batch
 * buffers that fitDataset trains on in place. Its columns, targets and errors follow loadCsv: the same
 * numbers to the bit, the same class indices, an error naming the line and column of a bad cell (or the
 * row skipped and counted with `skipBadRows`).
 *
 * `batch`, `shuffle` and `prefetch` chained on a csvDataset (before any `map`) run in the loader thread,
 * as the options of the same names do.
 */
import { CsvPipeline } from './csv-pipeline';
import type { CsvPassConfig, CsvPassStats } from './csv-loader-worker';
import {
  checkOptions,
  defaultPrefetch,
  fromScan,
  int,
  ROW_BATCH,
  WHO,
  type CsvBatch,
  type CsvDatasetOptions,
  type CsvInfo,
  type CsvPassSummary,
  type CsvRow,
  type Fused,
  type Resolved,
  type Shared,
} from './csv-options';
import { readHeader, resolveColumns, type CsvPlanSpec } from './csv-plan';
import { slotLayout, type SlotBatch } from './csv-slots';
import { Dataset } from './dataset';
import type { Batched } from './element';
import { OpenFile, type FileInput } from './file-source';
import type { Pass } from './ops';
import { randomSeed } from './seeds';

export type { CsvDatasetOptions, CsvRow, CsvBatch, CsvInfo, CsvPassSummary } from './csv-options';

export class CsvDataset<E extends CsvRow | CsvBatch = CsvBatch> extends Dataset<E> {
  /** @internal */
  constructor(
    private readonly shared: Shared,
    private readonly fused: Fused,
  ) {
    super();
  }

  /** Opens the file and reads its header (on this thread: a few bytes), then scans it if classes are needed. */
  private resolve(): Promise<Resolved> {
    const sh = this.shared;
    sh.resolved ??= (async () => {
      const o = sh.o;
      const spec = { ...o.spec, targetMode: 'none' as const };
      const f = OpenFile.open(o.ref, o.spec.name);
      let names: string[];
      try {
        sh.identity = f.identity;
        names = readHeader(f, spec).names;
      } finally {
        f.close();
      }
      const { featureNames } = resolveColumns(names, spec);
      if (o.scaler && o.scaler.offset.length !== featureNames.length)
        throw new Error(
          `${WHO}: 'scaler' was fitted on ${o.scaler.offset.length} columns but ${o.spec.name} has ` +
            `${featureNames.length} features`,
        );
      const base = { names, featureNames };
      if (o.spec.target === undefined) return { ...base, targetMode: 'none' };
      if (o.task === 'regression') return { ...base, targetMode: 'numbers', task: 'regression' };
      if (o.classes && o.task === 'classification')
        return {
          ...base,
          targetMode: 'labels',
          task: 'classification',
          classes: o.classes,
          numericLabels: o.classes.every((c) => Number.isFinite(Number(c))),
        };
      const stats = await this.runScan();
      const t = fromScan(stats, o);
      const records = o.spec.skipBadRows ? undefined : stats.records;
      sh.records = records;
      if (t.task === 'regression') return { ...base, targetMode: 'numbers', task: 'regression', records };
      return { ...base, targetMode: 'labels', ...t, classes: o.classes ?? t.classes, records };
    })();
    // A failure (a missing file, a bad header) is not kept: the next pass tries again.
    sh.resolved.catch(() => {
      sh.resolved = undefined;
      sh.identity = undefined;
    });
    return sh.resolved;
  }

  private async runScan(): Promise<CsvPassStats> {
    const o = this.shared.o;
    const pipe = new CsvPipeline(
      this.config({ names: [], featureNames: [], targetMode: 'scan' }, 0, 'scan'),
      o.workers,
    );
    try {
      return await pipe.finished();
    } finally {
      pipe.close();
    }
  }

  private config(r: Resolved, pass: number, mode: 'rows' | 'scan'): CsvPassConfig {
    const o = this.shared.o;
    const spec: CsvPlanSpec = {
      ...o.spec,
      targetMode: r.targetMode,
      classes: r.classes,
      numericLabels: r.numericLabels,
    };
    const nf = r.featureNames.length;
    const labels = r.targetMode === 'labels';
    const hasY = labels || r.targetMode === 'numbers';
    const batch = this.fused.batch ?? ROW_BATCH;
    const slots =
      mode === 'scan'
        ? slotLayout(1, 1, 0, 'float32', 0, null)
        : slotLayout(
            Math.max(2, this.fused.prefetch ?? defaultPrefetch(batch, nf + (hasY ? 1 : 0), o.spec.dtype)),
            batch,
            nf,
            o.spec.dtype,
            hasY ? 1 : 0,
            labels ? 'int32' : hasY ? o.spec.dtype : null,
          );
    return {
      file: o.ref,
      spec,
      expected: this.shared.identity ?? null,
      mode,
      slots,
      shuffle: mode === 'rows' ? (this.fused.shuffle ?? null) : null,
      pass,
      split: mode === 'rows' ? o.split : null,
      chunkBytes: o.chunkBytes,
      scaling: mode === 'rows' ? (o.scaler ?? null) : null,
      smallLastBatch: this.fused.smallLastBatch ?? true,
    };
  }

  /** @internal */
  async *leases(pass: number): Pass<E> {
    const r = await this.resolve();
    const cfg = this.config(r, pass, 'rows');
    const pipe = new CsvPipeline(cfg, this.shared.o.workers);
    const dtype = this.shared.o.spec.dtype;
    const nf = r.featureNames.length;
    const labels = r.targetMode === 'labels';
    const batched = this.fused.batch !== undefined;
    try {
      for (;;) {
        const b = await pipe.next();
        if (!b) break;
        if (batched) {
          let released = false;
          yield {
            value: batchElement(b, nf, dtype, labels) as E,
            borrowed: true,
            release: () => {
              if (!released) pipe.release(b.index);
              released = true;
            },
            progress: b.progress,
          };
          continue;
        }
        // Rows: views into the batch, which is released when all of its rows are.
        let left = b.rows;
        const done = () => {
          if (--left === 0) pipe.release(b.index);
        };
        for (let i = 0; i < b.rows; i++) {
          const row: CsvRow = { xs: { data: b.x.subarray(i * nf, (i + 1) * nf), shape: [nf], dtype } };
          if (b.y) row.ys = b.y[i];
          let released = false;
          yield {
            value: row as E,
            borrowed: true,
            release: () => {
              if (!released) done();
              released = true;
            },
            progress: b.progress,
          };
        }
      }
      this.shared.lastPass = await pipe.finished();
    } finally {
      pipe.close();
    }
  }

  /** Rows (or batches) per pass, once a pass or a scan has counted them. */
  override get size(): number | undefined {
    const rows = this.shared.lastPass?.rows ?? (this.shared.o.split ? undefined : this.shared.records);
    if (rows === undefined) return undefined;
    const b = this.fused.batch;
    if (b === undefined) return rows;
    return this.fused.smallLastBatch === false ? Math.floor(rows / b) : Math.ceil(rows / b);
  }

  /**
   * The file's columns and target: feature names, task and classes (a scan of the file finds them when
   * neither `classes` nor task 'regression' was given).
   * @example const { featureNames, classes } = await ds.info();
   */
  async info(): Promise<CsvInfo> {
    const r = await this.resolve();
    const out: CsvInfo = { featureNames: [...r.featureNames] };
    if (this.shared.o.spec.target !== undefined) out.targetName = this.shared.o.spec.target;
    if (r.task) out.task = r.task;
    if (r.classes) out.classes = [...r.classes];
    if (r.records !== undefined) out.records = r.records;
    return out;
  }

  /** Counts of the last complete pass (rows, and rows skipped with skipBadRows), or undefined before one. */
  get lastPass(): CsvPassSummary | undefined {
    const s = this.shared.lastPass;
    return s && { records: s.records, rows: s.rows, skipped: s.skipped, skippedExamples: [...s.skippedExamples] };
  }

  override batch(batchSize: number, smallLastBatch = true): Dataset<Batched<E>> {
    if (this.fused.batch !== undefined) return super.batch(batchSize, smallLastBatch);
    int('batchSize', batchSize, 1, 2 ** 24);
    return new CsvDataset<CsvBatch>(this.shared, { ...this.fused, batch: batchSize, smallLastBatch }) as never;
  }

  override shuffle(bufferSize: number, seed?: number): Dataset<E> {
    if (this.fused.batch !== undefined || this.fused.shuffle) return super.shuffle(bufferSize, seed);
    int('bufferSize', bufferSize, 1, 2 ** 26);
    if (seed !== undefined && !Number.isSafeInteger(seed))
      throw new Error(`shuffle(): 'seed' must be an integer, got ${String(seed)}`);
    return new CsvDataset<E>(this.shared, {
      ...this.fused,
      shuffle: { buffer: bufferSize, seed: seed ?? randomSeed() },
    });
  }

  override prefetch(n: number): Dataset<E> {
    if (this.fused.prefetch !== undefined) return super.prefetch(n);
    return new CsvDataset<E>(this.shared, { ...this.fused, prefetch: int('prefetch', n, 1, 1024) });
  }
}

function batchElement(b: SlotBatch, nf: number, dtype: 'float32' | 'float64', labels: boolean): CsvBatch {
  const out: CsvBatch = { xs: { data: b.x, shape: [b.rows, nf], dtype } };
  if (b.y) out.ys = labels ? { data: b.y, shape: [b.rows], dtype: 'int32' } : { data: b.y, shape: [b.rows, 1], dtype };
  return out;
}

/**
 * A CSV file as a dataset streamed from disk: rows parsed in worker threads, shuffled through a buffer and
 * batched off the main thread; `model.fitDataset` trains on the batches in place. The file may be a path
 * or an open file descriptor (a FileHandle or its number). Columns, numbers and classes as loadCsv; a bad
 * cell is an error naming its line and column (or a skipped row with `skipBadRows`); a file that changes or
 * shrinks while it is read ends the pass with an error.
 * @example
 * const train = bp.data.csvDataset('big.csv', {
 *   target: 'label', batchSize: 64, shuffle: { buffer: 10000, seed: 1 },
 *   validationSplit: 0.1, subset: 'training', seed: 7,
 * });
 * const val = bp.data.csvDataset('big.csv', { target: 'label', batchSize: 256, validationSplit: 0.1,
 *   subset: 'validation', seed: 7 });
 * await model.fitDataset(train, { epochs: 5, validationData: val });
 */
export function csvDataset(file: FileInput, options: CsvDatasetOptions & { batchSize: number }): CsvDataset<CsvBatch>;
export function csvDataset(
  file: FileInput,
  options?: CsvDatasetOptions & { batchSize?: undefined },
): CsvDataset<CsvRow>;
export function csvDataset(file: FileInput, options?: CsvDatasetOptions): CsvDataset<CsvRow | CsvBatch>;
export function csvDataset(file: FileInput, options: CsvDatasetOptions = {}): CsvDataset<CsvRow | CsvBatch> {
  const { checked, fused } = checkOptions(file, options);
  return new CsvDataset({ o: checked }, fused);
}
