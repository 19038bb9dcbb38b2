/**
 * Building an ONNX graph: nodes in order, initializers (the weights, under their Keras names), unique value
 * names, and the layout of each value.
 *
 * Layout: backprop (like Keras and TF.js) keeps channels last ([batch, ...spatial, channels]); ONNX's
 * convolution, pooling and normalisation ops want channels first ([batch, channels, ...spatial]). A value
 * records which one it is in (`OnnxValue.layout`), its per-sample shape always in Keras order. A layer's
 * export asks for the layout it needs with `toLayout`, which transposes only when the value is in the other
 * one; layouts that do not care (elementwise activations, dropout) pass the value on as it is. A stack of
 * channels-first layers is thus transposed once on the way in and once on the way out (the graph's edges),
 * not around every op.
 */
import type { Shape } from '../layers/shape';
import { AttributeType, DataType, type AttributeMessage, type NodeMessage, type TensorMessage } from './proto';

export type Layout = 'channelsLast' | 'channelsFirst';

/** A tensor of the graph: its name, per-sample shape in Keras (channels-last) order, and its layout. */
export interface OnnxValue {
  readonly name: string;
  readonly shape: Shape;
  readonly layout: Layout;
}

/** A node attribute, typed as ONNX stores it. */
export type Attribute = { float: number } | { int: number } | { ints: number[] } | { string: string };

export class GraphBuilder {
  readonly nodes: NodeMessage[] = [];
  readonly initializers: TensorMessage[] = [];
  private readonly names = new Set<string>();

  /** `opset`: the ONNX operator set version the graph is written for (exports may choose ops by it). */
  constructor(readonly opset: number) {}

  /** `stem`, or `stem_1`, `stem_2`... : a name no value or node of the graph has yet. */
  uniqueName(stem: string): string {
    let name = stem;
    for (let n = 1; this.names.has(name); n++) name = `${stem}_${n}`;
    this.names.add(name);
    return name;
  }

  /** A float32 initializer (a layer's weight, under its Keras name such as 'dense_1/kernel'); returns its name. */
  weight(name: string, dims: number[], values: ArrayLike<number>): string {
    const data = Float32Array.from(values);
    return this.initializer(name, dims, DataType.FLOAT, new Uint8Array(data.buffer));
  }

  /** A float32 scalar constant. */
  scalar(stem: string, value: number): string {
    return this.weight(stem, [], [value]);
  }

  /** An int64 vector constant (shapes for Reshape). */
  int64s(stem: string, values: number[]): string {
    const data = BigInt64Array.from(values, (v) => BigInt(v));
    return this.initializer(stem, [values.length], DataType.INT64, new Uint8Array(data.buffer));
  }

  private initializer(stem: string, dims: number[], dataType: number, bytes: Uint8Array): string {
    // ONNX raw_data is little-endian; typed arrays are in the machine's order.
    if (!LITTLE_ENDIAN) throw new Error('ONNX export needs a little-endian machine');
    const name = this.uniqueName(stem);
    this.initializers.push({ name, dims: [...dims], dataType, rawData: bytes });
    return name;
  }

  /**
   * Appends a node `op(inputs)` with one output, named from `stem` (e.g. 'dense_1/MatMul'); returns the
   * output's name. Nodes must be added in execution order.
   */
  node(op: string, inputs: string[], stem: string, attributes: Record<string, Attribute> = {}): string {
    const output = this.uniqueName(stem);
    this.nodes.push({
      name: output,
      opType: op,
      input: inputs,
      output: [output],
      attribute: Object.entries(attributes).map(([name, a]) => attributeMessage(name, a)),
    });
    return output;
  }

  /** `value` in `layout`: itself when already so (or when layouts coincide: rank 1), else through a Transpose. */
  toLayout(value: OnnxValue, layout: Layout, stem = value.name): OnnxValue {
    const rank = value.shape.length;
    if (value.layout === layout || rank < 2) return { ...value, layout };
    // Full-tensor axes: 0 is the batch; channels are axis `rank` when last, axis 1 when first.
    const perm =
      layout === 'channelsFirst'
        ? [0, rank, ...Array.from({ length: rank - 1 }, (_, i) => i + 1)]
        : [0, ...Array.from({ length: rank - 1 }, (_, i) => i + 2), 1];
    const name = this.node('Transpose', [value.name], `${stem}/to_${layout}`, { perm: { ints: perm } });
    return { name, shape: value.shape, layout };
  }

  /** Claims `name` (the graph's input and output names) before any node could take it. */
  reserve(name: string): string {
    if (this.names.has(name)) throw new Error(`ONNX export: the name '${name}' is already taken in the graph`);
    this.names.add(name);
    return name;
  }

  /**
   * Makes `value` the graph output `name` (claimed with reserve): the node that produced it is renamed when
   * nothing else reads its output, else an Identity is added (also for a value no node produced: the input).
   */
  output(value: OnnxValue, name: string): void {
    const producer = this.nodes.find((n) => n.output[0] === value.name);
    if (producer && !this.nodes.some((n) => n.input.includes(value.name))) {
      producer.output[0] = name;
      producer.name = name;
      return;
    }
    this.nodes.push({ name, opType: 'Identity', input: [value.name], output: [name], attribute: [] });
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function attributeMessage(name: string, a: Attribute): AttributeMessage {
  if ('float' in a) return { name, type: AttributeType.FLOAT, f: a.float };
  if ('int' in a) return { name, type: AttributeType.INT, i: a.int };
  if ('ints' in a) return { name, type: AttributeType.INTS, ints: [...a.ints] };
  return { name, type: AttributeType.STRING, s: new TextEncoder().encode(a.string) };
}
