/**
 * Which files a save may delete when other processes save to and load from the same directory.
 *
 * A save (save.ts) runs: (1) pin — create `<W>.bp-pin-<host>-<pid>-<random>`, where W is a weights file name
 * no save ever used before (content hash + random part); (2) write W (temp file, fsync, rename); (3) read the
 * model.json it is about to replace — its weights are the "previous" ones; (4) replace model.json (temp file,
 * fsync, rename); (5) remove the pin; (6) clean up as below. A crash at any step leaves model.json naming a
 * complete weights file: W exists before model.json names it, and nothing deletes what model.json names.
 *
 * The cleanup rule. A weights file (`weights-….bin`) is deleted only when, in this order:
 *   a. it was listed in a first directory listing (so it existed before the steps below), and
 *   b. a second listing shows no pin for it by a live writer, and
 *   c. model.json, read after that second listing, does not name it, and
 *   d. it is neither this save's file nor the "previous" one of step 3.
 * Why no writer deletes a file another writer is about to reference: a writer pins W before W exists and
 * unpins only after its model.json names W. If W was in listing (a), its pin already existed then, so either
 * listing (b) sees the pin (W kept), or the pin was removed before (b) ended — then the writer's model.json
 * rename happened earlier still, so the model.json of (c) either names W (kept) or was replaced since, and no
 * writer can ever name W again (names are never reused). A writer that crashed leaves its pin; pins and temp
 * files of writers that are gone (process not running on this host; from another host, older than an hour)
 * are deleted, and that is safe: a dead writer renames nothing more.
 *
 * Why a loader never fails for good: model.json always names a file that exists, and d keeps the weights of
 * the model.json each save replaced, so with one writer a loader misses its weights file only if it read
 * model.json two or more saves ago (with several writers, after fewer); it then reads model.json again
 * (load.ts), as many times as model.json keeps changing under it, up to a bound.
 * If model.json cannot be read in (c), nothing is deleted. Errors while deleting are ignored (the file may
 * be gone already, or open on Windows); the next save tries again.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fsyncDir } from './atomic';
import { readRegularFileSync } from './read-files';
import { parseUntrustedJson } from './safe-json';
import { MAX_MODEL_JSON_BYTES } from './load-options';
import { parseMarker, writerAlive } from './writer-markers';

const WEIGHTS_FILE = /^weights-[0-9a-f]{12}(?:-[0-9a-f]{8})?\.bin$/;

/**
 * A weights file name no save has used: `weights-<first 12 hex of the SHA-256>-<8 random hex>.bin`.
 * @example newWeightsName('3fa2…') // 'weights-3fa2c01d9e7b-5c0e11aa.bin'
 */
export function newWeightsName(digestHex: string): string {
  return `weights-${digestHex.slice(0, 12)}-${crypto.randomBytes(4).toString('hex')}.bin`;
}

/** The file names model.json in `dir` refers to, or undefined when it is missing or unreadable. */
export function referencedWeights(dir: string): Set<string> | undefined {
  const file = path.join(dir, 'model.json');
  try {
    const text = Buffer.from(readRegularFileSync(file, { what: 'model.json', maxBytes: MAX_MODEL_JSON_BYTES }));
    const json = parseUntrustedJson(text.toString('utf8'), file) as { weightsManifest?: unknown };
    const names = new Set<string>();
    if (!Array.isArray(json?.weightsManifest)) return names;
    for (const g of json.weightsManifest as { paths?: unknown }[])
      if (g && Array.isArray(g.paths)) for (const p of g.paths) if (typeof p === 'string') names.add(p);
    return names;
  } catch {
    return undefined;
  }
}

function mtimeMs(file: string): number | undefined {
  try {
    return fs.lstatSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

function remove(file: string): boolean {
  try {
    fs.unlinkSync(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * Deletes the weights files no model.json can name any more, and the temp files and pins of writers that are
 * gone, following the rule above. `keep`: this save's weights file and the previous one.
 * @example removeStale('/models/a', new Set(['weights-3fa2c01d9e7b-5c0e11aa.bin']));
 */
export function removeStale(dir: string, keep: ReadonlySet<string>): void {
  try {
    removeStaleFiles(dir, keep);
  } catch {
    // Cleanup is best effort (the save itself is complete); the next save tries again.
  }
}

function removeStaleFiles(dir: string, keep: ReadonlySet<string>): void {
  const candidates = fs.readdirSync(dir).filter((f) => WEIGHTS_FILE.test(f) && !keep.has(f));
  const pinned = new Set<string>();
  const deadMarkers: string[] = [];
  for (const f of fs.readdirSync(dir)) {
    const marker = parseMarker(f);
    if (!marker) continue;
    const mtime = mtimeMs(path.join(dir, f));
    if (mtime === undefined) continue; // removed meanwhile by its writer
    if (writerAlive(marker, mtime)) {
      if (marker.kind === 'pin') pinned.add(marker.target);
    } else deadMarkers.push(f);
  }
  const current = referencedWeights(dir);
  let changed = false;
  if (current) {
    for (const f of candidates) if (!pinned.has(f) && !current.has(f)) changed = remove(path.join(dir, f)) || changed;
  }
  for (const f of deadMarkers) changed = remove(path.join(dir, f)) || changed;
  if (changed) fsyncDir(dir);
}
