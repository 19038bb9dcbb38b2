/**
 * How many weights a topology implies, computed from its JSON alone, and the checks of that number against
 * the size cap and the manifest — all before any layer is made or anything sized by the file is allocated, so
 * a small model.json that declares a huge model fails at once instead of after allocating it.
 *
 * Only Dense carries weights for now (kernel [in, units], bias [units] when use_bias); the layer registry's
 * weight shapes can replace impliedWeights() once layers describe them. A layer class it does not know fails
 * loudly, so a new layer cannot slip past the check.
 */
import { formatBytes } from '../limits';
import type { Reader } from './safe-json';
import type { ManifestGroup } from './manifest';

/** Bytes per weight value in the files' float32, the unit of `maxWeightBytes`. */
export const FLOAT32_BYTES = 4;
const MAX_UNITS = 2 ** 28;
const WEIGHTLESS = new Set(['InputLayer', 'Activation', 'Dropout', 'LeakyReLU']);

function inputWidth(r: Reader, layers: unknown[]): number {
  for (const [i, l] of layers.entries()) {
    const where = `modelTopology layers[${i}].config`;
    const cfg = r.obj(r.obj(l, `modelTopology layers[${i}]`).config, where);
    const shape =
      cfg.batch_input_shape ??
      (cfg.input_shape === undefined ? undefined : [null, ...r.arr(cfg.input_shape, `${where}.input_shape`, 8)]);
    if (shape === undefined || shape === null) continue;
    const dims = r.arr(shape, `${where}.batch_input_shape`, 8);
    return r.int(dims[dims.length - 1], `${where}.batch_input_shape[${dims.length - 1}]`, 1, MAX_UNITS);
  }
  return r.fail('modelTopology.config.layers', 'no layer has a batch_input_shape, so the input size is unknown');
}

/**
 * The number of weight values the layers of a Sequential topology hold, from the JSON (units, use_bias,
 * batch_input_shape / input_shape), without building anything. May exceed 2^53 imprecisely; only compared.
 * @example impliedWeights(new Reader('model.json'), json.modelTopology.config.layers) // 4*8 + 8 + 8*3 + 3
 */
export function impliedWeights(r: Reader, layers: unknown[]): number {
  let width = inputWidth(r, layers);
  let weights = 0;
  for (const [i, l] of layers.entries()) {
    const where = `modelTopology layers[${i}]`;
    const layer = r.obj(l, where);
    const cls = r.str(layer.class_name, `${where}.class_name`, 128);
    if (WEIGHTLESS.has(cls)) continue;
    if (cls !== 'Dense') r.fail(`${where}.class_name`, `cannot size the weights of layer '${cls}'`);
    const cfg = r.obj(layer.config, `${where}.config`);
    const units = r.int(cfg.units, `${where}.config.units`, 1, MAX_UNITS);
    const useBias = cfg.use_bias === undefined ? true : r.bool(cfg.use_bias, `${where}.config.use_bias`);
    weights += width * units + (useBias ? units : 0);
    width = units;
  }
  return weights;
}

/** Refuses a topology whose weights would take more than `maxWeightBytes` as float32. */
export function checkImpliedSize(r: Reader, weights: number, maxWeightBytes: number): void {
  const bytes = weights * FLOAT32_BYTES;
  if (bytes > maxWeightBytes) {
    r.fail(
      'modelTopology',
      `the layers hold ${weights.toLocaleString('en-US')} weights (${formatBytes(bytes)} as float32), more than ` +
        `maxWeightBytes (${formatBytes(maxWeightBytes)}); if the file is trusted, raise the cap with ` +
        `loadLayersModel(path, { maxWeightBytes })`,
    );
  }
}

/**
 * With `strict` (every model weight present, none extra), the manifest's model weights must hold exactly the
 * number of values the topology implies; the names and shapes are matched one by one after the files are read.
 */
export function checkManifestAgainstTopology(r: Reader, groups: ManifestGroup[], weights: number, strict: boolean) {
  if (!strict) return;
  let present = 0;
  for (const g of groups) for (const e of g.entries) if (e.group === 'model') present += e.size;
  if (present !== weights) {
    r.fail(
      'weightsManifest',
      `the model's layers hold ${weights.toLocaleString('en-US')} weights but the manifest lists ` +
        `${present.toLocaleString('en-US')} (missing or extra weights, or a topology that does not match them)`,
    );
  }
}

/** Refuses weight files whose total is over the cap, before the buffer for them is allocated. */
export function checkFileBytes(r: Reader, bytes: number, maxWeightBytes: number): void {
  if (bytes > maxWeightBytes) {
    r.fail(
      'weightsManifest',
      `the weight files hold ${formatBytes(bytes)}, more than maxWeightBytes (${formatBytes(maxWeightBytes)}); ` +
        `if the files are trusted, raise the cap with loadLayersModel(path, { maxWeightBytes })`,
    );
  }
}
