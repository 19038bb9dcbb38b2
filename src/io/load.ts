/**
 * bp.loadLayersModel(): reads TF.js Layers files written by backprop, by TF.js, or by the TF.js
 * converter, treating them as untrusted: nothing is evaluated, every name comes from a closed list,
 * every shape is checked against the bytes present before anything is allocated or assigned, and every
 * failure is an Error naming the file and the problem.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Model, ModelArgs } from '../model/model';
import { nameLayers } from '../model/model';
import type { LossIdentifier } from '../training/losses';
import { FormatError, parseUntrustedJson, Reader, type Obj } from './safe-json';
import { resolveDir } from './save';
import { sha256 } from './atomic';
import { decodeWeights, type ManifestEntry } from './weights';
import { plannedSize, plannedWeights, readTopology } from './read-topology';
import { restoreTraining } from './restore-training';

const MAX_JSON_BYTES = 64 << 20;
const MAX_WEIGHT_BYTES = 2 ** 31;
const MAX_ELEMENTS = 2 ** 28;
const SAFE_FILE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;

export interface LoadOptions {
  /** Require every model weight to be present and no extra ones (default true, as TF.js). */
  strict?: boolean;
  /**
   * The loss to compile with when the model was saved with a custom (function) loss, which cannot be saved:
   * `loadLayersModel(dir, { loss: myLoss })`. Without it such a model loads for inference only.
   */
  loss?: LossIdentifier;
}

/** Creates the (empty) model the loader fills: the public Sequential, supplied by the caller. */
export type CreateModel = (args: ModelArgs) => Model;

function modelJsonPath(target: string): string {
  const dir = resolveDir(target, 'loadLayersModel()');
  return path.join(dir, 'model.json');
}

/**
 * Loads a model saved in the TF.js Layers format (a directory, its model.json, or a file:// URL) into the
 * model `create` makes (see bp.loadLayersModel).
 */
export async function loadModelFile<M extends Model>(
  target: string,
  options: LoadOptions,
  create: (args: ModelArgs) => M,
): Promise<M> {
  const jsonPath = modelJsonPath(target);
  const file = jsonPath;
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(jsonPath);
  } catch {
    throw new FormatError(
      file,
      `not found (expected a directory containing model.json, or the model.json path itself)`,
    );
  }
  if (stat.size > MAX_JSON_BYTES)
    throw new FormatError(file, `is ${stat.size} bytes; model.json files over ${MAX_JSON_BYTES} bytes are refused`);
  const text = await fs.promises.readFile(jsonPath, 'utf8');
  const root = new Reader(file).obj(parseUntrustedJson(text, file), 'top level');
  return modelFromJson(root, path.dirname(jsonPath), file, options, create);
}

