/**
 * Reading a functional model's topology (`class_name` 'Model' or 'Functional') from an untrusted file, as TF.js,
 * tf.keras 2 and Keras 3 (through the TF.js converter) write it:
 * - Keras 2 / TF.js nodes: per call a list `[[layer, nodeIndex, tensorIndex, kwargs?], ...]`; a nested model's
 *   calls are numbered from 1 (it has a node of its own first), in `inbound_nodes` and in input/output_layers.
 * - Keras 3 nodes: `{ args, kwargs }` with `__keras_tensor__` objects whose `keras_history` is
 *   `[layer, nodeIndex, tensorIndex]`; there nested calls are numbered from 0, but input/output_layers still count
 *   a nested Functional's from 1; `input_layers` may be a triple, a list of them or a dict.
 * Layers come from the registry's closed list (nested Sequential and functional models recursively); calls are
 * replayed in dependency order (Kahn's algorithm, linear in the file: a node waits for its inputs and for the same
 * layer's previous call), so a cycle, a reference to a layer or call that does not exist, a duplicate name or an
 * unknown call argument is an error naming the file and field. Nothing is built: the caller checks the weights the
 * model would need before any is allocated.
 */
import { InputLayer } from '../layers/input-layer';
import type { Layer } from '../layers/layer';
import { MAX_FAN_IN } from '../layers/layer';
import { layerEntry } from '../layers/registry';
import { ConfigReader } from '../layers/config-reader';
import type { SymbolicTensor } from '../autodiff/symbolic';
import { Model, type ModelArgs } from '../model/model';
import { keysToCamel } from './case';
import { checkFileLayerConfig } from './keras-configs';
import { FormatError, type Obj, type Reader } from './safe-json';
import { clipText, quote, quoteValue } from '../quote';

/** Most layers a file may hold, nested models included (as the Sequential reader). */
export const MAX_FILE_LAYERS = 10000;
/** Deepest nesting of models in models. */
const MAX_NESTING = 16;
/** Most calls of one layer. */
const MAX_CALLS = 1024;

export interface GraphReadContext {
  r: Reader;
  kerasMajor: number | undefined;
  /** Makes the model objects (the public classes at the top level); deferBuild is set. */
  create: (args: ModelArgs) => Model;
  dtype: ModelArgs['dtype'];
  seed: number;
  /** Layers read so far in the whole file (the cap counts nested models' layers too). */
  layerCount: { n: number };
}

interface Ref {
  layer: string;
  node: number;
  tensor: number;
  where: string;
}

interface Call {
  layerIndex: number;
  k: number;
  refs: Ref[];
  list: boolean;
  where: string;
}

const isTriple = (v: unknown): v is [string, number, number] =>
  Array.isArray(v) && v.length >= 3 && typeof v[0] === 'string';

