/**
 * bp.io.saveSafetensors / bp.io.loadSafetensors: a model's weights in the safetensors format, under the names
 * Keras and TF.js give them ('dense_1/kernel', 'dense_1/bias'), kernels in Keras' [in, out] layout.
 *
 * Loading follows the rules of the model.json loader (load.ts): only a regular file, opened without following
 * links and read through its descriptor; its size checked against a cap, the header length against the file
 * and a fixed limit, and every header entry against the model (names, shapes, dtypes) before the data is
 * read; nothing in the model changes unless the whole file is valid.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Model } from '../model/model';
import { engineOf } from '../model/engine';
import { formatShape } from '../layers/shape';
import { atomicWriteFile } from './atomic';
import { DEFAULT_MAX_WEIGHT_BYTES } from './load-options';
import { openRegularFile, type OpenedFile } from './read-files';
import { FormatError } from './safe-json';
import { VERSION } from './save';
import { quote, listText } from '../quote';
import {
  decodeFloats,
  encodeSafetensors,
  headerLength,
  isFloatDtype,
  parseHeader,
  type SafetensorsEntry,
} from './safetensors';

export interface SafetensorsLoadOptions {
  /** Require every model weight in the file and nothing else (default true); false skips missing and extra ones. */
  strict?: boolean;
  /** Refuse files larger than this many bytes, checked before reading (default 2 GiB). */
  maxBytes?: number;
}

export interface SafetensorsSaveResult {
  path: string;
  bytes: number;
}

function resolveFile(target: unknown, method: string): string {
  if (typeof target !== 'string' || target.length === 0) {
    throw new Error(`${method}: 'path' must be a file path (or file:// URL) such as 'model.safetensors'`);
  }
  return path.resolve(target.startsWith('file://') ? fileURLToPath(target) : target);
}

function checkModel(model: Model, method: string): void {
  if (!(model instanceof Model)) {
    throw new Error(`${method}: 'model' must be a backprop model (from bp.sequential() or bp.loadLayersModel())`);
  }
  engineOf(model).assertIdle(method);
  model.requireBuilt(method);
}

/**
 * Writes the model's weights as a safetensors file (atomically), F32 for a float32 model and F64 for a float64
 * one, named as Keras names them, with `__metadata__.producer` set.
 * @example await bp.io.saveSafetensors(model, 'weights.safetensors');
 */
export async function saveSafetensors(model: Model, file: string): Promise<SafetensorsSaveResult> {
  const method = 'saveSafetensors()';
  checkModel(model, method);
  const target = resolveFile(file, method);
  if (fs.existsSync(target) && fs.statSync(target).isDirectory()) {
    throw new Error(`${method}: '${file}' is a directory; give the path of the .safetensors file to write`);
  }
  const tensors = model.weights().map((p) => ({ name: p.name, shape: [...p.shape], data: p.value }));
  const bytes = encodeSafetensors(tensors, { producer: `backprop ${VERSION}` });
  fs.mkdirSync(path.dirname(target), { recursive: true });
  atomicWriteFile(target, bytes);
  return { path: target, bytes: bytes.byteLength };
}

function checkLoadOptions(options: unknown, method: string): Required<SafetensorsLoadOptions> {
  if (options === undefined) return { strict: true, maxBytes: DEFAULT_MAX_WEIGHT_BYTES };
  if (!options || typeof options !== 'object' || Array.isArray(options)) {
    throw new Error(`${method}: 'options' must be an object such as { strict, maxBytes }`);
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (key !== 'strict' && key !== 'maxBytes')
      throw new Error(`${method}: unknown option '${key}'; known: strict, maxBytes`);
  }
  if (o.strict !== undefined && typeof o.strict !== 'boolean') {
    throw new Error(`${method}: 'strict' must be true or false, got ${String(o.strict)}`);
  }
  const max = o.maxBytes;
  if (max !== undefined && (typeof max !== 'number' || !Number.isSafeInteger(max) || max < 0)) {
    throw new Error(`${method}: 'maxBytes' must be a non-negative integer number of bytes, got ${String(max)}`);
  }
  return {
    strict: (o.strict as boolean | undefined) ?? true,
    maxBytes: (max as number | undefined) ?? DEFAULT_MAX_WEIGHT_BYTES,
  };
}