export async function modelFromJson<M extends Model>(
  root: Obj,
  dir: string,
  file: string,
  options: LoadOptions,
  create: (args: ModelArgs) => M,
): Promise<M> {
  const r = new Reader(file);
  if (root.format !== undefined && root.format !== 'layers-model')
    r.fail(
      'format',
      `'${String(root.format)}' is not a Layers model (expected 'layers-model'; graph models are not supported)`,
    );
  // Layers are constructed from the registry (every config value checked) but not built: the weights the
  // topology implies are counted and matched against the manifest before anything is allocated.
  const topology = readTopology(r, root.modelTopology);
  nameLayers(topology.layers);
  const planned = plannedWeights(r, topology.layers, topology.inputShape);
  if (plannedSize(planned) * 4 > MAX_WEIGHT_BYTES) {
    r.fail(
      'modelTopology',
      `the layers declare ${plannedSize(planned)} weights, more than the ${MAX_WEIGHT_BYTES}-byte limit`,
    );
  }

  const meta = root.userDefinedMetadata === undefined ? {} : r.obj(root.userDefinedMetadata, 'userDefinedMetadata');
  const bp = meta.backprop === undefined ? undefined : r.obj(meta.backprop, 'userDefinedMetadata.backprop');
  const dtype =
    bp?.dtype === undefined
      ? 'float32'
      : r.oneOf(bp.dtype, 'userDefinedMetadata.backprop.dtype', ['float32', 'float64'] as const);
  const seed = bp?.seed === undefined ? 0 : r.int(bp.seed, 'userDefinedMetadata.backprop.seed', -(2 ** 53), 2 ** 53);

  // Weights: manifest entries, file sizes checked against the shapes before reading anything.
  const groups = r.arr(root.weightsManifest ?? [], 'weightsManifest', 1000);
  const checksums =
    bp?.checksums === undefined ? undefined : r.obj(bp.checksums, 'userDefinedMetadata.backprop.checksums');
  const entries: ManifestEntry[] = [];
  const buffers: Uint8Array[] = [];
  for (const [gi, g] of groups.entries()) {
    const group = r.obj(g, `weightsManifest[${gi}]`);
    const paths = r.arr(group.paths, `weightsManifest[${gi}].paths`, 10000).map((p, i) => {
      const name = r.str(p, `weightsManifest[${gi}].paths[${i}]`, 255);
      if (!SAFE_FILE.test(name))
        r.fail(`weightsManifest[${gi}].paths[${i}]`, `'${name}' is not a plain file name in the model's directory`);
      return name;
    });
    const groupEntries = r
      .arr(group.weights, `weightsManifest[${gi}].weights`, 100000)
      .map((e, i) => readEntry(r, e, `weightsManifest[${gi}].weights[${i}]`));
    const expected = groupEntries.reduce((s, e) => s + e.bytes, 0);
    let actual = 0;
    const sizes = await Promise.all(
      paths.map(async (p) => {
        try {
          return (await fs.promises.stat(path.join(dir, p))).size;
        } catch {
          throw new FormatError(path.join(dir, p), `weights file named in model.json is missing`);
        }
      }),
    );
    for (const s of sizes) actual += s;
    if (actual !== expected) {
      throw new FormatError(
        paths.length === 1 ? path.join(dir, paths[0]) : file,
        `weights are ${actual} bytes but the manifest's shapes need ${expected} (truncated or wrong file)`,
      );
    }
    if (actual > MAX_WEIGHT_BYTES) r.fail(`weightsManifest[${gi}]`, `more than ${MAX_WEIGHT_BYTES} bytes of weights`);
    const bytes = new Uint8Array(actual);
    let off = 0;
    for (const p of paths) {
      const full = path.join(dir, p);
      const data = await fs.promises.readFile(full);
      if (checksums) {
        const want = checksums[p];
        if (want === undefined)
          throw new FormatError(full, `has no checksum in model.json although the model was saved with checksums`);
        const got = `sha256:${sha256(data)}`;
        if (got !== want)
          throw new FormatError(
            full,
            `checksum mismatch (file ${got.slice(0, 19)}…, model.json ${String(want).slice(0, 19)}…): the file ` +
              `is corrupt or from another save`,
          );
      }
      if (off + data.byteLength > bytes.byteLength) throw new FormatError(full, `changed size while being read`);
      bytes.set(data, off);
      off += data.byteLength;
    }
    let o = 0;
    for (const e of groupEntries) {
      e.offset = o;
      o += e.bytes;
      entries.push(e);
    }
    buffers.push(...groupEntries.map(() => bytes));
  }

  // Check every planned weight against the manifest, then build the model and assign the weights.
  const strict = options.strict ?? true;
  const byName = new Map<string, number>();
  entries.forEach((e, i) => {
    if (e.group === 'optimizer') return;
    if (byName.has(e.name)) r.fail('weightsManifest', `weight '${e.name}' appears twice`);
    byName.set(e.name, i);
  });
  const assignments: [number, number][] = [];
  for (const [pi, p] of planned.entries()) {
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
  let model: M;
  try {
    model = create({ dtype, seed, name: topology.modelName });
    for (const layer of topology.layers) model.add(layer);
    model.build(topology.inputShape);
  } catch (err) {
    return r.fail('modelTopology', (err as Error).message);
  }
  const params = model.weights();
  for (const [pi, idx] of assignments) decodeWeights(entries[idx], buffers[idx], params[pi].value);

  if (bp) restoreTraining(model, r, bp, entries, buffers, options.loss);
  for (const [k, v] of Object.entries(meta)) if (k !== 'backprop') model.metadata[k] = v;
  return model;
}

function readEntry(r: Reader, v: unknown, where: string): ManifestEntry {
  const e = r.obj(v, where);
  const name = r.str(e.name, `${where}.name`, 512);
  const { shape, size } = r.shape(e.shape, `${where}.shape`, MAX_ELEMENTS);
  const dtype = r.oneOf(e.dtype ?? 'float32', `${where}.dtype`, ['float32', 'int32'] as const);
  const group = e.group === undefined ? 'model' : r.oneOf(e.group, `${where}.group`, ['model', 'optimizer'] as const);
  let quantization: ManifestEntry['quantization'];
  if (e.quantization !== undefined && e.quantization !== null) {
    const q = r.obj(e.quantization, `${where}.quantization`);
    const qd = r.oneOf(q.dtype, `${where}.quantization.dtype`, ['uint8', 'uint16', 'float16'] as const);
    quantization = {
      dtype: qd,
      scale: qd === 'float16' ? 1 : r.num(q.scale, `${where}.quantization.scale`),
      min: qd === 'float16' ? 0 : r.num(q.min, `${where}.quantization.min`),
    };
  }
  const per = quantization ? (quantization.dtype === 'uint8' ? 1 : 2) : 4;
  return { name, shape, size, dtype, group, quantization, bytes: size * per, offset: 0 };
}
