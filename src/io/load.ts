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
import { fileURLToPath } from 'node:url';
import type { Model, ModelArgs } from '../model/model';
import { parseUntrustedJson, Reader, type Obj } from './safe-json';
import { resolveDir } from './save';
import { decodeWeights } from './weights';
import { plannedSize, readTopology } from './read-topology';
import { restoreTraining } from './restore-training';
import { checkLoadOptions, MAX_MODEL_JSON_BYTES, type LoadOptions } from './load-options';
import { MissingFileError, readRegularFile } from './read-files';
import { readManifest } from './manifest';
import { verifyManifest } from './integrity';
import { readWeightFiles } from './read-weights';
import { checkImpliedSize, checkManifestAgainstTopology } from './size-check';
import { quote, quoteValue, listText } from '../quote';

export type { LoadOptions };

/**
 * How many times a load reads model.json when concurrent saves keep replacing it and removing the weights it
 * named (each re-read needs model.json to have changed). Two processes saving a small model as fast as they
 * can make about 2% of loads read it twice, and runs of 5–7 reads are seen; 50 leaves a wide margin.
 */
const MAX_READS = 50;

/** The model file: a `.json` path as given (any name, as tf.loadLayersModel takes), else `<dir>/model.json`. */
function modelJsonPath(target: string): string {
  const dir = resolveDir(target, 'loadLayersModel()');
  const given = target.startsWith('file://') ? fileURLToPath(target) : target;
  if (/\.json$/i.test(given) && path.basename(given) !== 'model.json') return path.resolve(given);
  return path.join(dir, 'model.json');
}

