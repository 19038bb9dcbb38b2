/**
 * Reading `modelTopology` into a model whose shapes are known but which has no weights yet: a Sequential (also the
 * converter's `model_config` wrapper, the older bare-array config, and Keras 3's separate InputLayer), or a
 * functional model (read-graph.ts). Layers come from the registry's closed list, every config value checked by
 * the layer's reader; nothing is built, so the weights the topology implies can be counted and checked before
 * anything is allocated.
 */
import { InputLayer } from '../layers/input-layer';
import { ConfigReader } from '../layers/config-reader';
import type { Model, ModelArgs } from '../model/model';
import { kerasMajorVersion } from './keras-configs';
import { MAX_FILE_LAYERS, readFunctional, readLayer, type GraphReadContext } from './read-graph';
import type { Obj, Reader } from './safe-json';

export interface TopologyContext {
  create: (args: ModelArgs) => Model;
  dtype: ModelArgs['dtype'];
  seed: number;
}

/** The model `modelTopology` describes, unbuilt (Model.plannedWeights tells what building it would create). */
export function readTopology(r: Reader, topologyValue: unknown, tc: TopologyContext): Model {
  let topology = r.obj(topologyValue, 'modelTopology');
  const kerasMajor = kerasMajorVersion(r, topology);
  if (topology.model_config !== undefined) topology = r.obj(topology.model_config, 'modelTopology.model_config');
  const kind = r.oneOf(topology.class_name, 'modelTopology.class_name', ['Sequential', 'Model', 'Functional'] as const);
  const ctx: GraphReadContext = { r, kerasMajor, layerCount: { n: 0 }, ...tc };
  if (kind !== 'Sequential')
    return readFunctional(ctx, r.obj(topology.config, 'modelTopology.config'), 'modelTopology.config', 0);
  return readSequential(ctx, topology);
}

function readSequential(ctx: GraphReadContext, topology: Obj): Model {
  const { r } = ctx;
  let list: unknown[];
  let modelName: string | undefined;
  let buildInputShape: unknown;
  if (Array.isArray(topology.config)) list = r.arr(topology.config, 'modelTopology.config', MAX_FILE_LAYERS);
  else {
    const cfg = r.obj(topology.config, 'modelTopology.config');
    list = r.arr(cfg.layers, 'modelTopology.config.layers', MAX_FILE_LAYERS);
    if (cfg.name !== undefined) modelName = r.str(cfg.name, 'modelTopology.config.name', 256);
    buildInputShape = cfg.build_input_shape;
  }
  const fail = (where: string, message: string): never => r.fail(where, message);
  const model = ctx.create({ name: modelName, dtype: ctx.dtype, seed: ctx.seed, deferBuild: true });
  let inputShape: number[] | undefined;
  const fileIndex: number[] = [];
  list.forEach((value, i) => {
    const where = `modelTopology layers[${i}]`;
    if (++ctx.layerCount.n > MAX_FILE_LAYERS) r.fail(where, `the file has more than ${MAX_FILE_LAYERS} layers`);
    const o = r.obj(value, where);
    const className = r.str(o.class_name, `${where}.class_name`, 128);
    const layer = readLayer(ctx, className, r.obj(o.config ?? {}, `${where}.config`), where, 0);
    if (layer instanceof InputLayer) {
      if (model.layers.length > 0 || inputShape) r.fail(where, 'an InputLayer must be the first layer');
      inputShape = [...layer.sampleShape];
      return;
    }
    if (model.layers.length === 0) {
      // A Sequential built without an input shape on its first layer records the shape it was built with.
      if (!inputShape && !layer.declaredInputShape && buildInputShape !== undefined && buildInputShape !== null) {
        const config = { batchInputShape: buildInputShape };
        inputShape = new ConfigReader(config, 'modelTopology.config', fail).layerArgs().inputShape;
      }
      if (inputShape) model.declareInputShape(inputShape);
    }
    try {
      model.add(layer);
    } catch (e) {
      r.fail(where, (e as Error).message);
    }
    fileIndex.push(i);
  });
  if (model.layers.length === 0) r.fail('modelTopology', 'the model has no layers');
  if (!model.inputShape) {
    r.fail('modelTopology.config.layers[0]', 'the first layer has no batch_input_shape, so the input shape is unknown');
  }
  // Shapes through the chain, each error naming the layer's entry in the file.
  let shape = model.inputShape!;
  model.layers.forEach((l, i) => {
    try {
      shape = l.computeOutputShapeFor([shape]);
    } catch (e) {
      r.fail(`modelTopology layers[${fileIndex[i]}]`, (e as Error).message);
    }
  });
  model.prepareShapes();
  return model;
}

/** Total values of planned weights. */
export function plannedSize(weights: { shape: number[] }[]): number {
  return weights.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1), 0);
}
