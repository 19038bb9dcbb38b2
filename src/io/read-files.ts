/**
 * Reading model files as hostile input: only regular files inside the model's directory, opened without
 * following symbolic links and without blocking, and read through the opened descriptor for exactly the size
 * its fstat reports (and, where the caller knows it, the size the manifest expects) — never more.
 *
 * The checks that matter are made on the descriptor (O_NOFOLLOW, fstat), not on the path, so swapping a
 * file for a symlink or a FIFO between the check and the read cannot get past them; the lstat before the open
 * only gives the clearer error in the common case.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FormatError } from './safe-json';
import { quote } from '../quote';

// Windows has neither flag; there the lstat and fstat checks remain.
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) | (fs.constants.O_NONBLOCK ?? 0);

/** A file the model's files name does not exist (the loader retries when a concurrent save explains it). */
export class MissingFileError extends FormatError {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(path, message);
  }
}

export interface ReadLimits {
  /** What the file is, for errors ("model.json", "weights file named in model.json"). */
  what: string;
  /** Refuse files larger than this many bytes. */
  maxBytes: number;
  /** The exact size the file must have (from the manifest), checked before anything is allocated. */
  expectedBytes?: number;
  /** Extra words for a size mismatch with `expectedBytes` (e.g. "truncated or wrong file"). */
  mismatch?: string;
}

function describeKind(s: fs.Stats): string {
  if (s.isSymbolicLink()) return 'a symbolic link';
  if (s.isDirectory()) return 'a directory';
  if (s.isFIFO()) return 'a FIFO';
  if (s.isSocket()) return 'a socket';
  if (s.isCharacterDevice() || s.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

function refuseKind(file: string, what: string, s: fs.Stats): never {
  throw new FormatError(file, `${what} is ${describeKind(s)}; only regular files are read (links are not followed)`);
}

function openError(file: string, what: string, e: unknown): FormatError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new MissingFileError(file, `${what} is missing`);
  if (code === 'ELOOP') return new FormatError(file, `${what} is a symbolic link; links are not followed`);
  return new FormatError(file, `${what} cannot be opened (${code ?? (e as Error).message})`);
}

/** The size checks made on the opened descriptor's fstat, before the buffer is allocated. */
function checkOpened(file: string, s: fs.Stats, limits: ReadLimits): number {
  if (!s.isFile()) refuseKind(file, limits.what, s);
  if (s.size > limits.maxBytes)
    throw new FormatError(file, `${limits.what} is ${s.size} bytes; files over ${limits.maxBytes} bytes are refused`);
  if (limits.expectedBytes !== undefined && s.size !== limits.expectedBytes) {
    const why = limits.mismatch ? ` (${limits.mismatch})` : '';
    throw new FormatError(file, `${limits.what} is ${s.size} bytes but ${limits.expectedBytes} are expected${why}`);
  }
  return s.size;
}

/** The least a `FileHandle` must do for readExactly (a parameter so tests can give short or long reads). */
export interface ReadableHandle {
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
}

/**
 * Fills `into` from position 0 of the file, then checks nothing follows: a file shorter or longer than its
 * fstat size (changed while being read, or a file such as those in /proc whose size is not its length) is refused.
 */
export async function readExactly(handle: ReadableHandle, into: Uint8Array, file: string, what: string): Promise<void> {
  let done = 0;
  while (done < into.byteLength) {
    const { bytesRead } = await handle.read(into, done, into.byteLength - done, done);
    if (bytesRead === 0)
      throw new FormatError(file, `${what} ended after ${done} of its ${into.byteLength} bytes (changed while read)`);
    done += bytesRead;
  }
  const probe = new Uint8Array(1);
  if ((await handle.read(probe, 0, 1, done)).bytesRead !== 0)
    throw new FormatError(file, `${what} is longer than its ${into.byteLength} bytes (changed while read)`);
}

/** Sync twin of readExactly, for the saver's look at the model.json it is about to replace. */
function readExactlySync(fd: number, into: Uint8Array, file: string, what: string): void {
  let done = 0;
  while (done < into.byteLength) {
    const n = fs.readSync(fd, into, done, into.byteLength - done, done);
    if (n === 0) throw new FormatError(file, `${what} ended after ${done} of its ${into.byteLength} bytes`);
    done += n;
  }
  if (fs.readSync(fd, new Uint8Array(1), 0, 1, done) !== 0)
    throw new FormatError(file, `${what} is longer than its ${into.byteLength} bytes`);
}

async function lstatRegular(file: string, what: string): Promise<void> {
  let s: fs.Stats;
  try {
    s = await fs.promises.lstat(file);
  } catch (e) {
    throw openError(file, what, e);
  }
  if (!s.isFile()) refuseKind(file, what, s);
}

/** A file opened by openRegularFile: its descriptor passed the checks and has `size` bytes. */
export interface OpenedFile {
  handle: fs.promises.FileHandle;
  size: number;
  file: string;
  what: string;
}

/**
 * Opens a regular file for reading (no link followed, no blocking) and checks its descriptor against
 * `limits`; the caller reads it with readOpened and closes `handle`.
 * @example const f = await openRegularFile('/m/w.bin', { what: 'weights file', maxBytes: 2 ** 31 });
 */
export async function openRegularFile(file: string, limits: ReadLimits): Promise<OpenedFile> {
  await lstatRegular(file, limits.what);
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file, OPEN_FLAGS);
  } catch (e) {
    throw openError(file, limits.what, e);
  }
  try {
    return { handle, size: checkOpened(file, await handle.stat(), limits), file, what: limits.what };
  } catch (e) {
    await handle.close();
    throw e;
  }
}

