/**
 * A CSV read for a model with several inputs or outputs (data-map.ts), in the job's worker thread: the header
 * resolves the map's ranges and checks its columns exist, then one pass parses every number the inputs and
 * numeric targets take and one more per column of class labels maps it to class indices (as loadCsv does), and
 * each input and target gets its own array in the shape its layer takes. A streamed file yields the same arrays
 * batch by batch (mappedStreams).
 */
import { CsvWidthError, forEachRecord } from '../data/csv-records';
import { clipText } from '../quote';
import { parseCsv, type CsvOptions } from '../data/csv';
import { csvDataset } from '../data/dataset/csv-dataset';
import type { BatchTensor } from '../fit/dataset-protocol';
import { tensor, type Tensor } from '../model/tensor';
import { resolveColumns, type DataMap, type MappedColumns } from './data-map';
import type { JobDataInfo, JobStreamOptions } from './protocol';

/** How the file is read: the CSV options a mapped job takes. */
export type MappedCsvOptions = Pick<CsvOptions, 'header' | 'delimiter' | 'maxColumns' | 'maxRows' | 'name'> & {
  /** Whether messages may quote the file (not a queue's store file's). */
  quoteContent: boolean;
};

/** The columns of the file's first record (its header, or '0', '1', … without one). */
export function csvHeader(text: string, o: MappedCsvOptions, file: string): string[] {
  let first: string[] | undefined;
  const stop = new Error('first record read');
  try {
    forEachRecord(
      text,
      o.delimiter ?? ',',
      (fields) => {
        first = fields;
        throw stop;
      },
      o.maxColumns ?? 100_000,
    );
  } catch (e) {
    if (e instanceof CsvWidthError)
      throw new Error(`${file}: has more than ${o.maxColumns ?? 100_000} columns, the limit (maxColumns)`);
    if (e !== stop) throw new Error(`${file}: not valid CSV (${clipText((e as Error).message, 200)})`);
  }
  if (!first) throw new Error(`${file}: the file is empty; expected a header row and data rows`);
  return o.header === false ? first.map((_, i) => String(i)) : first;
}

/**
 * The numeric columns to parse, each once (each input's, then the numeric targets'; a column may feed two
 * inputs), and where each selection's columns are among them.
 */
function numericPlan(map: DataMap) {
  const columns: string[] = [];
  const position = new Map<string, number>();
  const at = new Map<MappedColumns, Int32Array>();
  for (const m of [...map.inputs, ...map.targets]) {
    if (classLabels(m)) continue;
    const list = m.columns as string[];
    at.set(
      m,
      Int32Array.from(list, (c) => {
        if (!position.has(c)) position.set(c, columns.push(c) - 1);
        return position.get(c)!;
      }),
    );
  }
  return { columns, at };
}

/** A target of one column of class labels: mapped to class indices (the file's labels may be any strings). */
const classLabels = (m: MappedColumns) => m.labels && m.size === 1;

/** Columns `at` of each row of `x` ([rows, width]) into a new array. */
function gather(x: ArrayLike<number>, rows: number, width: number, at: Int32Array): Float32Array {
  const size = at.length;
  const out = new Float32Array(rows * size);
  for (let r = 0; r < rows; r++) for (let j = 0; j < size; j++) out[r * size + j] = x[r * width + at[j]];
  return out;
}

/** An int32 input's values must be integers (token ids, indices): the first that is not is named. */
function checkIntegers(m: MappedColumns, data: Float32Array, where: string, quote: boolean): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (Number.isInteger(v) && Math.abs(v) <= 2 ** 31 - 1) continue;
    const column = (m.columns as string[])[i % m.size];
    throw new Error(
      `${where}: '${m.field}': the input '${m.name}' is int32 but column '${column}' of data row ` +
        `${Math.floor(i / m.size) + 1} ${quote ? `holds ${v}` : 'is not an integer'}; ` +
        'give integers (token ids, indices)',
    );
  }
}

/** Checks a label target's class count against the output's units. */
function checkClasses(m: MappedColumns, classes: string[], units: number, where: string): void {
  if (classes.length > units)
    throw new Error(
      `${where}: '${m.field}': column '${(m.columns as string[])[0]}' holds ${classes.length} classes but the ` +
        `output '${m.name}' has ${units} units; give the output ${classes.length} units`,
    );
}

/** What a mapped job learned about its file: each input's and target's columns and a label target's classes. */
function infoOf(map: DataMap, classes: Map<MappedColumns, string[]>): JobDataInfo {
  return {
    featureNames: map.inputs.flatMap((m) => m.columns as string[]),
    inputs: Object.fromEntries(map.inputs.map((m) => [m.name, [...(m.columns as string[])]])),
    targets: Object.fromEntries(
      map.targets.map((m) => [
        m.name,
        { columns: [...(m.columns as string[])], ...(classes.has(m) ? { classes: classes.get(m) } : {}) },
      ]),
    ),
  };
}

