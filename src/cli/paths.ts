/**
 * Output locations checked before any work: a training that ends in "cannot write" wastes its whole run,
 * and a path such as /dev/null or an existing file given as a model directory is a mistake to catch first.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fail } from './errors';

function writable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** The stat of `p`, or undefined if nothing is there (a dangling symlink counts as nothing). */
function statOf(flag: string, p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // ENOTDIR: a parent is a file; the walk up to the nearest existing ancestor names it.
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    fail(`${flag} ${p}: cannot be checked (${code ?? (e as Error).message})`);
  }
}

/** For a path that does not exist yet: its nearest existing ancestor must be a writable directory. */
function checkCreatable(flag: string, p: string): void {
  let dir = path.dirname(path.resolve(p));
  let st = statOf(flag, dir);
  while (!st && path.dirname(dir) !== dir) {
    dir = path.dirname(dir);
    st = statOf(flag, dir);
  }
  if (!st?.isDirectory()) fail(`${flag} ${p}: cannot be created, because ${dir} is not a directory`);
  if (!writable(dir)) fail(`${flag} ${p}: cannot be created, because ${dir} is not writable`);
}

/**
 * `--out <dir>` for a saved model: an existing writable directory, or a path that can be created.
 * @example checkOutputDir('--out', 'models/iris') // throws a CliError for '/dev/null' or an existing file
 */
export function checkOutputDir(flag: string, p: string): void {
  if (p === '') fail(`${flag} must name a directory`);
  const st = statOf(flag, p);
  if (!st) return checkCreatable(flag, p);
  if (!st.isDirectory()) fail(`${flag} ${p}: exists and is not a directory; give a directory for the model`);
  if (!writable(p)) fail(`${flag} ${p}: the directory is not writable`);
}

/**
 * An output file (`--report`, predict's `--out`): an existing writable regular file (overwritten), or a
 * path that can be created — not a directory or a device.
 * @example checkOutputFile('--report', 'report.html')
 */
export function checkOutputFile(flag: string, p: string): void {
  if (p === '') fail(`${flag} must name a file`);
  const st = statOf(flag, p);
  if (!st) return checkCreatable(flag, p);
  if (st.isDirectory()) fail(`${flag} ${p}: is a directory; give a file name`);
  if (!st.isFile()) fail(`${flag} ${p}: is not a regular file (a device or pipe); give a file name`);
  if (!writable(p)) fail(`${flag} ${p}: the file is not writable`);
}
