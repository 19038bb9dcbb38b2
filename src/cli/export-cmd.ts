/**
 * `backprop export`: a saved model as an ONNX file (and, if asked, its weights as safetensors). A model trained
 * by `backprop train` on a CSV scaled its feature columns: the ONNX graph then starts with that scaling, so it
 * takes the raw columns as `backprop predict` does, and its metadata names the features and classes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as bp from '../index';
import { DEFAULT_OPSET, onnxModelBytes, type OnnxGraphExtras } from '../onnx/export';
import { decodeModel } from '../onnx/proto';
import { atomicWriteFile } from '../io/atomic';
import { fail, intOption } from './errors';
import { checkOutputFile } from './paths';
import { checkPathsApart, type PathArg } from './distinct-paths';
import { resolveDir } from '../io/save';
import type { Preprocessing } from './dataset';

export interface ExportOptions {
  model: string;
  onnx?: string;
  opset?: string;
  safetensors?: string;
  json?: boolean;
}

/** The CLI's preprocessing record as ONNX extras (nothing for models not trained by the CLI). */
function extrasOf(model: bp.Sequential): OnnxGraphExtras {
  const pre = model.metadata.preprocessing as Preprocessing | undefined;
  if (!pre || typeof pre !== 'object') return {};
  const metadata: Record<string, string> = {};
  if (Array.isArray(pre.featureNames)) metadata['backprop.features'] = JSON.stringify(pre.featureNames);
  if (Array.isArray(pre.classes)) metadata['backprop.classes'] = JSON.stringify(pre.classes);
  if (typeof pre.targetName === 'string') metadata['backprop.target'] = pre.targetName;
  if (!pre.scaler) return { metadata };
  // Checked as evaluate/predict check it: a corrupt scaler fails here, not as NaNs in the graph.
  const scaler = bp.data.Scaler.fromJSON(pre.scaler);
  return { metadata, inputScaler: { offset: Array.from(scaler.offset), scale: Array.from(scaler.scale) } };
}

const dims = (shape: readonly number[]) => `[batch, ${shape.join(', ')}]`;

export async function exportCommand(o: ExportOptions): Promise<void> {
  if (!o.onnx && !o.safetensors) fail('give --onnx <file.onnx> (and/or --safetensors <file>)');
  const opset = intOption('opset', o.opset, 1, DEFAULT_OPSET);
  if (o.onnx !== undefined) checkOutputFile('--onnx', o.onnx);
  if (o.safetensors !== undefined) checkOutputFile('--safetensors', o.safetensors);
  if (!o.model) fail('--model <dir> is required');
  if (!fs.existsSync(o.model)) fail(`--model ${o.model}: no such model directory`);
  const outputs: PathArg[] = [];
  if (o.onnx !== undefined) outputs.push({ flag: '--onnx', path: o.onnx });
  if (o.safetensors !== undefined) outputs.push({ flag: '--safetensors', path: o.safetensors });
  checkPathsApart({ inputs: [{ flag: '--model', path: resolveDir(o.model, '--model') }], outputFiles: outputs });
  const model = await bp.loadLayersModel(o.model);
  const result: Record<string, unknown> = {};
  const lines: string[] = [];
  if (o.onnx) {
    const extras = extrasOf(model);
    const bytes = onnxModelBytes(model, { opset }, 'backprop export', extras);
    fs.mkdirSync(path.dirname(path.resolve(o.onnx)), { recursive: true });
    atomicWriteFile(o.onnx, bytes);
    const graph = decodeModel(bytes).graph;
    const input = { name: graph.input[0].name, shape: [null, ...model.inputShape!] };
    const output = { name: graph.output[0].name, shape: [null, ...model.outputShape!] };
    result.onnx = { path: o.onnx, bytes: bytes.byteLength, opset, input, output, scaled: !!extras.inputScaler };
    lines.push(
      `wrote ${o.onnx} (ONNX opset ${opset}, ${bytes.byteLength} bytes): input '${input.name}' ` +
        `${dims(model.inputShape!)}${extras.inputScaler ? ' (raw features, scaled inside)' : ''}, ` +
        `output '${output.name}' ${dims(model.outputShape!)}`,
    );
  }
  if (o.safetensors) {
    const saved = await bp.io.saveSafetensors(model, o.safetensors);
    result.safetensors = { path: o.safetensors, bytes: saved.bytes };
    lines.push(`wrote ${o.safetensors} (safetensors, ${saved.bytes} bytes, ${model.weights().length} tensors)`);
  }
  process.stdout.write(o.json ? `${JSON.stringify(result)}\n` : `${lines.join('\n')}\n`);
}
