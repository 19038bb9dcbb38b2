/**
 * The data of a model with several inputs or outputs, named by the model's input and output layer names:
 * `data: { csv, inputs: { features: ['a', 'b'] | { from: 'a', to: 'h' } | 'a', tokens: [...] }, targets: { cls:
 * 'label', price: 'price' } }`. Checked against the model before anything is read or built: every input and every
 * output with a loss mapped exactly once, no other name, column lists as long as the layer takes values per sample,
 * no column in a list twice, none both an input and a target. What only the file can tell (a range's columns,
 * whether a column exists, int32 inputs holding integers) is checked as it is read (mapped-csv.ts), naming the
 * same field.
 */
import { formatShape, shapeSize, type Shape } from '../layers/shape';
import type { LayersModel } from '../layers-model';
import { DEFAULT_MAX_COLUMNS } from '../data/csv';
import { clipText } from '../quote';

/** Columns of a CSV: one name, a list of names, or every column from `from` to `to` in the file's order. */
export type ColumnSelection = string | string[] | { from: string; to: string };

/** What the data must feed: the model's inputs and its outputs with a loss. */
export interface ModelSignature {
  inputs: { name: string; shape: Shape; int32: boolean }[];
  /** `sparse`: the loss takes class labels (one per position); undefined: the output has no loss (no target). */
  outputs: { name: string; shape: Shape; sparse: boolean | undefined }[];
}

/** One model input or output and the columns that feed it, checked. */
export interface MappedColumns {
  /** The input or output layer name. */
  name: string;
  /** The spec field, for messages: `data.inputs.features`. */
  field: string;
  columns: string[] | { from: string; to: string };
  /** Values per sample it takes: the columns the selection must come to. */
  size: number;
  /** Per-sample shape (of the input, or of the target as the output's loss reads it). */
  shape: number[];
  /** An int32 input: its cells must be integers. */
  int32: boolean;
  /** A target of class labels (sparse loss): one column of labels is mapped to class indices. */
  labels: boolean;
}

/** A checked map, inputs and targets in the model's order. */
export interface DataMap {
  inputs: MappedColumns[];
  targets: MappedColumns[];
}