/**
 * Reads `text` for `map` (checked against the model: data-map.ts): inputs and targets keyed by name, as model.fit
 * takes them. `units` gives each label target's class count (its output's last dimension).
 * @example const { x, y } = loadMappedCsv(text, map, { quoteContent: true }, 'data.csv', 'jobs.train()', units);
 */
export function loadMappedCsv(
  text: string,
  checked: DataMap,
  o: MappedCsvOptions,
  file: string,
  where: string,
  units: Map<string, number>,
): { x: Record<string, Tensor>; y: Record<string, Tensor | Int32Array>; info: JobDataInfo } {
  const map = resolveColumns(checked, csvHeader(text, o, file), where, o.quoteContent);
  const { columns, at } = numericPlan(map);
  const read = { header: o.header, delimiter: o.delimiter, maxColumns: o.maxColumns, maxRows: o.maxRows };
  const parsed = parseCsv(text, { ...read, columns, quoteContent: o.quoteContent }, file);
  const rows = parsed.x.shape[0];
  const part = (m: MappedColumns) => gather(parsed.x.data, rows, columns.length, at.get(m)!);
  const x: Record<string, Tensor> = {};
  for (const m of map.inputs) {
    const data = part(m);
    if (m.int32) checkIntegers(m, data, where, o.quoteContent);
    x[m.name] = tensor(data, [rows, ...m.shape]);
  }
  const y: Record<string, Tensor | Int32Array> = {};
  const classes = new Map<MappedColumns, string[]>();
  for (const m of map.targets) {
    if (!classLabels(m)) {
      y[m.name] = tensor(part(m), [rows, ...m.shape]);
      continue;
    }
    const target = (m.columns as string[])[0];
    const t = parseCsv(
      text,
      { ...read, columns: [], target, task: 'classification', quoteContent: o.quoteContent },
      file,
    );
    checkClasses(m, t.classes!, units.get(m.name)!, where);
    classes.set(m, t.classes!);
    y[m.name] = t.y as Int32Array;
  }
  return { x, y, info: infoOf(map, classes) };
}

/** A batch element as fitDataset takes it for a model with several inputs and outputs. */
interface MappedBatch {
  xs: Record<string, BatchTensor>;
  ys: Record<string, BatchTensor | Int32Array>;
}

/**
 * The streamed training (and validation) batches of a mapped CSV: one csvDataset parses the numeric columns (and
 * the one column of class labels a stream may map, as its target), and each batch is cut into the inputs and
 * targets by name. Shuffle order and validation rows follow `seed`, as a single-target stream's.
 */
export async function mappedStreams(
  path: string,
  checked: DataMap,
  o: MappedCsvOptions & { stream: JobStreamOptions },
  fit: { batchSize?: number; shuffle?: boolean; validationSplit?: number },
  seed: number,
  where: string,
  units: Map<string, number>,
) {
  const file = o.name ?? path;
  const base = {
    header: o.header,
    delimiter: o.delimiter,
    maxColumns: o.maxColumns,
    name: file,
    quoteContent: o.quoteContent,
    skipBadRows: o.stream.skipBadRows,
  };
  const header = (await csvDataset(path, base).info()).featureNames;
  const map = resolveColumns(checked, header, where, o.quoteContent);
  const { columns, at } = numericPlan(map);
  const label = map.targets.find(classLabels);
  const classes = new Map<MappedColumns, string[]>();
  const known = { ...base, columns, ...(label ? { target: (label.columns as string[])[0] } : {}) };
  if (label) {
    const found = await csvDataset(path, { ...known, task: 'classification' }).info();
    checkClasses(label, found.classes!, units.get(label.name)!, where);
    classes.set(label, found.classes!);
  }
  const options = { ...known, ...(label ? { task: 'classification' as const, classes: classes.get(label) } : {}) };
  const cut = (b: { xs: BatchTensor; ys?: BatchTensor }): MappedBatch => {
    const rows = b.xs.shape[0];
    const xs: Record<string, BatchTensor> = {};
    for (const m of map.inputs) {
      const data = gather(b.xs.data, rows, columns.length, at.get(m)!);
      if (m.int32) checkIntegers(m, data, where, o.quoteContent);
      xs[m.name] = { data, shape: [rows, ...m.shape], dtype: 'float32' };
    }
    const ys: Record<string, BatchTensor | Int32Array> = {};
    for (const m of map.targets)
      ys[m.name] =
        m === label
          ? Int32Array.from(b.ys!.data)
          : { data: gather(b.xs.data, rows, columns.length, at.get(m)!), shape: [rows, ...m.shape], dtype: 'float32' };
    return { xs, ys };
  };
  const v = fit.validationSplit;
  const split = (subset: 'training' | 'validation') => (v ? { validationSplit: v, subset, seed } : {});
  const train = csvDataset(path, {
    ...options,
    batchSize: fit.batchSize ?? 32,
    shuffle: fit.shuffle === false ? false : { buffer: o.stream.shuffleBuffer, seed },
    ...split('training'),
  });
  const val = v ? csvDataset(path, { ...options, batchSize: 1024, ...split('validation') }) : undefined;
  return { train, trainMapped: train.map(cut), valMapped: val?.map(cut), info: infoOf(map, classes) };
}