/** A functional model's config (`{ name, layers, input_layers, output_layers }`) into an unbuilt model. */
export function readFunctional(ctx: GraphReadContext, cfg: Obj, where: string, depth: number): Model {
  const { r } = ctx;
  if (depth > MAX_NESTING) r.fail(where, `models nested deeper than ${MAX_NESTING} levels`);
  const name = cfg.name === undefined || cfg.name === null ? undefined : r.str(cfg.name, `${where}.name`, 256);
  const list = r.arr(cfg.layers, `${where}.layers`, MAX_FILE_LAYERS);
  const layers: Layer[] = [];
  const byName = new Map<string, number>();
  const nodeLists: unknown[][] = [];
  let keras3 = ctx.kerasMajor !== undefined && ctx.kerasMajor >= 3;
  list.forEach((value, i) => {
    const at = `${where}.layers[${i}]`;
    if (++ctx.layerCount.n > MAX_FILE_LAYERS) r.fail(at, `the file has more than ${MAX_FILE_LAYERS} layers`);
    const o = r.obj(value, at);
    const className = r.str(o.class_name, `${at}.class_name`, 128);
    const config = r.obj(o.config ?? {}, `${at}.config`);
    const layerName = r.str(o.name ?? config.name, `${at}.name`, 256);
    if (config.name !== undefined && config.name !== layerName) {
      r.fail(`${at}.config.name`, `${quote(String(config.name))} differs from the layer's name ${quote(layerName)}`);
    }
    if (byName.has(layerName)) r.fail(`${at}.name`, `two layers are named ${quote(layerName)}`);
    byName.set(layerName, i);
    layers.push(readLayer(ctx, className, { ...config, name: layerName }, at, depth));
    const nodes = r.arr(o.inbound_nodes ?? [], `${at}.inbound_nodes`, MAX_CALLS);
    if (nodes.some((n) => n !== null && typeof n === 'object' && !Array.isArray(n))) keras3 = true;
    nodeLists.push(nodes);
  });
  if (layers.length === 0) r.fail(`${where}.layers`, 'the model has no layers');

  // Each call's input references, checked for shape only here (their targets are resolved below).
  const calls: Call[] = [];
  const callsOf: Call[][] = layers.map(() => []);
  nodeLists.forEach((nodes, li) => {
    nodes.forEach((node, k) => {
      const at = `${where}.layers[${li}].inbound_nodes[${k}]`;
      const { refs, list: isList } = readNode(r, node, at);
      const call: Call = { layerIndex: li, k, refs, list: isList, where: at };
      calls.push(call);
      callsOf[li].push(call);
    });
    if (layers[li] instanceof InputLayer && nodes.length > 0) {
      r.fail(`${where}.layers[${li}].inbound_nodes`, 'an InputLayer takes no inputs');
    }
  });

  // The call (index into the layer's calls) a reference means, by the file's numbering convention.
  const callIndex = (ref: Ref, fromIo: boolean): { li: number; call: number } => {
    const found = byName.get(ref.layer);
    if (found === undefined) return r.fail(ref.where, `no layer named ${quote(ref.layer)}`);
    const li = found;
    const layer = layers[li];
    const nested = layer instanceof Model;
    const offset = nested && (!keras3 || (fromIo && layer.isFunctional)) ? 1 : 0;
    const call = ref.node - offset;
    const count = layer instanceof InputLayer ? 1 : callsOf[li].length;
    if (call < 0 || call >= count) {
      r.fail(ref.where, `layer ${quote(ref.layer)} has no node ${ref.node} (it is called ${count} time(s))`);
    }
    return { li, call };
  };

  // Kahn's algorithm over calls: a call waits for the calls producing its inputs and its layer's previous call.
  const outputs: (SymbolicTensor[] | undefined)[][] = layers.map((l, li) =>
    l instanceof InputLayer ? [[l.output as SymbolicTensor]] : callsOf[li].map(() => undefined),
  );
  const waiting = new Map<Call, number>();
  const dependents = new Map<string, Call[]>();
  const key = (li: number, call: number) => `${li}:${call}`;
  const ready: Call[] = [];
  for (const c of calls) {
    let n = 0;
    const deps = c.refs.map((ref) => callIndex(ref, false));
    if (c.k > 0) deps.push({ li: c.layerIndex, call: c.k - 1 });
    for (const d of deps) {
      if (outputs[d.li][d.call]) continue;
      n++;
      const k = key(d.li, d.call);
      const list = dependents.get(k) ?? [];
      list.push(c);
      dependents.set(k, list);
    }
    waiting.set(c, n);
    if (n === 0) ready.push(c);
  }
  let done = 0;
  while (ready.length > 0) {
    const c = ready.shift()!;
    const inputs = c.refs.map((ref) => {
      const { li, call } = callIndex(ref, false);
      const t = outputs[li][call]![ref.tensor];
      if (!t) return r.fail(ref.where, `layer ${quote(ref.layer)} has no output ${ref.tensor}`);
      return t;
    });
    outputs[c.layerIndex][c.k] = apply(r, layers[c.layerIndex], inputs, c.list, c.where);
    done++;
    for (const d of dependents.get(key(c.layerIndex, c.k)) ?? []) {
      const left = waiting.get(d)! - 1;
      waiting.set(d, left);
      if (left === 0) ready.push(d);
    }
  }
  if (done < calls.length) {
    const stuck = calls.find((c) => waiting.get(c)! > 0)!;
    r.fail(stuck.where, 'this call depends on itself (the graph has a cycle)');
  }

  const tensorsOf = (value: unknown, at: string): SymbolicTensor[] => {
    const triples: [unknown, string][] = [];
    if (isTriple(value)) triples.push([value, at]);
    else if (Array.isArray(value)) value.forEach((v, i) => triples.push([v, `${at}[${i}]`]));
    else if (value && typeof value === 'object')
      for (const [k, v] of Object.entries(value)) triples.push([v, `${at}.${k}`]);
    else r.fail(at, `expected [layer, node, tensor] entries, got ${typeof value}`);
    if (triples.length === 0 || triples.length > MAX_FAN_IN) r.fail(at, `expected 1 to ${MAX_FAN_IN} entries`);
    return triples.map(([v, w]) => {
      const ref = readRef(r, v, w);
      const { li, call } = callIndex(ref, true);
      const t = outputs[li][call]?.[ref.tensor];
      if (!t) return r.fail(w, `layer ${quote(ref.layer)} node ${ref.node} has no output ${ref.tensor}`);
      return t;
    });
  };
  const inputs = tensorsOf(cfg.input_layers, `${where}.input_layers`);
  const outs = tensorsOf(cfg.output_layers, `${where}.output_layers`);
  try {
    return ctx.create({ inputs, outputs: outs, name, dtype: ctx.dtype, seed: ctx.seed, deferBuild: true });
  } catch (e) {
    return r.fail(where, (e as Error).message);
  }
}