/** The raw `inputs` / `targets` of a spec, kept in the job's start message (the worker checks them again). */
export interface DataMapSpec {
  inputs: Record<string, ColumnSelection>;
  targets: Record<string, ColumnSelection>;
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const q = (s: string) => `'${clipText(s, 64)}'`;
const names = (list: { name: string }[]) => list.map((e) => q(e.name)).join(', ');

/**
 * The names, per-sample shapes, dtypes and losses of a model's inputs and outputs (built or not: an unbuilt
 * functional model's shapes come from its graph).
 * @example signatureOf(bp.modelFromSpec(spec)).inputs // [{ name: 'features', shape: [8], int32: false }, …]
 */
export function signatureOf(model: LayersModel): ModelSignature {
  let outputShapes = model.outputShapes;
  if (!model.built) {
    const g = model.flatGraph();
    outputShapes = g.outputSlots.map((s) => g.slotShapes[s]);
  }
  return {
    inputs: model.inputNames.map((name, i) => ({
      name,
      shape: [...model.inputShapes[i]],
      int32: model.inputs[i]?.dtype === 'int32',
    })),
    outputs: model.outputNames.map((name, o) => ({
      name,
      shape: [...outputShapes[o]],
      sparse: model.outputLosses[o]?.sparseTargets,
    })),
  };
}

/** A selection's form checked: one name, a list of distinct names (at most `most`), or `{ from, to }`. */
function selection(v: unknown, field: string, most: number, where: string): string[] | { from: string; to: string } {
  const fix = `give a column name, a list of column names, or { from, to } (the columns from one to the other)`;
  const name = (s: unknown, f: string) => {
    if (typeof s !== 'string' || s === '') throw new Error(`${where}: '${f}' must be a column name; ${fix}`);
    return s;
  };
  if (typeof v === 'string') return [name(v, field)];
  if (Array.isArray(v)) {
    if (v.length === 0) throw new Error(`${where}: '${field}' is an empty list; ${fix}`);
    if (v.length > most)
      throw new Error(`${where}: '${field}' lists ${v.length} columns; at most ${most} are allowed (maxColumns)`);
    const seen = new Set<string>();
    v.forEach((c, i) => {
      if (seen.has(name(c, `${field}[${i}]`)))
        throw new Error(`${where}: '${field}' names column ${q(c as string)} twice; each column once`);
      seen.add(c as string);
    });
    return [...(v as string[])];
  }
  if (isObject(v)) {
    const extra = Object.keys(v).filter((k) => k !== 'from' && k !== 'to');
    if (extra.length)
      throw new Error(`${where}: unknown key '${field}.${clipText(extra[0], 64)}'; a range is { from, to }`);
    return { from: name(v.from, `${field}.from`), to: name(v.to, `${field}.to`) };
  }
  throw new Error(`${where}: '${field}' is ${v === null ? 'null' : typeof v}; ${fix}`);
}

/** Values per sample a target of `shape` takes: one label per position for a sparse loss, else every value. */
function targetShape(shape: Shape, sparse: boolean): number[] {
  return sparse ? [shapeSize(shape) / shape[shape.length - 1]] : [...shape];
}

/** Checks one side (`inputs` or `targets`) of a map against what the model has there. */
function side(
  given: unknown,
  key: 'inputs' | 'targets',
  wanted: { name: string; shape: number[]; int32: boolean; labels: boolean; what: string }[],
  others: { name: string }[],
  most: number,
  where: string,
): MappedColumns[] {
  const kind = key === 'inputs' ? 'input' : 'output';
  const example =
    key === 'inputs' ? `{ ${q(wanted[0]?.name ?? 'x')}: ['a', 'b'] }` : `{ ${q(wanted[0]?.name ?? 'y')}: 'label' }`;
  if (!isObject(given))
    throw new Error(
      `${where}: 'data.${key}' must be an object keyed by the model's ${kind} names (${names(wanted)}), ` +
        `e.g. ${example}`,
    );
  for (const k of Object.keys(given)) {
    if (wanted.some((w) => w.name === k)) continue;
    if (others.some((w) => w.name === k))
      throw new Error(
        `${where}: 'data.${key}' names the ${kind} ${q(k)}, which has no loss in compile and takes no targets; ` +
          `remove it or give it a loss`,
      );
    throw new Error(`${where}: 'data.${key}' names ${q(k)}, which is not one of the model's ${kind}s ${names(wanted)}`);
  }
  return wanted.map((w) => {
    const field = `data.${key}.${w.name}`;
    if (!Object.prototype.hasOwnProperty.call(given, w.name))
      throw new Error(
        `${where}: 'data.${key}' has no columns for the ${kind} ${q(w.name)} (${w.what}); ` +
          `add ${field}: ${w.labels ? "'<label column>'" : `[${shapeSize(w.shape)} column names] or { from, to }`}`,
      );
    const size = shapeSize(w.shape);
    if (size > most)
      throw new Error(
        `${where}: the ${kind} ${q(w.name)} takes ${size} values per sample (${w.what}); a CSV gives at most ` +
          `${most} columns (maxColumns)`,
      );
    const columns = selection(given[w.name], field, most, where);
    if (Array.isArray(columns) && columns.length !== size)
      throw new Error(
        `${where}: '${field}' has ${columns.length} column(s) but the ${kind} ${q(w.name)} takes ${size} ` +
          `value(s) per sample (${w.what}); give ${size} columns`,
      );
    return { name: w.name, field, columns, size, shape: w.shape, int32: w.int32, labels: w.labels };
  });
}

/**
 * Checks a spec's `inputs` and `targets` against the model: returns them in the model's order or throws an Error
 * naming the field and the fix. `maxColumns` bounds a list's length (and what an input may take from a CSV).
 * @example checkDataMap({ features: ['a', 'b'] }, { cls: 'label' }, signature, 'jobs.train()')
 */
export function checkDataMap(
  inputs: unknown,
  targets: unknown,
  signature: ModelSignature,
  where: string,
  maxColumns = DEFAULT_MAX_COLUMNS,
): DataMap {
  const ins = signature.inputs.map((i) => ({
    name: i.name,
    shape: [...i.shape],
    int32: i.int32,
    labels: false,
    what: `shape ${formatShape(i.shape)}${i.int32 ? ', int32' : ''}`,
  }));
  const withLoss = signature.outputs.filter((o) => o.sparse !== undefined);
  const outs = withLoss.map((o) => {
    const shape = targetShape(o.shape, o.sparse!);
    return {
      name: o.name,
      shape,
      int32: false,
      labels: o.sparse!,
      what: o.sparse
        ? `class labels, ${shapeSize(shape)} per sample, for ${o.shape[o.shape.length - 1]} classes`
        : `shape ${formatShape(o.shape)}`,
    };
  });
  const without = signature.outputs.filter((o) => o.sparse === undefined);
  const map = {
    inputs: side(inputs, 'inputs', ins, [], maxColumns, where),
    targets: side(targets, 'targets', outs, without, maxColumns, where),
  };
  checkOverlap(map, where);
  return map;
}

/**
 * Refuses a column that is both an input and a target (the model would be shown its answer). Ranges are checked
 * once resolved (resolveColumns).
 */
export function checkOverlap(map: DataMap, where: string): void {
  const inputOf = new Map<string, string>();
  for (const i of map.inputs) if (Array.isArray(i.columns)) for (const c of i.columns) inputOf.set(c, i.field);
  for (const t of map.targets) {
    if (!Array.isArray(t.columns)) continue;
    for (const c of t.columns)
      if (inputOf.has(c))
        throw new Error(
          `${where}: column ${q(c)} is both a target ('${t.field}') and an input ('${inputOf.get(c)}'); ` +
            `a model must not be given its answer`,
        );
  }
}

/**
 * The map with every range resolved against the file's column names (header order), each selection checked to
 * name existing columns and to come to the size its layer takes. `quote`: whether messages may list the file's
 * column names (not for a queue's store files).
 */
export function resolveColumns(map: DataMap, header: readonly string[], where: string, quote: boolean): DataMap {
  const index = new Map<string, number>();
  header.forEach((n, i) => index.set(n, i));
  const known = quote
    ? `; the file's columns are ${header.slice(0, 20).map(q).join(', ')}${header.length > 20 ? ', …' : ''}`
    : '';
  const find = (c: string, field: string) => {
    const i = index.get(c);
    if (i === undefined)
      throw new Error(`${where}: '${field}' names column ${q(c)}, which the file does not have${known}`);
    return i;
  };
  const resolve = (m: MappedColumns): MappedColumns => {
    if (Array.isArray(m.columns)) {
      m.columns.forEach((c) => find(c, m.field));
      return m;
    }
    const from = find(m.columns.from, `${m.field}.from`);
    const to = find(m.columns.to, `${m.field}.to`);
    if (to < from)
      throw new Error(
        `${where}: '${m.field}': column ${q(m.columns.to)} comes before ${q(m.columns.from)} in the file`,
      );
    if (to - from + 1 !== m.size)
      throw new Error(
        `${where}: '${m.field}' spans ${to - from + 1} column(s) but the ` +
          `${m.field.startsWith('data.inputs') ? 'input' : 'output'} ` +
          `${q(m.name)} takes ${m.size} value(s) per sample (shape ${formatShape(m.shape)})`,
      );
    return { ...m, columns: header.slice(from, to + 1) };
  };
  const resolved = { inputs: map.inputs.map(resolve), targets: map.targets.map(resolve) };
  checkOverlap(resolved, where);
  return resolved;
}

/**
 * The form of a map whose model is not known yet (a saved model's, checked in the worker once it is loaded):
 * objects of column selections.
 */
export function checkDataMapForm(inputs: unknown, targets: unknown, where: string, maxColumns = DEFAULT_MAX_COLUMNS) {
  for (const [key, given] of [
    ['inputs', inputs],
    ['targets', targets],
  ] as const) {
    if (!isObject(given) || Object.keys(given).length === 0)
      throw new Error(`${where}: 'data.${key}' must be an object keyed by the model's ${key.slice(0, -1)} names`);
    for (const [name, v] of Object.entries(given)) selection(v, `data.${key}.${name}`, maxColumns, where);
  }
}

/**
 * A streamed CSV maps at most one column of class labels (its dataset's target, mapped to class indices as it
 * is read); other targets are numbers.
 */
export function checkStreamable(map: DataMap, where: string): void {
  const labels = map.targets.filter((t) => t.labels && t.size === 1);
  if (labels.length > 1)
    throw new Error(
      `${where}: a streamed CSV maps at most one column of class labels to class indices, but '${labels[0].field}' ` +
        `and '${labels[1].field}' both are; load the file instead (leave out stream: true), or give one output ` +
        `one-hot columns and categoricalCrossentropy`,
    );
}
