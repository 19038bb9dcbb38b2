/**
 * The ONNX file format: the official `onnx.proto` (vendored unmodified in proto/onnx/ with its license),
 * loaded once with protobufjs, which does all the encoding. This module gives the message shapes the
 * exporter fills in (protobufjs's camelCase field names) and encodes and decodes whole models.
 */
import * as path from 'node:path';
import * as protobuf from 'protobufjs';

/** proto/onnx/onnx.proto, from src/onnx (ts-jest) and from dist/onnx (the package) alike. */
const PROTO_FILE = path.join(__dirname, '..', '..', 'proto', 'onnx', 'onnx.proto');

/** TensorProto.DataType values the exporter writes. */
export const DataType = { FLOAT: 1, INT64: 7 } as const;

/** AttributeProto.AttributeType values the exporter writes. */
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, INTS: 7 } as const;

export interface TensorMessage {
  name: string;
  dims: number[];
  dataType: number;
  /** Little-endian values (float32 or int64), as ONNX's raw_data. */
  rawData: Uint8Array;
}

export interface AttributeMessage {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  ints?: number[];
}

export interface NodeMessage {
  name: string;
  opType: string;
  input: string[];
  output: string[];
  attribute: AttributeMessage[];
}

/** One dimension: a size, or a name for a size known only at run time ('batch'). */
export type DimMessage = { dimValue: number } | { dimParam: string };

export interface ValueInfoMessage {
  name: string;
  type: { tensorType: { elemType: number; shape: { dim: DimMessage[] } } };
}

export interface GraphMessage {
  name: string;
  node: NodeMessage[];
  initializer: TensorMessage[];
  input: ValueInfoMessage[];
  output: ValueInfoMessage[];
  docString?: string;
}

export interface ModelMessage {
  irVersion: number;
  opsetImport: { domain: string; version: number }[];
  producerName: string;
  producerVersion: string;
  docString?: string;
  /** Free-form key/value strings (ONNX metadata_props). */
  metadataProps?: { key: string; value: string }[];
  graph: GraphMessage;
}

let modelType: protobuf.Type | undefined;

/** onnx.ModelProto, loaded from the vendored schema on first use. */
function modelProto(): protobuf.Type {
  if (!modelType) {
    let root: protobuf.Root;
    try {
      root = protobuf.loadSync(PROTO_FILE);
    } catch (e) {
      throw new Error(`ONNX: cannot read the ONNX schema ${PROTO_FILE} (is the package complete?): ${String(e)}`);
    }
    modelType = root.lookupType('onnx.ModelProto');
  }
  return modelType;
}

/** The protobuf bytes of a model (checked against the schema first). */
export function encodeModel(model: ModelMessage): Uint8Array {
  const type = modelProto();
  const problem = type.verify(model);
  if (problem) throw new Error(`ONNX: the exported model does not fit onnx.ModelProto: ${problem}`);
  // A copy: protobufjs may hand back a Buffer on Node's shared pool, whose .buffer holds other data too.
  return new Uint8Array(type.encode(type.fromObject(model)).finish());
}

/**
 * A model's bytes decoded back into plain objects (int64 values as numbers, bytes as Buffers, enums as
 * numbers), for tests and tools that inspect an exported file.
 * @example decodeModel(bytes).graph.input[0].name // 'dense_Dense1_input'
 */
export function decodeModel(bytes: Uint8Array): ModelMessage {
  const type = modelProto();
  return type.toObject(type.decode(bytes), { longs: Number, defaults: false, arrays: true }) as ModelMessage;
}
