/**
 * Models described as JSON — what job specs (bp.jobs.train, queues, `backprop submit`), the CLI's
 * `--model-spec` file and the example service accept. Any layer in the registry can be named by its TF.js
 * class name and config (camelCase or snake_case keys): `{ className: 'Conv2D', config: { filters: 32,
 * kernelSize: 3 } }`; the short dense form `{ units, activation, inputShape }` (and `{ type: 'dropout', rate }`,
 * `{ type: 'activation', activation }`) keeps working. A spec is checked completely — structure, every layer
 * config, the compile settings, and the model's size against the memory limit — before anything is
 * allocated, so a service can refuse a bad spec before queueing it.
 */
import type { DType } from './backend/ops';
import { keysToCamel } from './io/case';
import { layerFromConfig } from './layers/registry';
import type { Layer } from './layers/layer';
import { shapeSize, type Shape } from './layers/shape';
import { checkTrainingMemory } from './limits';
import { chainCalls, trainingMemory } from './model/step-memory';
import { nameLayers, type CompileArgs } from './model/model';
import { getOptimizer } from './optimizers';
import { getLoss } from './training/losses';
import { checkMetricNames } from './training/metrics';
import { Sequential } from './sequential';
import type { LayersModel } from './layers-model';
import { isFunctionalSpec, readFunctionalSpec, type FunctionalSpec } from './model-spec-functional';
import { preview, quote } from './quote';

/** One layer of a spec: a registry class and config, or the short dense/dropout/activation form. */
export type LayerSpec =
  | { className: string; config?: Record<string, unknown> }
  | { type?: 'dense'; units: number; activation?: string; inputShape?: number[] }
  | { type: 'dropout'; rate: number }
  | { type: 'activation'; activation: string };

/** A model spec: a stack of layers (`{ layers }`), or a functional graph (the TF.js `Model` config form). */
export type ModelSpec = SequentialSpec | FunctionalSpec;
export type { FunctionalSpec } from './model-spec-functional';
export { isFunctionalSpec } from './model-spec-functional';

export interface SequentialSpec {
  layers: LayerSpec[];
  /** Optimizer name / `{ name, ...options }` / `{ className, config }`; loss name or `{ className, config }`. */
  compile?: {
    optimizer?: unknown;
    loss: unknown;
    metrics?: string[];
  };
  seed?: number;
  dtype?: DType;
  name?: string;
}

/** At most this many layers in a spec. */
export const MAX_SPEC_LAYERS = 1000;

