/**
 * Functional model specs: the TF.js `Model` config form (`{ className: 'Model' | 'Functional', config: { name,
 * layers: [... with inbound_nodes], input_layers, output_layers }, compile?, seed?, dtype? }`, camelCase or
 * snake_case keys), as `model.toJSON()` and model.json's `modelTopology` write it. The config is read by the same
 * graph reader as model files (io/read-graph.ts: registry layers only, cycles, missing layers and calls, fan-in and
 * nesting refused, naming the field), then sized — parameters from Model.plannedWeights, and every buffer a
 * training step holds from the planned calls (model/step-memory.ts) against bp.setLimits — before any weight is
 * allocated.
 */
import type { DType } from './backend/ops';
import { keysToSnake, toCamel } from './io/case';
import { kerasMajorVersion } from './io/keras-configs';
import { readFunctional } from './io/read-graph';
import { plannedSize } from './io/read-topology';
import { Reader, type Obj } from './io/safe-json';
import type { Shape } from './layers/shape';
import { LayersModel } from './layers-model';
import { checkTrainingMemory } from './limits';
import type { CompileArgs } from './model/model';
import { trainingMemory, type StepCall } from './model/step-memory';
import { getOptimizer } from './optimizers';
import { getLoss } from './training/losses';
import { preview, quote } from './quote';

/** A functional model spec (the TF.js `Model` config form plus compile settings). */
export interface FunctionalSpec {
  className: 'Model' | 'Functional';
  /** `{ name?, layers: [{ className, name, config, inboundNodes }], inputLayers, outputLayers }`. */
  config: Record<string, unknown>;
  /** One loss, or one per output (array in output order, or object by output name); metrics and lossWeights alike. */
  compile?: {
    optimizer?: unknown;
    loss: unknown;
    metrics?: unknown;
    lossWeights?: unknown;
  };
  seed?: number;
  dtype?: DType;
  /** Written by TF.js / Keras `toJSON()`; decides how nested models' nodes are numbered. */
  kerasVersion?: string;
  backend?: string;
}

/** At most this many layers in a functional spec, nested models' layers included. */
export const MAX_FUNCTIONAL_SPEC_LAYERS = 1000;

const TOP_KEYS = ['className', 'config', 'compile', 'seed', 'dtype', 'kerasVersion', 'backend'];
const COMPILE_KEYS = ['optimizer', 'loss', 'metrics', 'lossWeights'];

function fail(where: string, message: string): never {
  throw new Error(`${where}: ${message}`);
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** Whether a spec is the functional form (it names a model class) rather than `{ layers: [...] }`. */
export function isFunctionalSpec(spec: unknown): spec is FunctionalSpec {
  return isObject(spec) && ('className' in spec || 'class_name' in spec);
}

/** The spec's top-level keys in camelCase (`class_name` → `className`), unknown and repeated keys refused. */
function topLevel(spec: Record<string, unknown>, where: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(spec)) {
    const key = toCamel(k);
    if (!TOP_KEYS.includes(key)) fail(where, `unknown key ${quote(k)}; a functional spec has ${TOP_KEYS.join(', ')}`);
    if (key in out) fail(where, `key ${quote(k)} is given twice (camelCase and snake_case)`);
    out[key] = v;
  }
  return out;
}

/** Checked compile settings; the per-output forms are matched against the model's outputs by model.compile. */
function compileArgs(c: unknown, where: string): CompileArgs {
  if (!isObject(c)) return fail(where, 'expected { optimizer, loss, metrics?, lossWeights? }');
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c)) {
    const key = toCamel(k);
    if (!COMPILE_KEYS.includes(key)) fail(where, `unknown key ${quote(k)}; known: ${COMPILE_KEYS.join(', ')}`);
    o[key] = v;
  }
  if (o.loss === undefined) fail(`${where}.loss`, `is required, e.g. 'sparseCategoricalCrossentropy'`);
  const wrap = <T>(key: string, f: () => T): T => {
    try {
      return f();
    } catch (e) {
      return fail(`${where}.${key}`, (e as Error).message);
    }
  };
  // Losses by name through the registry, one for all outputs or one per output.
  const lossOf = (v: unknown, key: string) => wrap(key, () => getLoss(v as never));
  let loss: CompileArgs['loss'];
  if (Array.isArray(o.loss)) {
    if (o.loss.length > 1024) fail(`${where}.loss`, 'has more than 1024 entries');
    loss = o.loss.map((v, i) => lossOf(v, `loss[${i}]`));
  } else if (isObject(o.loss) && !('className' in o.loss) && !('class_name' in o.loss)) {
    const entries = Object.entries(o.loss);
    if (entries.length > 1024) fail(`${where}.loss`, 'has more than 1024 entries');
    loss = Object.fromEntries(entries.map(([k, v]) => [k, lossOf(v, `loss.${k}`)]));
  } else loss = lossOf(o.loss, 'loss');
  return {
    optimizer: wrap('optimizer', () => getOptimizer((o.optimizer ?? 'adam') as never)),
    loss,
    metrics: o.metrics as CompileArgs['metrics'],
    lossWeights: o.lossWeights as CompileArgs['lossWeights'],
  };
}

