/**
 * What the ONNX exporter knows of one layer class: how to write the layer as ONNX nodes. Each export is a
 * small function in src/onnx/layers/, registered by TF.js class name in src/onnx/registry.ts.
 */
import type { Layer } from '../layers/layer';
import type { GraphBuilder, OnnxValue } from './graph';

export interface LayerExport {
  /** TF.js class name ('Dense'), as the layer registry knows it. */
  readonly className: string;
  /**
   * Appends the layer's nodes to `g`, reading its input `x`, and returns its output: a value whose per-sample
   * shape is the layer's outputShape (Keras order) in whatever layout the layer leaves it (see graph.ts).
   */
  write(layer: Layer, x: OnnxValue, g: GraphBuilder): OnnxValue;
  /** For layers taking several inputs (merge layers): appends the nodes reading `xs`, returns the output. */
  writeMany?(layer: Layer, xs: OnnxValue[], g: GraphBuilder): OnnxValue;
}

/**
 * A LayerExport for layers of class `type`, whose `write` gets the layer typed as that class.
 * @example export const dropoutExport = layerExport('Dropout', Dropout, (_layer, x) => x);
 */
export function layerExport<L extends Layer>(
  className: string,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  type: abstract new (...args: any[]) => L,
  write: (layer: L, x: OnnxValue, g: GraphBuilder) => OnnxValue,
): LayerExport {
  return {
    className,
    write(layer, x, g) {
      if (!(layer instanceof type)) throw new Error(`ONNX export: layer '${layer.name}' is not a ${className}`);
      return write(layer, x, g);
    },
  };
}

/**
 * A LayerExport for a layer taking several inputs (a merge layer).
 * @example export const addExport = mergeExport('Add', Add, (layer, xs, g) => ...);
 */
export function mergeExport<L extends Layer>(
  className: string,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  type: abstract new (...args: any[]) => L,
  writeMany: (layer: L, xs: OnnxValue[], g: GraphBuilder) => OnnxValue,
): LayerExport {
  return {
    className,
    write(layer) {
      throw new Error(`ONNX export: layer '${layer.name}' (${className}) takes a list of inputs`);
    },
    writeMany(layer, xs, g) {
      if (!(layer instanceof type)) throw new Error(`ONNX export: layer '${layer.name}' is not a ${className}`);
      return writeMany(layer, xs, g);
    },
  };
}

/** Weights already written, per graph, by name: a shared layer's weights appear once. */
const WRITTEN = new WeakMap<GraphBuilder, Map<string, string>>();

/**
 * The layer's weight `name` ('kernel') as an initializer under its Keras name ('dense_1/kernel'; inside a
 * wrapper, its scope's: 'time_distributed/kernel'). A layer called several times writes it once.
 */
export function weightInitializer(g: GraphBuilder, layer: Layer, name: string): string {
  const full = `${layer.weightScope ?? layer.name}/${name}`;
  let written = WRITTEN.get(g);
  if (!written) {
    written = new Map();
    WRITTEN.set(g, written);
  }
  const known = written.get(full);
  if (known) return known;
  const p = layer.weights().find((w) => w.name === full);
  if (!p) throw new Error(`ONNX export: layer '${layer.name}' has no weight '${name}' (is the model built?)`);
  const initializer = g.weight(full, p.shape, p.value);
  written.set(full, initializer);
  return initializer;
}
