/**
 * Writing a model's topology as TF.js writes it (tfjs-layers engine/container.ts getConfig), so `tf.loadLayersModel`
 * reads it: a Sequential as `{ class_name: 'Sequential', config: { name, layers } }`; a functional model as
 * `{ class_name: 'Model', config: { name, layers, input_layers, output_layers } }` with its InputLayers listed and
 * each layer's calls in Keras-2 `inbound_nodes` lists (`[[name, nodeIndex, tensorIndex, {}], ...]` per call). Node
 * indices count only the calls that belong to this model; a nested model's count from 1 (Keras and TF.js give a
 * model a node of its own first). A layer a registry entry writes as several (Dense with leakyRelu → Dense +
 * LeakyReLU) becomes a chain, and what read its output reads the chain's last layer.
 */
import type { GraphNode, SymbolicTensor } from '../autodiff/symbolic';
import { activationToFile } from '../backend/activations';
import type { Layer } from '../layers/layer';
import { InputLayer } from '../layers/input-layer';
import type { LayerJson } from '../layers/layer-entry';
import { layerToFile } from '../layers/registry';
import { Model } from '../model/model';
import { keysToSnake } from './case';

type NodeRef = [string, number, number];

/** `{ class_name, config }` of a model, snake_case keys, as a layer entry of an outer model (or the top level). */
export function modelConfigOf(model: Model): { class_name: string; config: Record<string, unknown> } {
  return model.isFunctional
    ? { class_name: 'Model', config: functionalConfig(model) }
    : { class_name: 'Sequential', config: sequentialConfig(model) };
}

/** A layer's file form(s): its registry entry's, with activation names as Keras writes them. */
function filed(layer: Layer): LayerJson[] {
  if (layer instanceof InputLayer) return [{ className: 'InputLayer', config: layer.getConfig() }];
  return layerToFile(layer).map((json) => {
    const config: Record<string, unknown> = { ...json.config };
    if (typeof config.activation === 'string') config.activation = activationToFile(config.activation);
    return { className: json.className, config };
  });
}

function sequentialConfig(model: Model): Record<string, unknown> {
  const inputShape = model.inputShape!;
  const layers = model.layers.flatMap((layer, i) => {
    if (layer instanceof Model) {
      const nested = modelConfigOf(layer);
      return [{ class_name: nested.class_name, config: nested.config }];
    }
    return filed(layer).map((json, j) => {
      const first = i === 0 && j === 0;
      const config = first ? { batchInputShape: [null, ...inputShape], dtype: 'float32', ...json.config } : json.config;
      return { class_name: json.className, config: keysToSnake(config) };
    });
  });
  return { name: model.name, layers };
}

function functionalConfig(model: Model): Record<string, unknown> {
  const own = new Set<GraphNode>(model.graphNodes());
  // Per layer: which of its calls are this model's, renumbered (a nested model's from 1).
  const index = new Map<GraphNode, number>();
  for (const layer of model.layers) {
    let kept = layer instanceof Model ? 1 : 0;
    for (const node of layer.inboundNodes) if (own.has(node)) index.set(node, kept++);
  }
  // Where a layer written as a chain delivers its output: the chain's last layer.
  const outputName = new Map<Layer, string>();
  const entries: Record<string, unknown>[] = [];
  const ref = (t: SymbolicTensor): NodeRef => {
    const layer = t.node.callee as Layer;
    return [outputName.get(layer) ?? layer.name, index.get(t.node) ?? 0, t.index];
  };
  for (const layer of model.layers) {
    const calls = layer.inboundNodes.filter((n) => own.has(n) && n.inputs.length > 0);
    if (layer instanceof Model) {
      const nested = modelConfigOf(layer);
      entries.push({ ...nodeEntry(layer.name, nested.class_name, nested.config), calls });
      continue;
    }
    const forms = filed(layer);
    forms.forEach((json, j) => {
      const name = j === 0 ? layer.name : String(json.config.name);
      entries.push({
        ...nodeEntry(name, json.className, keysToSnake(json.config) as Record<string, unknown>),
        // The chain's later layers read the previous one, call by call.
        calls:
          j === 0 ? calls : calls.map((_, k) => ({ chained: [String(forms[j - 1].config.name ?? layer.name), k] })),
      });
    });
    if (forms.length > 1) outputName.set(layer, String(forms[forms.length - 1].config.name));
  }
  const layers = entries.map((e) => {
    const { calls, ...rest } = e as { calls: (GraphNode | { chained: [string, number] })[] };
    const inbound = calls.map((c) => {
      if ('chained' in c) {
        const [name, k] = c.chained;
        return [[name, k, 0, {}]];
      }
      return c.inputs.map((t) => [...ref(t), {}]);
    });
    return { ...rest, inbound_nodes: inbound };
  });
  return {
    name: model.name,
    layers,
    input_layers: model.inputs.map(ref),
    output_layers: model.outputs.map(ref),
  };
}

function nodeEntry(name: string, className: string, config: Record<string, unknown>) {
  return { name, class_name: className, config };
}
