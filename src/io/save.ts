/**
 * model.save(): writes `model.json` + one weights file in the TF.js Layers format, atomically.
 *
 * Crash safety: the weights go to a new file (`weights-<sha256:12>-<random:8>.bin`, a name no save used
 * before), fsynced, before `model.json` is atomically replaced to point at it; only then are weight files no
 * model.json can name any more removed. Whatever moment a crash hits, `model.json` names a complete weights
 * file. Several processes may save to and load from one directory at once: see stale-files.ts for the rule.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Model } from '../model/model';
import { engineOf } from '../model/engine';
import { atomicWriteFile, sha256 } from './atomic';
import { manifestChecksum } from './integrity';
import { newWeightsName, referencedWeights, removeStale } from './stale-files';
import { createMarkerFile, pinName } from './writer-markers';
import { modelTopology, KERAS_VERSION } from './topology';
import { compileRecord, tfjsTrainingConfig, trainingRecord } from './training-config';
import { MAX_MODEL_JSON_BYTES } from './load-options';
import { MAX_FILE_LAYERS as MAX_LAYERS } from './read-graph';
import { checkJsonForFile, MAX_JSON_DEPTH } from './safe-json';

export const VERSION: string = (() => {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('../../package.json') as { version: string }).version;
  } catch {
    return '0.0.0';
  }
})();

export interface SaveOptions {
  /** Also save the optimizer's state (group "optimizer") and the training config, so training can resume. */
  includeOptimizer?: boolean;
}

export interface SaveResult {
  modelJsonPath: string;
  weightsPath: string;
  bytes: number;
}

interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  group?: 'model' | 'optimizer';
}

export function resolveDir(target: string, method: string): string {
  if (typeof target !== 'string' || target.length === 0)
    throw new Error(`${method}: 'path' must be a directory path or file:// URL, got ${String(target)}`);
  let p = target.startsWith('file://') ? fileURLToPath(target) : target;
  if (path.basename(p) === 'model.json') p = path.dirname(p);
  return path.resolve(p);
}

/** The artifacts (model.json object and weight bytes) without touching the disk. */
export function modelArtifacts(
  model: Model,
  options: SaveOptions = {},
): { json: Record<string, unknown>; weights: Uint8Array; entries: ManifestEntry[] } {
  engineOf(model).assertIdle('save()');
  model.requireBuilt('save()');
  // What the loader refuses is refused here, before anything is written: the file could not be loaded back.
  // The file lists every layer, nested models' included (the loader counts them all).
  let layers = 0;
  for (const _layer of model.nestedLayers()) layers++;
  if (layers > MAX_LAYERS) {
    throw new Error(
      `save(): the model has ${layers} layers (nested models' counted); model files hold at most ${MAX_LAYERS}`,
    );
  }
  // The metadata sits two levels down in model.json (userDefinedMetadata.<key>).
  checkJsonForFile(model.metadata ?? {}, 'save(): model.metadata', MAX_JSON_DEPTH - 1);
  const parts: Uint8Array[] = [];
  const entries: ManifestEntry[] = [];
  for (const p of model.weights()) {
    const f32 = p.value instanceof Float32Array ? p.value : Float32Array.from(p.value);
    parts.push(new Uint8Array(f32.buffer, f32.byteOffset, f32.byteLength));
    entries.push({ name: p.name, shape: [...p.shape], dtype: 'float32' });
  }
  const json: Record<string, unknown> = {
    format: 'layers-model',
    generatedBy: `backprop ${VERSION}`,
    convertedBy: null,
    modelTopology: modelTopology(model),
  };
  const backprop: Record<string, unknown> = { version: VERSION, dtype: model.dtype, seed: model.seed };
  const compile = compileRecord(model);
  if (compile) backprop.compile = compile;
  const tfjs = tfjsTrainingConfig(model);
  if (tfjs) json.trainingConfig = tfjs;
  if (options.includeOptimizer) {
    if (!model.optimizer) model.requireCompiled('save({ includeOptimizer: true })');
    const opt = model.optimizer!;
    const iter = Int32Array.of(opt.iterations);
    parts.push(new Uint8Array(iter.buffer));
    entries.push({ name: 'iter', shape: [], dtype: 'int32', group: 'optimizer' });
    for (const w of opt.getWeights()) {
      const f32 = w.value instanceof Float32Array ? w.value : Float32Array.from(w.value);
      parts.push(new Uint8Array(f32.buffer, f32.byteOffset, f32.byteLength));
      entries.push({ name: w.name, shape: [w.value.length], dtype: 'float32', group: 'optimizer' });
    }
    backprop.training = trainingRecord(model);
  }
  let total = 0;
  for (const p of parts) total += p.byteLength;
  const weights = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    weights.set(p, o);
    o += p.byteLength;
  }
  json.userDefinedMetadata = { ...JSON.parse(JSON.stringify(model.metadata ?? {})), backprop };
  return { json, weights, entries };
}

export function saveModel(model: Model, target: string, options: SaveOptions = {}): SaveResult {
  const dir = resolveDir(target, 'save()');
  const { json, weights, entries } = modelArtifacts(model, options);
  const digest = sha256(weights);
  const weightsName = newWeightsName(digest);
  const weightsPath = path.join(dir, weightsName);
  const modelJsonPath = path.join(dir, 'model.json');
  const checksums = { [weightsName]: `sha256:${digest}` };
  json.weightsManifest = [{ paths: [weightsName], weights: entries }];
  Object.assign((json.userDefinedMetadata as { backprop: Record<string, unknown> }).backprop, {
    checksums,
    manifestChecksum: manifestChecksum([{ paths: [weightsName], entries }], checksums),
  });
  const text = JSON.stringify(json);
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_MODEL_JSON_BYTES) {
    throw new Error(
      `save(): model.json would be ${bytes.toLocaleString('en-US')} bytes; loadLayersModel reads at most ` +
        `${MAX_MODEL_JSON_BYTES.toLocaleString('en-US')}. Keep less in model.metadata (e.g. a smaller vocabulary)`,
    );
  }
  fs.mkdirSync(dir, { recursive: true });
  // The pin exists from before the weights file does until model.json names it (see stale-files.ts).
  const pin = path.join(dir, pinName(weightsName));
  createMarkerFile(pin);
  let previous: Set<string> | undefined;
  try {
    atomicWriteFile(weightsPath, weights);
    previous = referencedWeights(dir);
    atomicWriteFile(modelJsonPath, text);
  } finally {
    fs.rmSync(pin, { force: true });
  }
  removeStale(dir, new Set([weightsName, ...(previous ?? [])]));
  return { modelJsonPath, weightsPath, bytes: weights.byteLength };
}

export { KERAS_VERSION };
