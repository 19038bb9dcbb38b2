/**
 * Reading the weight files a manifest names: every file is a regular file directly inside the model's
 * directory; all their sizes are checked against the manifest and the cap first, then each group is read
 * into one buffer of exactly that size, and each file checked against its recorded SHA-256 when it has one.
 */
import { sha256 } from './atomic';
import type { ManifestGroup } from './manifest';
import { pathInside, readRegularFile, regularFileSize } from './read-files';
import { FormatError, type Reader } from './safe-json';
import { checkFileBytes } from './size-check';
import type { ManifestEntry } from './weights';

const WHAT = 'weights file named in model.json';
const MISMATCH = 'truncated or wrong file';

export interface ReadWeightsOptions {
  /** Per-file checksums recorded at save time ('sha256:<hex>' by file name), or undefined if none. */
  checksums?: Record<string, string>;
  maxWeightBytes: number;
}

export interface WeightBytes {
  /** All entries, in manifest order; each entry's offset is inside its group's buffer. */
  entries: ManifestEntry[];
  /** buffers[i] holds entries[i]'s bytes (one shared buffer per group). */
  buffers: Uint8Array[];
}

function verifyChecksum(full: string, name: string, bytes: Uint8Array, checksums: Record<string, string>): void {
  const want = checksums[name];
  if (want === undefined)
    throw new FormatError(full, `has no checksum in model.json although the model was saved with checksums`);
  const got = `sha256:${sha256(bytes)}`;
  if (got !== want) {
    throw new FormatError(
      full,
      `checksum mismatch (file ${got.slice(0, 19)}…, model.json ${want.slice(0, 19)}…): the file ` +
        `is corrupt or from another save`,
    );
  }
}

/**
 * Reads every group's files (see the file comment for the checks), or fails with a FormatError naming the file.
 * @example const { entries, buffers } = await readWeightFiles(r, readManifest(r, root), dir, { maxWeightBytes });
 */
export async function readWeightFiles(
  r: Reader,
  groups: ManifestGroup[],
  dir: string,
  options: ReadWeightsOptions,
): Promise<WeightBytes> {
  // First pass: sizes only, so nothing is allocated for files that do not match the manifest or the cap.
  const sized: { full: string; name: string; size: number }[][] = [];
  let total = 0;
  for (const [gi, g] of groups.entries()) {
    const files = [];
    let bytes = 0;
    for (const name of g.paths) {
      const full = await pathInside(dir, name, WHAT);
      const size = await regularFileSize(full, { what: WHAT, maxBytes: options.maxWeightBytes });
      files.push({ full, name, size });
      bytes += size;
    }
    if (bytes !== g.bytes) {
      throw new FormatError(
        files.length === 1 ? files[0].full : `${r.file} weightsManifest[${gi}]`,
        `weights are ${bytes} bytes but the manifest's shapes need ${g.bytes} (${MISMATCH})`,
      );
    }
    total += bytes;
    checkFileBytes(r, total, options.maxWeightBytes);
    sized.push(files);
  }
  // Second pass: each file read through its descriptor, for exactly the size the first pass found.
  const entries: ManifestEntry[] = [];
  const buffers: Uint8Array[] = [];
  for (const [gi, g] of groups.entries()) {
    const bytes = new Uint8Array(g.bytes);
    let offset = 0;
    for (const { full, name, size } of sized[gi]) {
      const part = bytes.subarray(offset, offset + size);
      await readRegularFile(full, { what: WHAT, maxBytes: size, expectedBytes: size, mismatch: MISMATCH }, part);
      if (options.checksums) verifyChecksum(full, name, part, options.checksums);
      offset += size;
    }
    for (const e of g.entries) {
      entries.push(e);
      buffers.push(bytes);
    }
  }
  return { entries, buffers };
}
