/**
 * A fresh copy of a model's structure: the same layers (by config, through the registry), connected the same
 * way, in another dtype if asked; shared layers stay shared and nested models are copied too. Weights are copied
 * when asked. gradcheck checks a float64 copy; nothing of the original is touched.
 */
import type { DType } from '../backend/ops';
import type { SymbolicTensor } from '../autodiff/symbolic';
import { cloneLayer } from '../layers/registry';
import { InputLayer } from '../layers/input-layer';
import type { Layer } from '../layers/layer';
import { Model } from './model';

export interface CloneOptions {
  dtype?: DType;
  /** Copy the weight values (default true). */
  weights?: boolean;
}

export function cloneModel(model: Model, options: CloneOptions = {}): Model {
  const dtype = options.dtype ?? model.dtype;
  const copy = cloneStructure(model, dtype, new Map());
  if (options.weights !== false && model.built) {
    const from = model.weights();
    copy.weights().forEach((p, i) => p.value.set(from[i].value));
  }
  return copy;
}

function cloneStructure(model: Model, dtype: DType, layers: Map<Layer, Layer>): Model {
  if (!model.isFunctional) {
    const copy = new Model({ dtype, seed: model.seed, name: model.name });
    for (const l of model.layers) copy.add(l instanceof Model ? cloneStructure(l, dtype, layers) : cloneLayer(l));
    if (model.built) copy.build(model.inputShapes[0]);
    return copy;
  }
  const tensors = new Map<SymbolicTensor, SymbolicTensor>();
  const inputs = model.inputs.map((t) => {
    const old = t.node.callee as InputLayer;
    const input = new InputLayer({ shape: [...old.sampleShape], dtype: old.inputDtype, name: old.name });
    const out = input.output as SymbolicTensor;
    tensors.set(t, out);
    return out;
  });
  for (const node of model.graphNodes()) {
    if (node.inputs.length === 0) continue;
    const callee = node.callee as Layer;
    let layer = layers.get(callee);
    if (!layer) {
      layer = callee instanceof Model ? cloneStructure(callee, dtype, layers) : cloneLayer(callee);
      layers.set(callee, layer);
    }
    const ins = node.inputs.map((t) => tensors.get(t)!);
    const arg = node.listCall ? ins : ins[0];
    const outs = layer instanceof Model ? layer.applyModel(arg) : [layer.apply(arg)];
    node.outputs.forEach((t, i) => tensors.set(t, outs[i]));
  }
  return new Model({
    inputs: inputs,
    outputs: model.outputs.map((t) => tensors.get(t)!),
    dtype,
    seed: model.seed,
    name: model.name,
  });
}
