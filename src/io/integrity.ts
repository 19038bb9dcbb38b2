/**
 * The checksums backprop writes into `userDefinedMetadata.backprop` (which TF.js ignores):
 * - `checksums`: the SHA-256 of each weights file's bytes;
 * - `manifestChecksum`: the SHA-256 of a canonical serialisation of the weights manifest — every entry's name,
 *   shape, dtype, group and quantization, in order, and each file's name with its checksum — so the bytes and
 *   the description of the bytes are checked together: a dtype, shape, name or order edited in model.json is
 *   refused like a flipped byte.
 *
 * They detect damage and mix-ups (a torn copy, a file from another save, a hand edit), not tampering: anyone
 * can recompute a SHA-256. Files without them (written by TF.js or its converter) load unchecked, and so do
 * files of earlier backprop versions that have `checksums` but no `manifestChecksum`.
 */
import { sha256 } from './atomic';
import type { Obj, Reader } from './safe-json';

/** A manifest entry as far as the checksum is concerned (written by the saver, read back by the loader). */
export interface ChecksummedEntry {
  name: string;
  shape: readonly number[];
  dtype: string;
  group?: string;
  quantization?: { dtype: string; scale?: number; min?: number };
}

export interface ChecksummedGroup {
  paths: readonly string[];
  entries: readonly ChecksummedEntry[];
}

const CANONICAL_VERSION = 'backprop-manifest-v1';

/** Fixed field order and defaults filled in, so equal manifests serialise to equal bytes. */
function canonicalManifest(groups: readonly ChecksummedGroup[], checksums: Readonly<Record<string, string>>): string {
  return JSON.stringify([
    CANONICAL_VERSION,
    groups.map((g) => [
      g.paths.map((p) => [p, Object.prototype.hasOwnProperty.call(checksums, p) ? checksums[p] : null]),
      g.entries.map((w) => [
        w.name,
        [...w.shape],
        w.dtype,
        w.group ?? 'model',
        w.quantization ? [w.quantization.dtype, w.quantization.scale ?? null, w.quantization.min ?? null] : null,
      ]),
    ]),
  ]);
}

/**
 * The value of `manifestChecksum` for a manifest and its files' checksums.
 * @example manifestChecksum([{ paths: ['w.bin'], entries }], { 'w.bin': 'sha256:…' }) // 'sha256:3f…'
 */
export function manifestChecksum(
  groups: readonly ChecksummedGroup[],
  checksums: Readonly<Record<string, string>>,
): string {
  return `sha256:${sha256(canonicalManifest(groups, checksums))}`;
}

/**
 * Checks `manifestChecksum` when the file has one, and returns the per-file checksums to verify as the
 * files are read (undefined for files saved without them).
 */
export function verifyManifest(
  r: Reader,
  bp: Obj | undefined,
  groups: readonly ChecksummedGroup[],
): Record<string, string> | undefined {
  const where = 'userDefinedMetadata.backprop';
  const raw = bp?.checksums === undefined ? undefined : r.obj(bp.checksums, `${where}.checksums`);
  const checksums: Record<string, string> | undefined = raw && Object.create(null);
  if (raw) for (const [k, v] of Object.entries(raw)) checksums![k] = r.str(v, `${where}.checksums.${k}`, 80);
  if (bp?.manifestChecksum === undefined) return checksums;
  const want = r.str(bp.manifestChecksum, `${where}.manifestChecksum`, 80);
  if (!checksums) r.fail(`${where}.checksums`, `missing, although the manifest has a checksum`);
  const got = manifestChecksum(groups, checksums);
  if (got !== want) {
    r.fail(
      'weightsManifest',
      `does not match its checksum (manifest ${got.slice(0, 19)}…, recorded ${want.slice(0, 19)}…): a weight's ` +
        `name, shape, dtype, order or quantization was changed after saving, or the files are from another save`,
    );
  }
  return checksums;
}
