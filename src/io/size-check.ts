/**
 * How many weights a topology implies, computed from its JSON alone, and the checks of that number against
 * the size cap and the manifest — all before any layer is made or anything sized by the file is allocated, so
 * a small model.json that declares a huge model fails at once instead of after allocating it.
 *
 * The count comes from the layer registry's weight shapes (read-topology.ts plannedWeights), computed from
 * constructed but unbuilt layers.
 */
import { formatBytes } from '../limits';
import type { Reader } from './safe-json';
import type { ManifestGroup } from './manifest';

/** Bytes per weight value in the files' float32, the unit of `maxWeightBytes`. */
export const FLOAT32_BYTES = 4;
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