/** Fills `into` from `position` of the opened file (reads may come back short). */
async function readAt(opened: OpenedFile, into: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < into.byteLength;) {
    const { bytesRead } = await opened.handle.read(into, done, into.byteLength - done, position + done);
    if (bytesRead === 0) throw new FormatError(opened.file, `${opened.what} ended early (changed while read)`);
    done += bytesRead;
  }
}

/** Each model weight's entry in the file (undefined where a non-strict load skips it), checked against it. */
function matchWeights(model: Model, entries: SafetensorsEntry[], strict: boolean, file: string) {
  const fail = (message: string): never => {
    throw new FormatError(file, message);
  };
  const byName = new Map(entries.map((e) => [e.name, e]));
  const matched = model.weights().map((p) => {
    const e = byName.get(p.name);
    if (!e) {
      if (strict) fail(`the model's weight ${quote(p.name)} is not in the file (found: ${listText(byName.keys())})`);
      return undefined;
    }
    byName.delete(p.name);
    if (!isFloatDtype(e.dtype))
      fail(`tensor ${quote(e.name)} is ${e.dtype}; weights are read from F16, BF16, F32 or F64`);
    if (e.shape.join(',') !== p.shape.join(',')) {
      fail(`tensor ${quote(e.name)} has shape ${formatShape(e.shape)} but the model needs ${formatShape(p.shape)}`);
    }
    return e;
  });
  if (strict && byName.size > 0) fail(`tensors with no matching model weight: ${listText(byName.keys())}`);
  return matched;
}

/**
 * Loads weights from a safetensors file into a built model, by name ('dense_1/kernel'); F16, BF16, F32 and F64
 * tensors are converted to the model's dtype. The file is checked whole (see the module comment) before any
 * weight changes; non-finite values are refused.
 * @example
 * const model = bp.sequential({ layers: [bp.layers.dense({ units: 2, inputShape: [3] })] });
 * await bp.io.loadSafetensors(model, 'weights.safetensors');
 */
export async function loadSafetensors(model: Model, file: string, options?: SafetensorsLoadOptions): Promise<Model> {
  const method = 'loadSafetensors()';
  checkModel(model, method);
  const { strict, maxBytes } = checkLoadOptions(options, method);
  const target = resolveFile(file, method);
  const opened = await openRegularFile(target, { what: 'safetensors file', maxBytes });
  try {
    const first8 = new Uint8Array(Math.min(8, opened.size));
    await readAt(opened, first8, 0);
    const n = headerLength(first8, opened.size, target);
    const headerBytes = new Uint8Array(n);
    await readAt(opened, headerBytes, 8);
    const dataBytes = opened.size - 8 - n;
    const { entries } = parseHeader(headerBytes, dataBytes, target);
    const matched = matchWeights(model, entries, strict, target);
    const data = new Uint8Array(dataBytes);
    await readAt(opened, data, 8 + n);
    if ((await opened.handle.read(new Uint8Array(1), 0, 1, opened.size)).bytesRead !== 0) {
      throw new FormatError(target, 'the safetensors file grew while being read');
    }
    const params = model.weights();
    const values = matched.map((e, i) => {
      if (!e) return undefined;
      const out = new (params[i].value.constructor as Float32ArrayConstructor | Float64ArrayConstructor)(e.size);
      decodeFloats(e, data, out);
      const bad = out.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw new FormatError(target, `tensor ${quote(e.name)} holds a non-finite value at index ${bad}`);
      return out;
    });
    values.forEach((v, i) => v && params[i].value.set(v));
    return model;
  } finally {
    await opened.handle.close();
  }
}