function fail(where: string, message: string): never {
  throw new Error(`${where}: ${message}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** The layer a spec entry describes (unbuilt), every value checked. */
function layerFromSpec(entry: unknown, where: string): Layer {
  if (!isObject(entry)) return fail(where, `expected a layer object such as { units: 8 } or { className, config }`);
  if ('className' in entry) {
    for (const key of Object.keys(entry)) {
      if (key !== 'className' && key !== 'config') fail(where, `unknown key ${quote(key)} (use { className, config })`);
    }
    if (typeof entry.className !== 'string') fail(`${where}.className`, 'expected a TF.js layer class name');
    const config = entry.config === undefined ? {} : entry.config;
    if (!isObject(config)) fail(`${where}.config`, 'expected an object');
    let camel: Record<string, unknown>;
    try {
      camel = keysToCamel(config) as Record<string, unknown>;
    } catch (e) {
      return fail(`${where}.config`, (e as Error).message);
    }
    return layerFromConfig(entry.className, camel, where, fail);
  }
  const { type = 'dense', ...config } = entry;
  const className =
    type === 'dense' ? 'Dense' : type === 'dropout' ? 'Dropout' : type === 'activation' ? 'Activation' : '';
  if (!className)
    fail(
      `${where}.type`,
      `must be 'dense', 'dropout' or 'activation' (or use { className, config }), got ${preview(type)}`,
    );
  return layerFromConfig(className, config, where, fail);
}

/** What a stack of unbuilt layers holds on `inputShape`: parameters, and activation values per sample. */
export function planLayers(
  layers: Layer[],
  inputShape: Shape,
  where: string,
): { parameters: number; activations: number } {
  let shape = inputShape;
  let parameters = 0,
    activations = 0;
  for (const [i, layer] of layers.entries()) {
    try {
      for (const w of layer.weightSpecs(shape)) parameters += shapeSize(w.shape);
      shape = layer.computeOutputShape(shape);
      activations += shapeSize(shape);
    } catch (e) {
      fail(`${where}.layers[${i}]`, (e as Error).message);
    }
  }
  return { parameters, activations };
}

/**
 * Refuses, naming the size, layers on `inputShape` whose parameters exceed `maxParameters` or which with
 * batches of `batchRows` would pass the memory limit (bp.setLimits). Nothing is allocated.
 * @example checkLayersFit('train', model.layers, [784], 32, 'float32')
 */
export function checkLayersFit(
  where: string,
  layers: Layer[],
  inputShape: Shape,
  batchRows: number,
  dtype: DType = 'float32',
  maxParameters?: number,
  optimizerSlots?: number,
): number {
  const { parameters } = planLayers(layers, inputShape, where);
  if (maxParameters !== undefined && parameters > maxParameters) {
    fail(
      where,
      `the model has ${parameters.toLocaleString('en-US')} parameters for inputs of shape ` +
        `[${inputShape.join(', ')}]; ` +
        `at most ${maxParameters.toLocaleString('en-US')} are allowed (maxParameters). Use fewer or smaller layers.`,
    );
  }
  // Every buffer a training step holds (layer workspaces included), for batches of batchRows.
  const { calls, outputShape } = chainCalls(layers, inputShape);
  checkTrainingMemory(
    where,
    trainingMemory({
      calls,
      inputShapes: [inputShape],
      outputShapes: [outputShape],
      dtype,
      batchSizes: [batchRows],
      optimizerSlots,
    }),
  );
  return parameters;
}

/** The input shape a spec's first layer declares (inputShape / inputDim / batchInputShape), if any. */
export function declaredInputShape(spec: ModelSpec): number[] | undefined {
  try {
    if (isFunctionalSpec(spec)) {
      const { model } = readFunctionalSpec(spec, 'spec', { needCompile: false, batchRows: 1, sizeCheck: false });
      return model.inputShapes.length === 1 ? [...model.inputShapes[0]] : undefined;
    }
    const first = layerFromSpec((spec as SequentialSpec)?.layers?.[0], 'spec.layers[0]');
    return first.declaredInputShape ? [...first.declaredInputShape] : undefined;
  } catch {
    return undefined;
  }
}

/** Checked compile arguments of a spec (names and options through the registries). */
function compileArgs(c: unknown, where: string): CompileArgs {
  if (!isObject(c)) return fail(where, `expected { optimizer, loss, metrics? }`);
  for (const key of Object.keys(c)) {
    if (!['optimizer', 'loss', 'metrics'].includes(key)) fail(where, `unknown key ${quote(key)}`);
  }
  if (c.loss === undefined) fail(`${where}.loss`, `is required, e.g. 'sparseCategoricalCrossentropy'`);
  const wrap = <T>(key: string, f: () => T): T => {
    try {
      return f();
    } catch (e) {
      return fail(`${where}.${key}`, (e as Error).message);
    }
  };
  return {
    optimizer: wrap('optimizer', () => getOptimizer(c.optimizer ?? 'adam')),
    loss: wrap('loss', () => getLoss(c.loss as never)),
    metrics: wrap('metrics', () => checkMetricNames('metrics', c.metrics, true)),
  };
}

export interface SpecCheckOptions {
  /** Whether `compile` is required (job specs: yes; the CLI's --model-spec: no). Default true. */
  needCompile?: boolean;
  /**
   * The input shape, when the data gives it and the spec's first layer declares none. A functional spec declares
   * its inputs; one whose input does not hold as many values per sample as this is refused.
   */
  inputShape?: number[];
  /** Rows per batch, for the memory check of the activations (default 1). */
  batchRows?: number;
  /** A cap on parameters (e.g. a service's per-job limit). */
  maxParameters?: number;
  /** Check the size against the memory limit and maxParameters (default true); false only counts. */
  sizeCheck?: boolean;
  /** Refuse a functional spec with several inputs or outputs, naming `feeder` as what cannot feed it. */
  singleInputOutput?: string;
}

/**
 * Checks a model spec completely without allocating the model: every layer through the registry, the compile
 * settings, and — once the input shape is known (declared by the first layer or given) — the parameter count
 * against `maxParameters` and the memory limit. Without an input shape, a model too large for any input (a
 * dense stack sized for one input feature) is refused; the exact check then needs the data's shape. Returns
 * the parameter count (or the lower bound), undefined when it cannot be known yet.
 * @example checkModelSpec({ layers: [{ units: 10, inputShape: [4] }], compile: { loss: 'mse' } }, 'spec.model') // 50
 */
export function checkModelSpec(
  spec: unknown,
  where = 'model spec',
  options: SpecCheckOptions = {},
): number | undefined {
  if (isFunctionalSpec(spec)) return checkFunctional(spec, where, options).parameters;
  if (!isObject(spec)) return fail(where, 'expected { layers: [...], compile: { optimizer, loss } }');
  for (const key of Object.keys(spec)) {
    if (!['layers', 'compile', 'seed', 'dtype', 'name'].includes(key)) fail(where, `unknown key ${quote(key)}`);
  }
  if (!Array.isArray(spec.layers) || spec.layers.length === 0) fail(`${where}.layers`, 'must be a non-empty array');
  if (spec.layers.length > MAX_SPEC_LAYERS) fail(`${where}.layers`, `has more than ${MAX_SPEC_LAYERS} layers`);
  if (spec.dtype !== undefined && spec.dtype !== 'float32' && spec.dtype !== 'float64') {
    fail(`${where}.dtype`, `must be 'float32' or 'float64'`);
  }
  if (spec.seed !== undefined && !Number.isSafeInteger(spec.seed)) fail(`${where}.seed`, 'must be an integer');
  if (spec.name !== undefined && typeof spec.name !== 'string') fail(`${where}.name`, 'must be a string');
  const compiled =
    (options.needCompile ?? true) || spec.compile !== undefined
      ? compileArgs(spec.compile, `${where}.compile`)
      : undefined;
  const slots = (compiled?.optimizer as { slotsPerParameter?: number } | undefined)?.slotsPerParameter;
  const layers = spec.layers.map((l, i) => layerFromSpec(l, `${where}.layers[${i}]`));
  nameLayers(layers);
  const dtype = spec.dtype as DType | undefined;
  const rows = options.batchRows ?? 1;
  const inputShape = layers[0].declaredInputShape ?? options.inputShape;
  if (inputShape && options.sizeCheck === false) return planLayers(layers, inputShape, where).parameters;
  if (inputShape) return checkLayersFit(where, layers, inputShape, rows, dtype, options.maxParameters, slots);
  // Unknown input: the smallest input a dense stack can take gives a lower bound; other stacks wait for data.
  let lower: number;
  try {
    lower = planLayers(layers, [1], where).parameters;
  } catch {
    return undefined;
  }
  if (options.sizeCheck === false) return lower;
  return checkLayersFit(where, layers, [1], rows, dtype, options.maxParameters, slots);
}

/**
 * Builds (and compiles, when the spec has `compile`) the model a spec describes, after checking it.
 * @example
 * const model = bp.modelFromSpec({
 *   seed: 1,
 *   layers: [
 *     { className: 'Dense', config: { units: 16, activation: 'relu', inputShape: [4] } },
 *     { units: 3, activation: 'softmax' },
 *   ],
 *   compile: { optimizer: { name: 'adam', learningRate: 0.01 }, loss: 'sparseCategoricalCrossentropy' },
 * });
 */
export function modelFromSpec(spec: SequentialSpec, where?: string): Sequential;
export function modelFromSpec(spec: ModelSpec, where?: string): LayersModel;
export function modelFromSpec(spec: ModelSpec, where = 'model spec'): LayersModel {
  if (isFunctionalSpec(spec)) {
    const { model } = checkFunctional(spec, where, { needCompile: false });
    try {
      model.build();
    } catch (e) {
      fail(where, (e as Error).message);
    }
    return model;
  }
  checkModelSpec(spec, where, { needCompile: false });
  spec = spec as SequentialSpec;
  const layers = spec.layers.map((l, i) => layerFromSpec(l, `${where}.layers[${i}]`));
  const model = new Sequential({ seed: spec.seed ?? 0, dtype: spec.dtype, name: spec.name, layers });
  if (spec.compile !== undefined) model.compile(compileArgs(spec.compile, `${where}.compile`));
  return model;
}

/**
 * The model of a functional spec, unbuilt (no weight allocated) and compiled when the spec has `compile`: its
 * input and output names, shapes and losses, for checking data against. Check the spec first (checkModelSpec).
 * @example functionalSpecModel(spec, 'jobs.train(): model').inputNames // ['features', 'tokens']
 */
export function functionalSpecModel(spec: FunctionalSpec, where: string): LayersModel {
  return readFunctionalSpec(spec, where, { needCompile: false, batchRows: 1, sizeCheck: false }).model;
}

/** A functional spec read and checked (model-spec-functional.ts), its input matched to `options.inputShape`. */
function checkFunctional(spec: unknown, where: string, options: SpecCheckOptions) {
  const checked = readFunctionalSpec(spec, where, {
    needCompile: options.needCompile ?? true,
    batchRows: options.batchRows ?? 1,
    maxParameters: options.maxParameters,
    sizeCheck: options.sizeCheck ?? true,
  });
  const given = options.inputShape;
  const declared = checked.model.inputShapes;
  const outputs = checked.model.outputShapes.length;
  if (options.singleInputOutput && (declared.length !== 1 || outputs !== 1)) {
    const m = checked.model;
    const list = (names: string[], v: string) => `{ ${names.map((n) => `${quote(n)}: ${v}`).join(', ')} }`;
    fail(
      where,
      `the model has ${declared.length} input(s) and ${outputs} output(s); ` +
        `${options.singleInputOutput} feeds one input array and one target array. ` +
        `Map each input and output to its columns by name: data: { csv, inputs: ${list(m.inputNames, '[columns]')}, ` +
        `targets: ${list(m.outputNames, "'column'")} } in a job spec, --input NAME=COLUMNS and --target ` +
        `NAME=COLUMN with backprop train, or model.fit({ ...inputs }, { ...targets })`,
    );
  }
  if (given && (declared.length !== 1 || shapeSize(declared[0]) !== shapeSize(given))) {
    const what = declared.length === 1 ? ` has shape [${declared[0].join(', ')}]` : 's are ' + declared.length;
    fail(
      where,
      `the model's input${what} ` + `but the data gives ${shapeSize(given)} values per sample ([${given.join(', ')}])`,
    );
  }
  return checked;
}