/** One layer entry: a nested model, an InputLayer, or a registry layer (every config value checked). */
export function readLayer(ctx: GraphReadContext, className: string, config: Obj, at: string, depth: number): Layer {
  const { r } = ctx;
  const fail = (where: string, message: string): never => r.fail(where, message);
  if (className === 'Model' || className === 'Functional')
    return readFunctional(ctx, config, `${at}.config`, depth + 1);
  if (className === 'Sequential') return readNestedSequential(ctx, config, `${at}.config`, depth + 1);
  const reader = new ConfigReader(keysToCamel(config) as Obj, `${at}.config`, fail);
  checkFileLayerConfig(reader, className, ctx.kerasMajor);
  if (className === 'InputLayer') return inputLayerOf(reader);
  const entry = layerEntry(className, fail, `${at}.class_name`);
  try {
    return entry.fromConfig(reader);
  } catch (e) {
    // The reader's failures name the file and key; a layer constructor's own check (Reshape's "at most one
    // -1") throws a plain Error, which gets the file and the layer's config in front here.
    if (e instanceof FormatError) throw e;
    return r.fail(`${at}.config`, (e as Error).message);
  }
}

/** An InputLayer from its config: batch_input_shape (or Keras 3's batch_shape), dtype, name. */
function inputLayerOf(c: ConfigReader): InputLayer {
  const shape = c.layerArgs().inputShape;
  if (!shape) c.fail('batchInputShape', 'an InputLayer needs batch_input_shape (or batch_shape)');
  const dtype = c.has('dtype') && c.get('dtype') === 'int32' ? 'int32' : 'float32';
  return new InputLayer({ shape: [...shape], dtype, name: c.has('name') ? c.str('name') : undefined });
}

/** A Sequential nested in a functional model: its layers, shapes known, nothing built. */
function readNestedSequential(ctx: GraphReadContext, cfg: Obj, where: string, depth: number): Model {
  const { r } = ctx;
  if (depth > MAX_NESTING) r.fail(where, `models nested deeper than ${MAX_NESTING} levels`);
  const name = cfg.name === undefined || cfg.name === null ? undefined : r.str(cfg.name, `${where}.name`, 256);
  const list = r.arr(cfg.layers, `${where}.layers`, MAX_FILE_LAYERS);
  const model = ctx.create({ name, dtype: ctx.dtype, seed: ctx.seed, deferBuild: true });
  let inputShape: number[] | undefined;
  list.forEach((value, i) => {
    const at = `${where}.layers[${i}]`;
    if (++ctx.layerCount.n > MAX_FILE_LAYERS) r.fail(at, `the file has more than ${MAX_FILE_LAYERS} layers`);
    const o = r.obj(value, at);
    const className = r.str(o.class_name, `${at}.class_name`, 128);
    const layer = readLayer(ctx, className, r.obj(o.config ?? {}, `${at}.config`), at, depth);
    if (layer instanceof InputLayer) {
      if (i !== 0) r.fail(at, 'an InputLayer must be the first layer');
      inputShape = [...layer.sampleShape];
      return;
    }
    try {
      if (i === 1 && inputShape) model.declareInputShape(inputShape);
      model.add(layer);
    } catch (e) {
      r.fail(at, (e as Error).message);
    }
  });
  if (model.layers.length === 0) r.fail(`${where}.layers`, 'the model has no layers');
  try {
    model.prepareShapes();
    model.requireShapes(where);
  } catch (e) {
    r.fail(where, `the nested Sequential's input shape is unknown or does not fit: ${(e as Error).message}`);
  }
  return model;
}

