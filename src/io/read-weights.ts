/**
 * Reading the weight files a manifest names: every file is a regular file directly inside the model's
 * directory; all their sizes are checked against the manifest and the cap first, then each group is read
 * into one buffer of exactly that size, and each file checked against its recorded SHA-256 when it has one.
 */
import { sha256 } from './atomic';
import type { ManifestGroup } from './manifest';
import { containedIn, openRegularFile, readOpened, type OpenedFile } from './read-files';
import { FormatError, type Reader } from './safe-json';
import { checkFileBytes } from './size-check';
import type { ManifestEntry } from './weights';

const WHAT = 'weights file named in model.json';
const MISMATCH = 'truncated or wrong file';
const HELD_OPEN = 64;

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
  /** files[i]: the weights file (or files) entries[i] was read from, for messages. */
  files: string[];
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
  const fileCount = groups.reduce((n, g) => n + g.paths.length, 0);
  // Up to HELD_OPEN files stay open from their size check to their read, so a file cannot be swapped or
  // removed in between (a concurrent save removing it is the common case); more are opened twice.
  const holdOpen = fileCount <= HELD_OPEN;
  const opened: OpenedFile[] = [];
  try {
    const inside = fileCount > 0 ? await containedIn(dir) : undefined;
    const files: { full: string; name: string; size: number; held?: OpenedFile }[][] = [];
    let total = 0;
    // First pass: sizes only, so nothing is allocated for files that do not match the manifest or the cap.
    for (const [gi, g] of groups.entries()) {
      const group = [];
      let bytes = 0;
      for (const name of g.paths) {
        const full = await inside!(name, WHAT);
        const f = await openRegularFile(full, { what: WHAT, maxBytes: options.maxWeightBytes });
        if (holdOpen) opened.push(f);
        else await f.handle.close();
        group.push({ full, name, size: f.size, held: holdOpen ? f : undefined });
        bytes += f.size;
      }
      if (bytes !== g.bytes) {
        throw new FormatError(
          group.length === 1 ? group[0].full : `${r.file} weightsManifest[${gi}]`,
          `weights are ${bytes} bytes but the manifest's shapes need ${g.bytes} (${MISMATCH})`,
        );
      }
      total += bytes;
      checkFileBytes(r, total, options.maxWeightBytes);
      files.push(group);
    }
    // Second pass: each file read through its descriptor, for exactly the size the first pass found.
    const entries: ManifestEntry[] = [];
    const buffers: Uint8Array[] = [];
    const sources: string[] = [];
    for (const [gi, g] of groups.entries()) {
      const bytes = new Uint8Array(g.bytes);
      let offset = 0;
      for (const { full, name, size, held } of files[gi]) {
        const part = bytes.subarray(offset, offset + size);
        if (held) await readOpened(held, part);
        else await readRegularFileInto(full, part);
        if (options.checksums) verifyChecksum(full, name, part, options.checksums);
        offset += size;
      }
      const source = files[gi].map((f) => f.full).join(', ');
      for (const e of g.entries) {
        entries.push(e);
        buffers.push(bytes);
        sources.push(source);
      }
    }
    return { entries, buffers, files: sources };
  } finally {
    await Promise.all(opened.map((f) => f.handle.close()));
  }
}

async function readRegularFileInto(full: string, into: Uint8Array): Promise<void> {
  const size = into.byteLength;
  const f = await openRegularFile(full, { what: WHAT, maxBytes: size, expectedBytes: size, mismatch: MISMATCH });
  try {
    await readOpened(f, into);
  } finally {
    await f.handle.close();
  }
}
