/**
 * Outputs that would destroy an input or each other are refused before any work: `backprop export --onnx
 * <model>/model.json` replaced the model it was exporting, and `--onnx x --safetensors x` kept only the second
 * file. Paths are compared by what they name, not by how they are spelled: symbolic links are followed (a link
 * given as an output is written through by a plain write), and existing files and folders are compared by
 * device and inode, so a second name for the same file (a hard link) or folder (a bind mount) is caught too.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fail } from './errors';

/** A path given on the command line, with the flag that gave it (for the message). */
export interface PathArg {
  flag: string;
  path: string;
}

export interface PathsOfCommand {
  /** Inputs: files (CSV, IDX, JSON specs) no output may be, and folders (a model, images) no output may enter. */
  inputs?: PathArg[];
  /** Output files: each must name a different file. */
  outputFiles?: PathArg[];
  /** Output model directories: a save writes model.json (and weights files) there. */
  outputModelDirs?: PathArg[];
}

const MAX_LINKS = 40;

/** Device and inode of what `p` names (following links), or undefined if nothing is there. */
function idOf(p: string): string | undefined {
  try {
    const st = fs.statSync(p);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

/**
 * Where a write to `p` lands: symbolic links (also dangling ones, which a write would create) are followed, and
 * the nearest existing folder is made real; the part below it does not exist yet.
 */
function landing(p: string): { existing: string; rest: string[] } {
  let target = path.resolve(p);
  for (let hops = 0; hops < MAX_LINKS; hops++) {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(target);
    } catch {
      break;
    }
    if (!st.isSymbolicLink()) break;
    target = path.resolve(path.dirname(target), fs.readlinkSync(target));
  }
  const rest: string[] = [];
  let existing = target;
  for (;;) {
    try {
      return { existing: fs.realpathSync(existing), rest };
    } catch {
      const parent = path.dirname(existing);
      if (parent === existing) return { existing, rest };
      rest.unshift(path.basename(existing));
      existing = parent;
    }
  }
}

/** A key equal for two paths exactly when writes to them land in the same file. */
function fileKey(p: string): string {
  const { existing, rest } = landing(p);
  if (rest.length === 0) return idOf(existing) ?? existing;
  return `${idOf(existing) ?? existing}/${rest.join('/')}`;
}

/** The input folder (device and inode) that `p` is, or lies inside, if any. */
function enclosingInput(p: string, dirs: Map<string, PathArg>): PathArg | undefined {
  let dir = landing(p).existing;
  for (;;) {
    const id = idOf(dir);
    const hit = id === undefined ? undefined : dirs.get(id);
    if (hit) return hit;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * Refuses (a CliError naming both flags) an output that is an input file, is or lies inside an input folder,
 * or is the same file as another output.
 * @example checkPathsApart({ inputs: [{ flag: '--model', path: 'm' }], outputFiles: [{ flag: '--onnx', path: 'o' }] })
 */
export function checkPathsApart(paths: PathsOfCommand): void {
  const dirs = new Map<string, PathArg>();
  const inputs = new Map<string, PathArg>();
  for (const input of paths.inputs ?? []) {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(input.path);
    } catch {
      continue; // missing: the command's own check names it
    }
    if (st.isDirectory()) dirs.set(`${st.dev}:${st.ino}`, input);
    else inputs.set(fileKey(input.path), input);
  }
  const insideInput = (o: PathArg, what: string) => {
    const dir = enclosingInput(o.path, dirs);
    if (dir) {
      fail(
        `${o.flag} ${o.path}: is inside the input ${dir.flag} ${dir.path}, which the ${what} could overwrite or ` +
          `change; write it outside that folder`,
      );
    }
  };
  const files = [...(paths.outputFiles ?? [])];
  for (const d of paths.outputModelDirs ?? []) {
    insideInput(d, 'model');
    files.push({ flag: d.flag, path: path.join(d.path, 'model.json') });
  }
  const outputs = new Map<string, PathArg>();
  for (const o of files) {
    const key = fileKey(o.path);
    const input = inputs.get(key);
    if (input) fail(`${o.flag} ${o.path}: is the input ${input.flag} ${input.path}; write the output elsewhere`);
    insideInput(o, 'output');
    const other = outputs.get(key);
    if (other) fail(`${o.flag} ${o.path}: is the same file as ${other.flag} ${other.path}; give two different files`);
    outputs.set(key, o);
  }
}
