/**
 * bp.exportOnnx(): a built model as an ONNX file that ONNX Runtime (C++, Python, C#, Java, mobile, the
 * browser) and other ONNX tools run. The graph computes what model.predict computes, in float32, with a
 * dynamic batch dimension; each layer is written by its export in the registry (registry.ts), and a layer
 * that has none fails the export with an error naming it. protobufjs encodes the model with the official
 * onnx.proto (proto.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Model } from '../model/model';
import { engineOf } from '../model/engine';
import { atomicWriteFile } from '../io/atomic';
import { VERSION } from '../io/save';
import { GraphBuilder, type OnnxValue } from './graph';
import { DataType, encodeModel, type ValueInfoMessage } from './proto';
import { EXPORTABLE_LAYERS, layerExportFor } from './registry';
import { currentMask, mergedMask, restoreMask, type PendingMask } from './sequence-masks';

/** The default operator set: 17 (ONNX 1.12, ONNX Runtime 1.13 and later). */
export const DEFAULT_OPSET = 17;
/** Opsets the exporter writes: from 13 (Softmax over one axis) to 21. */
export const MIN_OPSET = 13;
export const MAX_OPSET = 21;

export interface OnnxExportOptions {
  /**
   * The ONNX operator set version to write (default 17; 13 to 21). Older runtimes need older opsets; from
   * opset 20, gelu is written with ONNX's Gelu op instead of Erf.
   */
  opset?: number;
}

/** The IR version that goes with an opset (ONNX's versioning table). */
function irVersionFor(opset: number): number {
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  return 10;
}

function checkOptions(options: unknown, method: string): { opset: number } {
  if (options === undefined || options === null) return { opset: DEFAULT_OPSET };
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new Error(`${method}: 'options' must be an object such as { opset: ${DEFAULT_OPSET} }`);
  }
  for (const key of Object.keys(options)) {
    if (key !== 'opset') throw new Error(`${method}: unknown option '${key}'; known: opset`);
  }
  const given = (options as OnnxExportOptions).opset;
  const opset = given === undefined ? DEFAULT_OPSET : given;
  if (typeof opset !== 'number' || !Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new Error(
      `${method}: 'opset' must be an integer from ${MIN_OPSET} to ${MAX_OPSET} (default ${DEFAULT_OPSET}), ` +
        `got ${String(opset)}`,
    );
  }
  return { opset };
}

/**
 * What a caller may add around the model's own graph: an affine input scaling (x − offset) / scale per
 * feature, as the CLI's models were trained on scaled columns, and string metadata (ONNX metadata_props).
 */
export interface OnnxGraphExtras {
  inputScaler?: { offset: number[]; scale: number[] };
  metadata?: Record<string, string>;
}

function scaleInput(g: GraphBuilder, x: OnnxValue, scaler: { offset: number[]; scale: number[] }): OnnxValue {
  const n = x.shape.length === 1 ? x.shape[0] : -1;
  if (scaler.offset.length !== n || scaler.scale.length !== n) {
    throw new Error(`the input scaler has ${scaler.offset.length} columns but the model takes ${x.shape.join('x')}`);
  }
  const offset = g.weight('input_scaler/offset', [n], scaler.offset);
  const scale = g.weight('input_scaler/scale', [n], scaler.scale);
  const centred = g.node('Sub', [x.name, offset], 'input_scaler/Sub');
  return { ...x, name: g.node('Div', [centred, scale], 'input_scaler/Div') };
}

function valueInfo(name: string, shape: readonly number[]): ValueInfoMessage {
  const dim = [{ dimParam: 'batch' }, ...shape.map((d) => ({ dimValue: d }))];
  return { name, type: { tensorType: { elemType: DataType.FLOAT, shape: { dim } } } };
}

/**
 * The ONNX bytes of a built model (nothing written): one ONNX input per model input and one output per model
 * output, `[batch, ...shape]` float32 with `batch` dynamic. A Sequential's input is `<first layer>_input` (as
 * TF.js names it) and its output the last layer's name; a functional model's inputs and outputs take its input
 * and output names. The calls are written in the plan's order; a shared layer's weights once.
 * @example const bytes = onnxModelBytes(model, { opset: 17 });
 */
