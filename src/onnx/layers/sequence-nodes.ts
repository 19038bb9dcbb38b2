/**
 * Graph pieces the sequence-layer exports share: nodes with several outputs and list attributes (ONNX's
 * recurrent ops and TopK, which GraphBuilder.node — one output, scalar attributes — does not write), reductions
 * written for the opset at hand (ReduceMean/ReduceMax take their axes as an input from opset 18), reversing the
 * step axis, and a layer's weights read under their Keras names (also inside wrappers).
 */
import type { Layer } from '../../layers/layer';
import type { Param } from '../../training/contracts';
import type { GraphBuilder } from '../graph';
import { AttributeType, DataType, type AttributeMessage } from '../proto';

/** AttributeProto.AttributeType of the list attributes written here (onnx.proto). */
const FLOATS = 6;
const STRINGS = 8;

/** A node attribute, with the lists the recurrent ops need. */
export type NodeAttribute =
  { int: number } | { float: number } | { string: string } | { floats: number[] } | { strings: string[] };

/** AttributeMessage with the list fields onnx.proto has (protobufjs encodes them by name). */
interface ListAttributeMessage extends AttributeMessage {
  floats?: number[];
  strings?: Uint8Array[];
}

function attribute(name: string, a: NodeAttribute): ListAttributeMessage {
  if ('int' in a) return { name, type: AttributeType.INT, i: a.int };
  if ('float' in a) return { name, type: AttributeType.FLOAT, f: a.float };
  if ('string' in a) return { name, type: AttributeType.STRING, s: new TextEncoder().encode(a.string) };
  if ('floats' in a) return { name, type: FLOATS, floats: [...a.floats] };
  return { name, type: STRINGS, strings: a.strings.map((s) => new TextEncoder().encode(s)) };
}

/**
 * Appends `op(inputs)` whose outputs are named from `outputs` (null: an optional output not wanted, written
 * as ONNX's empty name); returns the names, '' for the unwanted ones. Inputs may be '' (an omitted optional
 * input); trailing omitted inputs are dropped.
 */
export function multiOutputNode(
  g: GraphBuilder,
  op: string,
  inputs: string[],
  outputs: (string | null)[],
  attributes: Record<string, NodeAttribute> = {},
): string[] {
  const names = outputs.map((stem) => (stem === null ? '' : g.uniqueName(stem)));
  const input = [...inputs];
  while (input.length > 0 && input[input.length - 1] === '') input.pop();
  g.nodes.push({
    name: g.uniqueName(`${names.find((n) => n !== '')}/node`),
    opType: op,
    input,
    output: names,
    attribute: Object.entries(attributes).map(([name, a]) => attribute(name, a)),
  });
  return names;
}

/** A 0-D int64 constant (CumSum's axis). */
export function int64Scalar(g: GraphBuilder, stem: string, value: number): string {
  const name = g.uniqueName(stem);
  const data = BigInt64Array.from([BigInt(value)]);
  g.initializers.push({ name, dims: [], dataType: DataType.INT64, rawData: new Uint8Array(data.buffer) });
  return name;
}

/** Reduce<op>(x) over `axes` (full-tensor axes), written as the graph's opset wants it. */
export function reduce(
  g: GraphBuilder,
  op: 'ReduceMean' | 'ReduceMax' | 'ReduceSum',
  x: string,
  axes: number[],
  keepdims: boolean,
  stem: string,
): string {
  const keep = { keepdims: { int: keepdims ? 1 : 0 } };
  // ReduceSum takes its axes as an input from opset 13, ReduceMean and ReduceMax from opset 18.
  if (op === 'ReduceSum' || g.opset >= 18) {
    return g.node(op, [x, g.int64s(`${stem}/axes`, axes)], `${stem}/${op}`, keep);
  }
  return g.node(op, [x], `${stem}/${op}`, { ...keep, axes: { ints: axes } });
}

export const squeeze = (g: GraphBuilder, x: string, axes: number[], stem: string): string =>
  g.node('Squeeze', [x, g.int64s(`${stem}/squeeze_axes`, axes)], `${stem}/Squeeze`);

export const unsqueeze = (g: GraphBuilder, x: string, axes: number[], stem: string): string =>
  g.node('Unsqueeze', [x, g.int64s(`${stem}/unsqueeze_axes`, axes)], `${stem}/Unsqueeze`);

export const cast = (g: GraphBuilder, x: string, to: number, stem: string): string =>
  g.node('Cast', [x], `${stem}/Cast`, { to: { int: to } });

/** ONNX TensorProto.DataType values for Cast (besides FLOAT and INT64 in proto.ts). */
export const ONNX_TYPE = { FLOAT: DataType.FLOAT, INT32: 6, INT64: DataType.INT64, BOOL: 9 } as const;

/** x with axis 1 (the steps of [batch, steps, ...]) in reverse order. */
export function reverseSteps(g: GraphBuilder, x: string, stem: string): string {
  // A negative step with ends = INT64_MIN runs to the first element (ONNX's Slice documentation).
  const starts = g.int64s(`${stem}/reverse_starts`, [-1]);
  const ends = g.int64s(`${stem}/reverse_ends`, [-(2 ** 63)]);
  const axes = g.int64s(`${stem}/reverse_axes`, [1]);
  const steps = g.int64s(`${stem}/reverse_steps`, [-1]);
  return g.node('Slice', [x, starts, ends, axes, steps], `${stem}/reverse_steps`);
}

/**
 * The layer's weight `name` ('kernel'), under the name its model gives it: `<layer>/kernel`, or inside a
 * wrapper its scope's (`bidirectional/forward_lstm/kernel`, `time_distributed/kernel`).
 */
export function layerWeight(layer: Layer, name: string): Param {
  const full = `${layer.weightScope ?? layer.name}/${name}`;
  const p = layer.weights().find((w) => w.name === full);
  if (!p) throw new Error(`ONNX export: layer '${layer.name}' has no weight '${name}' (is the model built?)`);
  return p;
}