/** Reads an opened file whole into `into` (of exactly its size) or a new buffer. */
export async function readOpened(opened: OpenedFile, into?: Uint8Array): Promise<Uint8Array> {
  if (into && into.byteLength !== opened.size) throw new Error(`readOpened: 'into' must have ${opened.size} bytes`);
  const out = into ?? new Uint8Array(opened.size);
  await readExactly(opened.handle, out, opened.file, opened.what);
  return out;
}

/**
 * Reads a whole regular file, or fails with a FormatError naming it.
 * @example const bytes = await readRegularFile('/m/model.json', { what: 'model.json', maxBytes: 1 << 26 });
 */
export async function readRegularFile(file: string, limits: ReadLimits): Promise<Uint8Array> {
  const opened = await openRegularFile(file, limits);
  try {
    return await readOpened(opened);
  } finally {
    await opened.handle.close();
  }
}

/** Sync version of readRegularFile (without `into`). */
export function readRegularFileSync(file: string, limits: ReadLimits): Uint8Array {
  let s: fs.Stats;
  try {
    s = fs.lstatSync(file);
  } catch (e) {
    throw openError(file, limits.what, e);
  }
  if (!s.isFile()) refuseKind(file, limits.what, s);
  let fd: number;
  try {
    fd = fs.openSync(file, OPEN_FLAGS);
  } catch (e) {
    throw openError(file, limits.what, e);
  }
  try {
    return readDescriptorSync(fd, file, limits);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Reads the whole regular file open on `fd`, checked against `limits` on its fstat before anything is allocated
 * (`file` names it in errors); the caller closes `fd`.
 * @example const bytes = readDescriptorSync(fd, 'datasets/d.csv', { what: 'the file', maxBytes: 2 ** 30 });
 */
export function readDescriptorSync(fd: number, file: string, limits: ReadLimits): Uint8Array {
  const out = new Uint8Array(checkOpened(file, fs.fstatSync(fd), limits));
  readExactlySync(fd, out, file, limits.what);
  return out;
}

/**
 * A checker for names in `dir`: it returns the path of a name, refused unless it is a plain file name that
 * resolves (after any links in the directory's own path) to an entry directly inside the directory.
 * @example const inside = await containedIn('/models/a'); const full = await inside('w.bin', 'weights file');
 */
export async function containedIn(dir: string): Promise<(name: string, what: string) => Promise<string>> {
  let realDir: string;
  try {
    realDir = await fs.promises.realpath(dir);
  } catch (e) {
    throw openError(dir, "the model's directory", e);
  }
  return async (name, what) => {
    const full = path.join(dir, name);
    if (path.basename(name) !== name || name === '.' || name === '..')
      throw new FormatError(full, `${what} ${quote(name)} is not a plain file name in the model's directory`);
    let realFile: string;
    try {
      realFile = await fs.promises.realpath(full);
    } catch (e) {
      throw openError(full, what, e);
    }
    if (path.dirname(realFile) !== realDir)
      throw new FormatError(full, `${what} resolves to ${realFile}, outside the model's directory ${realDir}`);
    return full;
  };
}