/** Applies `layer` to the call's inputs; shape errors name the call. */
function apply(r: Reader, layer: Layer, inputs: SymbolicTensor[], list: boolean, where: string): SymbolicTensor[] {
  try {
    if (layer instanceof Model) return layer.applyModel(list ? inputs : inputs[0]);
    return [layer.apply(list ? inputs : inputs[0])];
  } catch (e) {
    return r.fail(where, (e as Error).message);
  }
}

/** A node (one call): its input references and whether the layer took them as a list. */
function readNode(r: Reader, node: unknown, at: string): { refs: Ref[]; list: boolean } {
  if (Array.isArray(node)) {
    const entries = r.arr(node, at, MAX_FAN_IN);
    if (entries.length === 0) r.fail(at, 'a call with no inputs');
    const refs = entries.map((e, i) => {
      const w = `${at}[${i}]`;
      const a = r.arr(e, w, 4);
      if (a.length === 4) checkCallKwargs(r, a[3], `${w}[3]`);
      return readRef(r, a, w);
    });
    return { refs, list: refs.length > 1 };
  }
  const o = r.obj(node, at);
  for (const k of Object.keys(o)) if (k !== 'args' && k !== 'kwargs') r.fail(at, `unknown key ${quote(k)} in a node`);
  checkCallKwargs(r, o.kwargs ?? {}, `${at}.kwargs`);
  const args = r.arr(o.args, `${at}.args`, MAX_FAN_IN);
  if (args.length === 0) r.fail(`${at}.args`, 'a call with no inputs');
  // One positional argument: a tensor, or a list of them (merge layers); several: each a tensor.
  if (args.length === 1 && Array.isArray(args[0])) {
    const items = r.arr(args[0], `${at}.args[0]`, MAX_FAN_IN);
    return { refs: items.map((t, i) => kerasTensorRef(r, t, `${at}.args[0][${i}]`)), list: true };
  }
  const refs = args.map((t, i) => kerasTensorRef(r, t, `${at}.args[${i}]`));
  return { refs, list: refs.length > 1 };
}

/** A Keras 3 `__keras_tensor__` argument's history. */
function kerasTensorRef(r: Reader, v: unknown, at: string): Ref {
  const o = r.obj(v, at);
  if (o.class_name !== '__keras_tensor__') {
    r.fail(`${at}.class_name`, `expected '__keras_tensor__' (a layer's input), got ${quoteValue(o.class_name)}`);
  }
  const cfg = r.obj(o.config, `${at}.config`);
  return readRef(r, r.arr(cfg.keras_history, `${at}.config.keras_history`, 3), `${at}.config.keras_history`);
}

function readRef(r: Reader, v: unknown, at: string): Ref {
  const a = r.arr(v, at, 4);
  if (a.length < 3) r.fail(at, 'expected [layer name, node index, tensor index]');
  return {
    layer: r.str(a[0], `${at}[0]`, 256),
    node: r.int(a[1], `${at}[1]`, 0, MAX_CALLS),
    tensor: r.int(a[2], `${at}[2]`, 0, 64),
    where: at,
  };
}

/** Call arguments besides the inputs: only `training` and `mask` left unset (null) or a plain flag are read. */
function checkCallKwargs(r: Reader, v: unknown, at: string): void {
  const o = r.obj(v, at);
  for (const [k, x] of Object.entries(o)) {
    const ok = (k === 'training' || k === 'mask') && (x === null || typeof x === 'boolean');
    if (!ok) r.fail(`${at}.${clipText(k)}`, `call argument ${quote(k)} is not supported`);
  }
}
