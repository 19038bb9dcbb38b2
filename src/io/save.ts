/**
 * model.save(): writes `model.json` + one weights file in the TF.js Layers format, atomically.
 *
 * Crash safety: the weights go to a new file named by their content hash (`weights-<sha256:12>.bin`),
 * fsynced, before `model.json` is atomically replaced to point at it; only then are unreferenced older
 * weight files removed. Whatever moment a crash hits, `model.json` names a complete weights file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Model } from '../model/model';
import { engineOf } from '../model/engine';
import { atomicWriteFile, fsyncDir, sha256, TMP_MARKER } from './atomic';
import { modelTopology, KERAS_VERSION } from './topology';
import { compileRecord, tfjsTrainingConfig, trainingRecord } from './training-config';

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
  fs.mkdirSync(dir, { recursive: true });
  const { json, weights, entries } = modelArtifacts(model, options);
  const digest = sha256(weights);
  const weightsName = `weights-${digest.slice(0, 12)}.bin`;
  const weightsPath = path.join(dir, weightsName);
  atomicWriteFile(weightsPath, weights);
  json.weightsManifest = [{ paths: [weightsName], weights: entries }];
  (json.userDefinedMetadata as { backprop: Record<string, unknown> }).backprop.checksums = {
    [weightsName]: `sha256:${digest}`,
  };
  const modelJsonPath = path.join(dir, 'model.json');
  atomicWriteFile(modelJsonPath, JSON.stringify(json));
  removeStale(dir, weightsName);
  return { modelJsonPath, weightsPath, bytes: weights.byteLength };
}

/** Removes weight files this saver wrote before (now unreferenced) and temp files of crashed writes. */
function removeStale(dir: string, keep: string): void {
  let changed = false;
  for (const f of fs.readdirSync(dir)) {
    const stale = (f !== keep && /^weights-[0-9a-f]{12}\.bin$/.test(f)) || f.includes(TMP_MARKER);
    if (!stale) continue;
    // A temp file of a concurrent writer in this same process is still being written: leave it.
    if (f.includes(`${TMP_MARKER}${process.pid}-`)) continue;
    fs.rmSync(path.join(dir, f), { force: true });
    changed = true;
  }
  if (changed) fsyncDir(dir);
}

export { KERAS_VERSION };