export function onnxModelBytes(
  model: Model,
  options: OnnxExportOptions = {},
  method = 'exportOnnx()',
  extras: OnnxGraphExtras = {},
): Uint8Array {
  if (!(model instanceof Model)) {
    throw new Error(`${method}: 'model' must be a backprop model (from bp.sequential() or bp.loadLayersModel())`);
  }
  const { opset } = checkOptions(options, method);
  engineOf(model).assertIdle(method);
  model.requireBuilt(method);
  const graph = model.flatGraph();
  const missing = [...new Set(graph.calls.map((c) => c.layer))].filter((l) => !layerExportFor(l.className));
  if (missing.length > 0) {
    const list = missing.map((l) => `'${l.name}' (${l.className})`).join(', ');
    throw new Error(
      `${method}: cannot export layer ${list} to ONNX: no ONNX export for that layer type yet ` +
        `(exportable: ${EXPORTABLE_LAYERS.join(', ')})`,
    );
  }
  if (extras.inputScaler && graph.inputSlots.length !== 1) {
    throw new Error(`${method}: an input scaler needs a model with one input`);
  }
  const g = new GraphBuilder(opset);
  const inputNames = model.isFunctional
    ? model.inputNames.map((n) => g.reserve(n))
    : [g.reserve(`${model.layers[0].name}_input`)];
  const outputNames = model.outputNames.map((n) => g.reserve(inputNames.includes(n) ? `${n}_output` : n));
  const values: OnnxValue[] = [];
  const masks: (PendingMask | undefined)[] = [];
  graph.inputSlots.forEach((slot, i) => {
    let x: OnnxValue = { name: inputNames[i], shape: graph.slotShapes[slot], layout: 'channelsLast' };
    if (extras.inputScaler) x = scaleInput(g, x, extras.inputScaler);
    values[slot] = x;
  });
  for (const c of graph.calls) {
    const layer = c.layer;
    const exp = layerExportFor(layer.className)!;
    try {
      if (layer.multiInput) {
        values[c.output] = exp.writeMany!(
          layer,
          c.inputs.map((s) => values[s]),
          g,
        );
        masks[c.output] = layer.maskFlowMany(c.inputs.map((s) => masks[s] !== undefined))
          ? mergedMask(
              g,
              c.inputs.map((s) => masks[s]),
              layer.name,
            )
          : undefined;
      } else {
        restoreMask(g, masks[c.inputs[0]]);
        values[c.output] = exp.write(layer, values[c.inputs[0]], g);
        masks[c.output] = currentMask(g);
      }
    } catch (e) {
      throw new Error(`${method}: layer '${layer.name}' (${layer.className}): ${(e as Error).message}`);
    }
  }
  graph.outputSlots.forEach((slot, o) => g.output(g.toLayout(values[slot], 'channelsLast'), outputNames[o]));
  return encodeModel({
    irVersion: irVersionFor(opset),
    opsetImport: [{ domain: '', version: opset }],
    producerName: 'backprop',
    producerVersion: VERSION,
    docString: `model '${model.name}' exported by backprop ${VERSION}`,
    metadataProps: Object.entries(extras.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: model.name,
      node: g.nodes,
      initializer: g.initializers,
      input: graph.inputSlots.map((slot, i) => valueInfo(inputNames[i], graph.slotShapes[slot])),
      output: graph.outputSlots.map((slot, o) => valueInfo(outputNames[o], graph.slotShapes[slot])),
    },
  });
}

function resolveFile(target: unknown, method: string): string {
  if (typeof target !== 'string' || target.length === 0) {
    throw new Error(`${method}: 'path' must be a file path (or file:// URL) such as 'model.onnx', got ${target}`);
  }
  const file = path.resolve(target.startsWith('file://') ? fileURLToPath(target) : target);
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) {
    throw new Error(`${method}: '${target}' is a directory; give the path of the .onnx file to write`);
  }
  return file;
}

/**
 * Writes the model as an ONNX file (atomically: a crash leaves the old file or the new one) and resolves
 * with its bytes. The model must be built; every layer must have an ONNX export (src/onnx/registry.ts lists
 * them), else the error names the layer and lists the layer types that have one.
 * @example
 * await bp.exportOnnx(model, 'model.onnx');              // opset 17
 * const bytes = await bp.exportOnnx(model, 'model.onnx', { opset: 20 });
 */
export async function exportOnnx(model: Model, file: string, options: OnnxExportOptions = {}): Promise<Uint8Array> {
  const method = 'exportOnnx()';
  const target = resolveFile(file, method);
  const bytes = onnxModelBytes(model, options, method);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  atomicWriteFile(target, bytes);
  return bytes;
}
