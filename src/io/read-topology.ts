/**
 * Reading `modelTopology` into layers through the layer registry: class names from the registry's closed
 * list, every config value checked by the layer's reader. Layers are constructed (cheap) but not built, so
 * the weights the topology implies can be counted and checked before anything is allocated.
 */
import type { Layer } from '../layers/layer';
import { layerEntry } from '../layers/registry';
import { ConfigReader } from '../layers/config-reader';
import { shapeSize, type Shape } from '../layers/shape';
import { keysToCamel } from './case';
import { checkFileLayerConfig, kerasMajorVersion } from './keras-configs';
import { FormatError, type Obj, type Reader } from './safe-json';

/** The most layers a model file may have; save refuses to write more. */
export const MAX_LAYERS = 10000;

export interface Topology {
  modelName?: string;
  /** Per-sample input shape, from the first layer's batch_input_shape / batch_shape or an InputLayer. */
  inputShape: number[];
  layers: Layer[];
}

/**
 * The layers of a Sequential topology (also the converter's `model_config` wrapper, the older bare-array
 * config, and Keras 3's separate InputLayer).
 */
export function readTopology(r: Reader, topologyValue: unknown): Topology {
  let topology = r.obj(topologyValue, 'modelTopology');
  const kerasMajor = kerasMajorVersion(r, topology);
  if (topology.model_config !== undefined) topology = r.obj(topology.model_config, 'modelTopology.model_config');
  r.oneOf(topology.class_name, 'modelTopology.class_name', ['Sequential'] as const);
  let list: unknown[];
  let modelName: string | undefined;
  let buildInputShape: unknown;
  if (Array.isArray(topology.config)) list = r.arr(topology.config, 'modelTopology.config', MAX_LAYERS);
  else {
    const cfg = r.obj(topology.config, 'modelTopology.config');
    list = r.arr(cfg.layers, 'modelTopology.config.layers', MAX_LAYERS);
    if (cfg.name !== undefined) modelName = r.str(cfg.name, 'modelTopology.config.name', 256);
    buildInputShape = cfg.build_input_shape;
  }
  const fail = (where: string, message: string): never => r.fail(where, message);
  let inputShape: number[] | undefined;
  const layers: Layer[] = [];
  list.forEach((value, i) => {
    const where = `modelTopology layers[${i}]`;
    const o = r.obj(value, where);
    const className = r.str(o.class_name, `${where}.class_name`, 128);
    const config = keysToCamel(r.obj(o.config ?? {}, `${where}.config`)) as Obj;
    const reader = new ConfigReader(config, `${where}.config`, fail);
    checkFileLayerConfig(reader, className, kerasMajor);
    if (className === 'InputLayer') {
      const shape = reader.layerArgs().inputShape;
      if (!shape) r.fail(`${where}.config`, 'an InputLayer needs batch_input_shape (or batch_shape)');
      if (layers.length > 0 || inputShape) r.fail(where, 'an InputLayer must be the first layer');
      inputShape = shape;
      return;
    }
    const entry = layerEntry(className, fail, `${where}.class_name`);
    let layer: Layer;
    try {
      layer = entry.fromConfig(reader);
    } catch (e) {
      // The reader's failures name the file and key; a layer constructor's own check (Reshape's "at most one
      // -1") throws a plain Error, which gets the file and the layer's config in front here.
      if (e instanceof FormatError) throw e;
      return r.fail(`${where}.config`, (e as Error).message);
    }
    if (!inputShape && layer.declaredInputShape) inputShape = [...layer.declaredInputShape];
    layers.push(layer);
  });
  if (layers.length === 0) r.fail('modelTopology', 'the model has no layers');
  // A Sequential built without an input shape on its first layer records the shape it was built with.
  if (!inputShape && buildInputShape !== undefined && buildInputShape !== null) {
    const config = { batchInputShape: buildInputShape };
    inputShape = new ConfigReader(config, 'modelTopology.config', fail).layerArgs().inputShape;
  }
  if (!inputShape) {
    r.fail('modelTopology.config.layers[0]', 'the first layer has no batch_input_shape, so the input shape is unknown');
  }
  return { modelName, inputShape, layers };
}

/** The weights (name, shape) building `layers` on `inputShape` would create, in order, without allocating. */
export function plannedWeights(r: Reader, layers: Layer[], inputShape: Shape): { name: string; shape: number[] }[] {
  const out: { name: string; shape: number[] }[] = [];
  let shape: Shape = inputShape;
  for (const [i, layer] of layers.entries()) {
    try {
      for (const w of layer.weightSpecs(shape)) out.push({ name: `${layer.name}/${w.name}`, shape: w.shape });
      shape = layer.computeOutputShape(shape);
    } catch (e) {
      r.fail(`modelTopology layers[${i}]`, (e as Error).message);
    }
  }
  return out;
}

/** Total values of planned weights. */
export function plannedSize(weights: { shape: number[] }[]): number {
  return weights.reduce((s, w) => s + shapeSize(w.shape), 0);
}
