/**
 * Merge layers → ONNX: Add → Sum, Subtract → Sub, Multiply → Mul (chained), Average → Mean, Maximum → Max,
 * Minimum → Min, Concatenate → Concat, Dot → MatMul (with Transpose/Unsqueeze/Reshape around it, and the L2
 * normalisation of `normalize` written as x / sqrt(max(Σx², 1e-12))). Inputs are taken channels-last. ONNX
 * broadcasts full shapes aligned at the last axis, so a lower-rank input is first unsqueezed after its batch axis,
 * as TF.js does: the per-sample shapes then broadcast as the layer does.
 */
import { Add, Average, Maximum, Minimum, Multiply, Subtract } from '../../layers/elementwise-merge';
import { Concatenate } from '../../layers/concatenate';
import { Dot } from '../../layers/dot';
import type { MergeLayer } from '../../layers/merge-layer';
import type { GraphBuilder, OnnxValue } from '../graph';
import { mergeExport } from '../layer-export';

/** The inputs channels-last, each unsqueezed after the batch axis up to the output's rank. */
function aligned(g: GraphBuilder, layer: MergeLayer, xs: OnnxValue[]): string[] {
  const rank = layer.outputShape!.length;
  return xs.map((v) => {
    const x = g.toLayout(v, 'channelsLast');
    const missing = rank - x.shape.length;
    if (missing === 0) return x.name;
    const axes = g.int64s(
      `${layer.name}/unsqueeze_axes`,
      Array.from({ length: missing }, (_, i) => i + 1),
    );
    return g.node('Unsqueeze', [x.name, axes], `${layer.name}/Unsqueeze`);
  });
}

function elementwise<L extends MergeLayer>(
  className: string,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  type: abstract new (...args: any[]) => L,
  op: 'Sum' | 'Sub' | 'Mul' | 'Mean' | 'Max' | 'Min',
) {
  return mergeExport(className, type, (layer, xs, g) => {
    const names = aligned(g, layer, xs);
    // Sub and Mul take two inputs: a longer list is chained in order, as the layer combines them.
    const name =
      op === 'Sub' || op === 'Mul'
        ? names.reduce((a, b) => g.node(op, [a, b], `${layer.name}/${op}`))
        : g.node(op, names, `${layer.name}/${op}`);
    return { name, shape: layer.outputShape!, layout: 'channelsLast' };
  });
}

export const addExport = elementwise('Add', Add, 'Sum');
export const subtractExport = elementwise('Subtract', Subtract, 'Sub');
export const multiplyExport = elementwise('Multiply', Multiply, 'Mul');
export const averageExport = elementwise('Average', Average, 'Mean');
export const maximumExport = elementwise('Maximum', Maximum, 'Max');
export const minimumExport = elementwise('Minimum', Minimum, 'Min');

export const concatenateExport = mergeExport('Concatenate', Concatenate, (layer, xs, g) => {
  const rank = layer.outputShape!.length;
  const axis = layer.axis < 0 ? rank + 1 + layer.axis : layer.axis;
  const names = xs.map((v) => g.toLayout(v, 'channelsLast').name);
  const name = g.node('Concat', names, `${layer.name}/Concat`, { axis: { int: axis } });
  return { name, shape: layer.outputShape!, layout: 'channelsLast' };
});

/** x / sqrt(max(Σ x², 1e-12)) along full-tensor `axis` (Keras' l2_normalize). */
function l2Normalize(g: GraphBuilder, x: string, axis: number, stem: string): string {
  const squares = g.node('Mul', [x, x], `${stem}/square`);
  const sum = g.node('ReduceSum', [squares, g.int64s(`${stem}/axes`, [axis])], `${stem}/sum_squares`, {
    keepdims: { int: 1 },
  });
  const floor = g.node('Max', [sum, g.scalar(`${stem}/epsilon`, 1e-12)], `${stem}/max_eps`);
  return g.node('Div', [x, g.node('Sqrt', [floor], `${stem}/norm`)], `${stem}/normalized`);
}

export const dotExport = mergeExport('Dot', Dot, (layer, xs, g) => {
  const [a, b] = xs.map((v) => g.toLayout(v, 'channelsLast'));
  const axisOf = (i: number, rank: number) => {
    const ax = layer.axes[i];
    return ax < 0 ? rank + 1 + ax : ax;
  };
  const ra = a.shape.length,
    rb = b.shape.length;
  const axA = axisOf(0, ra),
    axB = axisOf(1, rb);
  let an = a.name,
    bn = b.name;
  if (layer.normalize) {
    an = l2Normalize(g, an, axA, `${layer.name}/normalize_a`);
    bn = l2Normalize(g, bn, axB, `${layer.name}/normalize_b`);
  }
  // As batched matrices: a as [batch, m, k] (contracted axis last), b as [batch, k, n] (contracted axis first).
  if (ra === 1) an = g.node('Unsqueeze', [an, g.int64s(`${layer.name}/axes_a`, [1])], `${layer.name}/a_row`);
  else if (axA === 1) an = g.node('Transpose', [an], `${layer.name}/a_t`, { perm: { ints: [0, 2, 1] } });
  if (rb === 1) bn = g.node('Unsqueeze', [bn, g.int64s(`${layer.name}/axes_b`, [2])], `${layer.name}/b_col`);
  else if (axB === 2) bn = g.node('Transpose', [bn], `${layer.name}/b_t`, { perm: { ints: [0, 2, 1] } });
  const product = g.node('MatMul', [an, bn], `${layer.name}/MatMul`);
  const shape = g.int64s(`${layer.name}/shape`, [-1, ...layer.outputShape!]);
  const name = g.node('Reshape', [product, shape], `${layer.name}/Reshape`);
  return { name, shape: layer.outputShape!, layout: 'channelsLast' };
});
