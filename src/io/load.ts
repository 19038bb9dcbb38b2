/**
 * bp.loadLayersModel(): reads TF.js Layers files written by backprop, by TF.js, or by the TF.js
 * converter, treating them as untrusted: only regular files inside the model's directory are read (no
 * symbolic links, FIFOs or devices), each read bounded by the file's real size; nothing is evaluated, every
 * name comes from a closed list; the weights the topology implies are checked against a cap and against the
 * manifest, and every file size against the manifest, before any layer is made or anything sized by the
 * file is allocated; checksums cover the weight bytes and the manifest that describes them. Every failure
 * is an Error naming the file and the problem.
 */
import * as path from 'node:path';
import { Sequential } from '../model/sequential';
import { Dense } from '../layers/dense';
import { ActivationLayer } from '../layers/activation';
import { Dropout } from '../layers/dropout';
import type { Layer } from '../layers/layer';
import { parseUntrustedJson, Reader, type Obj } from './safe-json';
import { resolveDir } from './save';
import { decodeWeights } from './weights';
import { readLayer, type LayerSpec } from './layer-specs';
import { restoreTraining } from './restore-training';
import { checkLoadOptions, type LoadOptions } from './load-options';
import { MissingFileError, readRegularFile } from './read-files';
import { readManifest } from './manifest';
import { verifyManifest } from './integrity';
import { readWeightFiles } from './read-weights';
import { checkImpliedSize, checkManifestAgainstTopology, impliedWeights } from './size-check';

export type { LoadOptions };

const MAX_JSON_BYTES = 64 << 20;
const MAX_ELEMENTS = 2 ** 28;
/**
 * How many times a load reads model.json when concurrent saves keep replacing it and removing the weights it
 * named (each re-read needs model.json to have changed). Two processes saving a small model as fast as they
 * can make about 2% of loads read it twice, and runs of 5–7 reads are seen; 50 leaves a wide margin.
 */
const MAX_READS = 50;

function modelJsonPath(target: string): string {
  const dir = resolveDir(target, 'loadLayersModel()');
  return path.join(dir, 'model.json');
}

async function readModelJson(file: string): Promise<Uint8Array> {
  try {
    return await readRegularFile(file, { what: 'model.json', maxBytes: MAX_JSON_BYTES });
  } catch (e) {
    if (!(e instanceof MissingFileError)) throw e;
    throw new MissingFileError(
      file,
      `not found (expected a directory containing model.json, or the model.json path itself)`,
    );
  }
}

/** True when model.json now holds other bytes than `before` (a save replaced it). */
async function replacedSince(file: string, before: Uint8Array): Promise<boolean> {
  try {
    return !Buffer.from(await readModelJson(file)).equals(before);
  } catch {
    return false;
  }
}

/**
 * Loads a Sequential model saved in the TF.js Layers format (a directory, its model.json, or a file:// URL).
 * @example
 * await model.save('./my-model');
 * const again = await bp.loadLayersModel('./my-model');
 * const big = await bp.loadLayersModel('./big-model', { maxWeightBytes: 8 * 2 ** 30 }); // trusted, over 2 GiB
 */
export async function loadLayersModel(target: string, options: LoadOptions = {}): Promise<Sequential> {
  const checked = checkLoadOptions(options, 'loadLayersModel()');
  const file = modelJsonPath(target);
  for (let read = 1; ; read++) {
    const bytes = await readModelJson(file);
    const root = new Reader(file).obj(parseUntrustedJson(Buffer.from(bytes).toString('utf8'), file), 'top level');
    try {
      return await modelFromJson(root, path.dirname(file), file, checked);
    } catch (e) {
      // A save removes weight files only once no model.json names them (see stale-files.ts); a load that read
      // a model.json two saves ago can still miss its weights, and then reads the new model.json again.
      if (!(e instanceof MissingFileError) || read >= MAX_READS || !(await replacedSince(file, bytes))) throw e;
    }
  }
}