export interface FunctionalCheck {
  /** The model, connected and sized but unbuilt (no weight allocated); compiled when the spec has `compile`. */
  model: LayersModel;
  parameters: number;
}

export interface FunctionalCheckOptions {
  needCompile: boolean;
  batchRows: number;
  maxParameters?: number;
  sizeCheck: boolean;
}

/**
 * Reads and checks a functional spec completely without allocating a weight: structure, every layer config,
 * the graph, the compile settings against the outputs, and the size against `maxParameters` and the memory limit.
 * @example readFunctionalSpec(spec, 'jobs.train(): model', { needCompile: true, batchRows: 32, sizeCheck: true })
 */
export function readFunctionalSpec(spec: unknown, where: string, options: FunctionalCheckOptions): FunctionalCheck {
  if (!isObject(spec))
    return fail(where, 'expected { className: "Model", config: { layers, inputLayers, outputLayers } }');
  const top = topLevel(spec, where);
  if (top.className !== 'Model' && top.className !== 'Functional') {
    fail(
      `${where}.className`,
      `must be 'Model' or 'Functional' (or give { layers: [...] }), got ${preview(top.className)}`,
    );
  }
  if (top.dtype !== undefined && top.dtype !== 'float32' && top.dtype !== 'float64') {
    fail(`${where}.dtype`, `must be 'float32' or 'float64'`);
  }
  if (top.seed !== undefined && !Number.isSafeInteger(top.seed)) fail(`${where}.seed`, 'must be an integer');
  if (!isObject(top.config)) fail(`${where}.config`, 'expected { name?, layers: [...], inputLayers, outputLayers }');
  if (Array.isArray(top.config.layers) && top.config.layers.length > MAX_FUNCTIONAL_SPEC_LAYERS) {
    fail(`${where}.config.layers`, `has more than ${MAX_FUNCTIONAL_SPEC_LAYERS} layers`);
  }
  const compiled =
    options.needCompile || top.compile !== undefined ? compileArgs(top.compile, `${where}.compile`) : undefined;

  // The graph reader reads Keras's snake_case; layer configs are turned back to camelCase layer by layer.
  let config: Obj;
  try {
    config = keysToSnake(top.config) as Obj;
  } catch (e) {
    return fail(`${where}.config`, (e as Error).message);
  }
  const r = new Reader(where);
  const kerasMajor =
    top.kerasVersion === undefined ? undefined : kerasMajorVersion(r, { keras_version: top.kerasVersion });
  const layerCount = { n: 0 };
  const model = readFunctional(
    {
      r,
      kerasMajor,
      create: (args) => new LayersModel(args),
      dtype: (top.dtype as DType | undefined) ?? 'float32',
      seed: (top.seed as number | undefined) ?? 0,
      layerCount,
    },
    config,
    'config',
    0,
  ) as LayersModel;
  if (layerCount.n > MAX_FUNCTIONAL_SPEC_LAYERS) {
    fail(
      `${where}.config.layers`,
      `holds ${layerCount.n} layers with nested models' (limit ${MAX_FUNCTIONAL_SPEC_LAYERS})`,
    );
  }
  if (compiled) {
    try {
      model.compile(compiled);
    } catch (e) {
      fail(`${where}.compile`, (e as Error).message);
    }
  }

  const parameters = plannedSize(model.plannedWeights());
  if (!options.sizeCheck) return { model, parameters };
  if (options.maxParameters !== undefined && parameters > options.maxParameters) {
    fail(
      where,
      `the model has ${parameters.toLocaleString('en-US')} parameters; at most ` +
        `${options.maxParameters.toLocaleString('en-US')} are allowed (maxParameters). Use fewer or smaller layers.`,
    );
  }
  checkTrainingMemory(where, plannedMemory(model, options.batchRows, compiled));
  return { model, parameters };
}

/** What training an unbuilt model with batches of `rows` rows holds, from its planned calls. */
function plannedMemory(model: LayersModel, rows: number, compiled: CompileArgs | undefined) {
  const g = model.flatGraph();
  const shapes = (slots: readonly number[]): Shape[] => slots.map((s) => g.slotShapes[s]);
  // A shared layer's later calls name it again: trainingMemory counts their buffers and, as the engine's
  // replicas hold, their gradients.
  const calls: StepCall[] = g.calls.map((c) => ({ layer: c.layer, inputShapes: shapes(c.inputs) }));
  const slots = (compiled?.optimizer as { slotsPerParameter?: number } | undefined)?.slotsPerParameter;
  return trainingMemory({
    calls,
    inputShapes: shapes(g.inputSlots),
    outputShapes: shapes(g.outputSlots),
    dtype: model.dtype,
    batchSizes: [Math.max(1, rows)],
    optimizerSlots: slots,
  });
}
