/**
 * The topology of a functional model: the graph nodes between its inputs and outputs, in a canonical order.
 *
 * The order follows TF.js's Container (tfjs-layers engine/container.ts): a depth-first walk from the outputs, in
 * order, visiting each node's inputs in argument order, gives every node and layer a traversal index; a node's
 * depth is its longest distance to an output (a shared layer takes the deepest of its calls); nodes run from
 * the deepest to depth 0, and `layers` lists the layers the same way, ties broken by traversal index. TF.js
 * breaks ties between nodes by creation order; we use the traversal index there too, so the order — and with
 * it weight initialisation, dropout draws and resumed runs — depends only on the graph, never on the order
 * the user happened to call `apply` in. The walk is iterative: a 10,000-layer chain must not overflow the stack.
 */
import { GraphNode, type SymbolicTensor } from '../autodiff/symbolic';
import type { Layer } from '../layers/layer';

export interface Topology {
  /** Nodes to run, in execution order (InputLayer nodes included). */
  nodes: GraphNode[];
  /** Layers in TF.js order (InputLayers of the model's inputs first at their depth). */
  layers: Layer[];
}

/** Most nodes a topology may hold (the model-file cap is 10,000 layers; shared layers add calls). */
export const MAX_NODES = 100_000;

/**
 * Orders the graph between `inputs` and `outputs`; throws, naming the tensor and layer, when an output depends
 * on something that is not one of the inputs (a disconnected graph) or on itself (a cycle).
 */
export function orderTopology(inputs: readonly SymbolicTensor[], outputs: readonly SymbolicTensor[]): Topology {
  const postOrder: GraphNode[] = [];
  const nodeIndex = new Map<GraphNode, number>();
  const layerIndex = new Map<Layer, number>();
  const state = new Map<GraphNode, 'active' | 'done'>();
  for (const out of outputs) {
    const stack: { node: GraphNode; next: number }[] = [{ node: out.node, next: 0 }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const { node } = top;
      if (top.next === 0) {
        const s = state.get(node);
        if (s === 'done') {
          stack.pop();
          continue;
        }
        if (s === 'active') throw new Error(`the graph has a cycle through ${describeNode(node)}`);
        state.set(node, 'active');
        const layer = node.callee as Layer;
        if (!layerIndex.has(layer)) layerIndex.set(layer, layerIndex.size);
      }
      if (top.next < node.inputs.length) {
        const child = node.inputs[top.next++].node;
        const s = state.get(child);
        if (s === 'active') throw new Error(`the graph has a cycle through ${describeNode(child)}`);
        if (s !== 'done') stack.push({ node: child, next: 0 });
        continue;
      }
      state.set(node, 'done');
      nodeIndex.set(node, postOrder.length);
      postOrder.push(node);
      if (postOrder.length > MAX_NODES) throw new Error(`the graph has more than ${MAX_NODES} calls`);
      stack.pop();
    }
  }

  // Depths, from the outputs (depth 0) towards the inputs, in reverse post-order (every consumer first).
  const nodeDepth = new Map<GraphNode, number>();
  const layerDepth = new Map<Layer, number>();
  for (let i = postOrder.length - 1; i >= 0; i--) {
    const node = postOrder[i];
    const layer = node.callee as Layer;
    const depth = Math.max(nodeDepth.get(node) ?? 0, layerDepth.get(layer) ?? 0);
    layerDepth.set(layer, depth);
    nodeDepth.set(node, depth);
    for (const x of node.inputs) nodeDepth.set(x.node, Math.max(depth + 1, nodeDepth.get(x.node) ?? 0));
  }
  const nodes = [...postOrder].sort(
    (a, b) => nodeDepth.get(b)! - nodeDepth.get(a)! || nodeIndex.get(a)! - nodeIndex.get(b)!,
  );
  const layers = [...layerDepth.keys()].sort(
    (a, b) => layerDepth.get(b)! - layerDepth.get(a)! || layerIndex.get(a)! - layerIndex.get(b)!,
  );

  // Every tensor a node reads must be computable from the inputs: the model's own inputs, then node outputs.
  const computable = new Set<SymbolicTensor>(inputs);
  for (const node of nodes) {
    if (node.inputs.length === 0 && !node.outputs.every((t) => computable.has(t))) {
      throw new Error(
        `the graph is disconnected: ${node.outputs[0].name} (from ${describeNode(node)}) is needed to compute ` +
          `the outputs but is not one of the model's inputs; add it to 'inputs'`,
      );
    }
    for (const x of node.inputs) {
      if (!computable.has(x)) {
        throw new Error(`the graph is disconnected: cannot compute ${x.name}, an input of ${describeNode(node)}`);
      }
    }
    for (const t of node.outputs) computable.add(t);
  }
  for (const x of inputs) {
    if (!state.has(x.node)) {
      throw new Error(`input ${x.name} is not used to compute any output; remove it from 'inputs' or connect it`);
    }
  }
  return { nodes, layers };
}

function describeNode(node: GraphNode): string {
  return `${node.callee.className} '${node.callee.name || '(unnamed)'}'`;
}