export async function modelFromJson(root: Obj, dir: string, file: string, options: LoadOptions): Promise<Sequential> {
  const { strict, maxWeightBytes } = checkLoadOptions(options, 'loadLayersModel()');
  const r = new Reader(file);
  if (root.format !== undefined && root.format !== 'layers-model')
    r.fail(
      'format',
      `'${String(root.format)}' is not a Layers model (expected 'layers-model'; graph models are not supported)`,
    );
  let topology = r.obj(root.modelTopology, 'modelTopology');
  if (topology.model_config !== undefined) topology = r.obj(topology.model_config, 'modelTopology.model_config');
  const className = r.oneOf(topology.class_name, 'modelTopology.class_name', ['Sequential'] as const);
  void className;
  let layerList: unknown[];
  let modelName: string | undefined;
  if (Array.isArray(topology.config)) layerList = r.arr(topology.config, 'modelTopology.config', 10000);
  else {
    const cfg = r.obj(topology.config, 'modelTopology.config');
    layerList = r.arr(cfg.layers, 'modelTopology.config.layers', 10000);
    if (cfg.name !== undefined) modelName = r.str(cfg.name, 'modelTopology.config.name', 256);
  }
  const specs: LayerSpec[] = [];
  let inputUnits: number | undefined;
  layerList.forEach((l, i) => {
    const spec = readLayer(r, l, i, MAX_ELEMENTS);
    if (spec.inputUnits !== undefined && inputUnits === undefined) inputUnits = spec.inputUnits;
    if (spec.kind !== 'input') specs.push(spec);
  });
  if (specs.length === 0) r.fail('modelTopology', 'the model has no layers');
  if (inputUnits === undefined)
    r.fail('modelTopology.config.layers[0]', `the first layer has no batch_input_shape, so the input size is unknown`);
  const impliedCount = impliedWeights(r, layerList);
  checkImpliedSize(r, impliedCount, maxWeightBytes);

  const meta = root.userDefinedMetadata === undefined ? {} : r.obj(root.userDefinedMetadata, 'userDefinedMetadata');
  const bp = meta.backprop === undefined ? undefined : r.obj(meta.backprop, 'userDefinedMetadata.backprop');
  const dtype =
    bp?.dtype === undefined
      ? 'float32'
      : r.oneOf(bp.dtype, 'userDefinedMetadata.backprop.dtype', ['float32', 'float64'] as const);
  const seed = bp?.seed === undefined ? 0 : r.int(bp.seed, 'userDefinedMetadata.backprop.seed', -(2 ** 53), 2 ** 53);

  // Weights: the manifest checked against its checksum and the topology, then the files read.
  const groups = readManifest(r, root);
  const checksums = verifyManifest(r, bp, groups);
  checkManifestAgainstTopology(r, groups, impliedCount, strict);
  const { entries, buffers } = await readWeightFiles(r, groups, dir, { checksums, maxWeightBytes });

  // Build the model, then check every weight against it before assigning any.
  const model = new Sequential({ dtype, seed, name: modelName });
  try {
    for (const spec of specs) model.add(spec.make());
    model.build(inputUnits!);
  } catch (err) {
    r.fail('modelTopology', (err as Error).message);
  }
  const byName = new Map<string, number>();
  entries.forEach((e, i) => {
    if (e.group === 'optimizer') return;
    if (byName.has(e.name)) r.fail('weightsManifest', `weight '${e.name}' appears twice`);
    byName.set(e.name, i);
  });
  const params = model.params();
  const assignments: [number, number][] = [];
  for (const [pi, p] of params.entries()) {
    const idx = byName.get(p.name);
    if (idx === undefined) {
      if (strict)
        r.fail(
          'weightsManifest',
          `the model's weight '${p.name}' is missing (found: ${[...byName.keys()].slice(0, 8).join(', ')})`,
        );
      continue;
    }
    const e = entries[idx];
    if (e.shape.join(',') !== p.shape.join(','))
      r.fail('weightsManifest', `weight '${p.name}' has shape [${e.shape}] but the layer needs [${p.shape}]`);
    assignments.push([pi, idx]);
    byName.delete(p.name);
  }
  if (strict && byName.size > 0)
    r.fail('weightsManifest', `weights with no matching layer: ${[...byName.keys()].slice(0, 8).join(', ')}`);
  for (const [pi, idx] of assignments) decodeWeights(entries[idx], buffers[idx], params[pi].value);

  if (bp) restoreTraining(model, r, bp, root, entries, buffers);
  for (const [k, v] of Object.entries(meta)) if (k !== 'backprop') model.metadata[k] = v;
  return model;
}

export type { Layer, Dense, ActivationLayer, Dropout };