async function readModelJson(file: string): Promise<Uint8Array> {
  try {
    return await readRegularFile(file, { what: 'model.json', maxBytes: MAX_MODEL_JSON_BYTES });
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
 * Loads a model saved in the TF.js Layers format (a directory, its model.json, or a file:// URL) into the model
 * `create` makes (bp.loadLayersModel passes the public Sequential).
 */
export async function loadModelFile<M extends Model>(
  target: string,
  options: LoadOptions,
  create: (args: ModelArgs) => M,
): Promise<M> {
  const checked = checkLoadOptions(options, 'loadLayersModel()');
  const file = modelJsonPath(target);
  for (let read = 1; ; read++) {
    const bytes = await readModelJson(file);
    const root = new Reader(file).obj(parseUntrustedJson(Buffer.from(bytes).toString('utf8'), file), 'top level');
    try {
      return await modelFromJson(root, path.dirname(file), file, checked, create);
    } catch (e) {
      // A save removes weight files only once no model.json names them (see stale-files.ts); a load that read
      // a model.json two saves ago can still miss its weights, and then reads the new model.json again.
      if (!(e instanceof MissingFileError) || read >= MAX_READS || !(await replacedSince(file, bytes))) throw e;
    }
  }
}

export async function modelFromJson<M extends Model>(
  root: Obj,
  dir: string,
  file: string,
  options: LoadOptions,
  create: (args: ModelArgs) => M,
): Promise<M> {
  const { strict, maxWeightBytes, loss } = checkLoadOptions(options, 'loadLayersModel()');
  const r = new Reader(file);
  if (root.format !== undefined && root.format !== 'layers-model')
    r.fail(
      'format',
      `${quoteValue(root.format)} is not a Layers model ` +
        `(expected 'layers-model'; TF.js graph models are not supported)`,
    );
  const meta = root.userDefinedMetadata === undefined ? {} : r.obj(root.userDefinedMetadata, 'userDefinedMetadata');
  const bp = meta.backprop === undefined ? undefined : r.obj(meta.backprop, 'userDefinedMetadata.backprop');
  const dtype =
    bp?.dtype === undefined
      ? 'float32'
      : r.oneOf(bp.dtype, 'userDefinedMetadata.backprop.dtype', ['float32', 'float64'] as const);
  const seed = bp?.seed === undefined ? 0 : r.int(bp.seed, 'userDefinedMetadata.backprop.seed', -(2 ** 53), 2 ** 53);

  // Layers are constructed through the registry (every config value checked) and connected, but not built: the
  // weights the topology implies are counted and checked against the cap and the manifest before anything is
  // allocated.
  const model = readTopology(r, root.modelTopology, { create, dtype, seed }) as M;
  const planned = model.plannedWeights();
  const impliedCount = plannedSize(planned);
  checkImpliedSize(r, impliedCount, maxWeightBytes);

  // Weights: the manifest checked against its checksum and the topology, then the files read.
  const groups = readManifest(r, root);
  const checksums = verifyManifest(r, bp, groups);
  checkManifestAgainstTopology(r, groups, impliedCount, strict);
  const { entries, buffers, files } = await readWeightFiles(r, groups, dir, { checksums, maxWeightBytes });

  // Check every planned weight against the manifest, then build the model and assign the weights.
  const byName = new Map<string, number>();
  entries.forEach((e, i) => {
    if (e.group === 'optimizer') return;
    if (byName.has(e.name)) r.fail('weightsManifest', `weight ${quote(e.name)} appears twice`);
    byName.set(e.name, i);
  });
  // TF 2.2+ Keras files name a recurrent layer's weights layer/cell/weight (gru/gru_cell/kernel,
  // bidirectional/forward_lstm/lstm_cell/kernel); TF.js reads them as layer/weight, and so does this loader.
  const cellNames = new Map<string, string>();
  for (const name of byName.keys()) {
    const t = name.split('/');
    const short = [...t.slice(0, -2), t[t.length - 1]].join('/');
    if (t.length >= 3 && !byName.has(short) && !cellNames.has(short)) cellNames.set(short, name);
  }
  const assignments: [number, number][] = [];
  for (const [pi, p] of planned.entries()) {
    // TF.js names weights by layer ('dense/kernel'); Keras 3 by their path in the model ('sequential/dense/kernel',
    // 'outer/inner/dense/kernel' in nested models); either may carry a recurrent cell's scope (above).
    const names = candidateNames(p.name, [model.name, ...p.scopes]);
    const key =
      names.find((n) => byName.has(n)) ?? names.map((n) => cellNames.get(n)).find((n) => n !== undefined) ?? p.name;
    const idx = byName.get(key);
    if (idx === undefined) {
      if (strict)
        r.fail('weightsManifest', `the model's weight ${quote(p.name)} is missing (found: ${listText(byName.keys())})`);
      continue;
    }
    const e = entries[idx];
    if (e.shape.join(',') !== p.shape.join(','))
      r.fail('weightsManifest', `weight ${quote(p.name)} has shape [${e.shape}] but the layer needs [${p.shape}]`);
    assignments.push([pi, idx]);
    byName.delete(key);
  }
  if (strict && byName.size > 0)
    r.fail('weightsManifest', `weights with no matching layer: ${listText(byName.keys())}`);
  try {
    model.build();
  } catch (err) {
    return r.fail('modelTopology', (err as Error).message);
  }
  const params = model.weights();
  for (const [pi, idx] of assignments) decodeWeights(entries[idx], buffers[idx], params[pi].value, files[idx]);

  if (bp) restoreTraining(model, r, bp, { entries, buffers, files }, loss);
  for (const [k, v] of Object.entries(meta)) if (k !== 'backprop') model.metadata[k] = v;
  return model;
}

/** The names a weight may have in a file: its own, and prefixed by the paths of the models holding it. */
function candidateNames(name: string, scopes: string[]): string[] {
  const out = [name];
  for (let i = scopes.length - 1; i >= 0; i--) out.push(`${scopes.slice(i).join('/')}/${name}`);
  if (scopes.length > 1) out.push(`${scopes[0]}/${name}`);
  return out;
}
