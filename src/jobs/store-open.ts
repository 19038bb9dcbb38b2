/**
 * Opening what a directory store holds without ever following a symbolic link, relative to a descriptor held
 * on the store's root (the store's half of store.ts).
 *
 * Each segment of a key is opened with O_NOFOLLOW from the descriptor of the segment before it (the path
 * `/proc/self/fd/<fd>/<segment>`: Linux resolves `/proc/self/fd/<fd>` to the open directory itself, wherever it
 * has moved since), so a link anywhere in a key is refused, and swapping a directory for a link after the
 * check cannot redirect anything: readers and writers are handed the path of the opened descriptor, which
 * reaches the opened file or directory and nothing else. Where `/proc/self/fd` is missing (not Linux) the same
 * walk is made by name and the descriptor's identity is compared with the real path's: links are still refused,
 * but a swap between the check and a later use is only caught by the re-check before each save.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { quote } from '../quote';

/** What a store holds under a key: a file (data) or a directory (a saved model, a checkpoint). */
export type StoreEntryKind = 'file' | 'directory';

/**
 * What a worker thread needs to re-check, before it writes, that a key still names the directory it was given:
 * plain data, so it can be posted to a thread. `root` reaches the store's root; dev and ino identify the directory.
 */
export interface StoreGuard {
  root: string;
  key: string;
  what: string;
  dev: string;
  ino: string;
}

const C = fs.constants;
const DIR_FLAGS = C.O_RDONLY | C.O_DIRECTORY | (C.O_NOFOLLOW ?? 0);
const FILE_FLAGS = C.O_RDONLY | (C.O_NOFOLLOW ?? 0) | (C.O_NONBLOCK ?? 0);

/** The path of an open descriptor, on systems that have one. */
export function descriptorPath(fd: number): string {
  return `/proc/self/fd/${fd}`;
}

/** Whether this system reaches open descriptors as paths (checked once, on a descriptor of `dir`). */
let viaDescriptors: boolean | undefined;
function descriptorsWork(fd: number): boolean {
  if (viaDescriptors === undefined) {
    try {
      const a = fs.fstatSync(fd);
      const b = fs.statSync(descriptorPath(fd));
      viaDescriptors = a.dev === b.dev && a.ino === b.ino;
    } catch {
      viaDescriptors = false;
    }
  }
  return viaDescriptors;
}

/** An error about `key`, naming it as `what` (e.g. "data.csv 'datasets/x.csv' is a symbolic link"). */
export class StoreKeyError extends Error {}

function keyError(what: string, key: string, problem: string): StoreKeyError {
  return new StoreKeyError(`${what} ${quote(key)} ${problem}`);
}

/** Why opening `p` (a segment of `key`) failed, in words, for the common errors. */
function openFailure(e: unknown, p: string, what: string, key: string, last: boolean): Error {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return keyError(what, key, 'does not exist in the store');
  if (code === 'ELOOP' || code === 'ENOTDIR' || code === 'EMLINK') {
    let link = code !== 'ENOTDIR';
    try {
      link ||= fs.lstatSync(p).isSymbolicLink();
    } catch {
      // gone meanwhile: the errno says enough
    }
    if (link)
      return keyError(
        what,
        key,
        'is or passes through a symbolic link; links are not followed in the store (one could lead outside it)',
      );
    return keyError(what, key, last ? 'is not a directory in the store' : 'passes through a file');
  }
  return keyError(what, key, `cannot be opened in the store (${code ?? (e as Error).message})`);
}

/**
 * Opens `key` under the directory reached by `start` (a real path, or a descriptor's path), one segment at a
 * time without following links, creating missing directories when `create`. Returns the open descriptor.
 */
function walk(start: string, key: string, kind: StoreEntryKind, what: string, create: boolean, fds: boolean): number {
  const segments = key.split('/');
  let dir = start;
  let dirFd = -1;
  try {
    for (const [i, segment] of segments.entries()) {
      const last = i === segments.length - 1;
      const p = `${dir}/${segment}`;
      const wantDirectory = !last || kind === 'directory';
      if (create && wantDirectory) {
        try {
          fs.mkdirSync(p, 0o755);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw openFailure(e, p, what, key, last);
        }
      }
      let fd: number;
      try {
        fd = fs.openSync(p, wantDirectory ? DIR_FLAGS : FILE_FLAGS);
      } catch (e) {
        throw openFailure(e, p, what, key, last);
      }
      if (dirFd >= 0) fs.closeSync(dirFd);
      dirFd = fd;
      dir = fds ? descriptorPath(fd) : p;
    }
    const fd = dirFd;
    dirFd = -1;
    return fd;
  } finally {
    if (dirFd >= 0) fs.closeSync(dirFd);
  }
}

/** The store's root, held open for as long as the store is used. */
export class StoreRoot {
  /** The root's real path. */
  readonly path: string;
  readonly fd: number;
  /** A path that reaches the root: its descriptor's, or its real path where descriptors have none. */
  readonly reach: string;
  private readonly fds: boolean;

  constructor(root: string) {
    this.path = fs.realpathSync(root);
    this.fd = fs.openSync(this.path, DIR_FLAGS);
    this.fds = descriptorsWork(this.fd);
    this.reach = this.fds ? descriptorPath(this.fd) : this.path;
  }

  /**
   * Opens `key` (already checked by checkStoreKey) as a file or directory, without following links; with
   * `create`, missing directories are made. Returns the descriptor and a path that reaches exactly it.
   */
  open(key: string, kind: StoreEntryKind, what: string, create = false): { fd: number; path: string; stat: fs.Stats } {
    const fd = walk(this.reach, key, kind, what, create, this.fds);
    try {
      const stat = fs.fstatSync(fd);
      if (kind === 'file' && !stat.isFile()) throw keyError(what, key, 'is not a regular file in the store');
      if (!this.fds) this.sameAsNamed(fd, key, what);
      return { fd, path: this.fds ? descriptorPath(fd) : path.join(this.path, key), stat };
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }

  /** Without descriptor paths: the descriptor must be the file the key names now, with no link on the way. */
  private sameAsNamed(fd: number, key: string, what: string): void {
    const named = path.join(this.path, key);
    let same = false;
    try {
      const a = fs.fstatSync(fd);
      const b = fs.lstatSync(named);
      same = fs.realpathSync(named) === named && a.dev === b.dev && a.ino === b.ino;
    } catch {
      same = false;
    }
    if (!same) throw keyError(what, key, 'changed while it was being opened; try again');
  }

  /** A guard a worker thread can check before each write into the directory `fd` opened for `key`. */
  guard(fd: number, key: string, what: string): StoreGuard {
    const s = fs.fstatSync(fd, { bigint: true });
    return { root: this.reach, key, what, dev: String(s.dev), ino: String(s.ino) };
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

/**
 * Throws unless `guard.key` still names, without links, the directory the guard was made for: a directory
 * swapped for a link (or another directory) during a job stops its saves instead of redirecting them.
 * @example checkGuard(start.checkpointGuard); model.save(start.checkpointDir);
 */
export function checkGuard(guard: StoreGuard): void {
  let fd: number;
  try {
    fd = walk(guard.root, guard.key, 'directory', guard.what, false, guard.root.startsWith('/proc/self/fd/'));
  } catch (e) {
    throw new Error(`${(e as Error).message}; it was replaced or removed during the job, which stops without saving`);
  }
  try {
    const s = fs.fstatSync(fd, { bigint: true });
    if (String(s.dev) !== guard.dev || String(s.ino) !== guard.ino)
      throw keyError(
        guard.what,
        guard.key,
        'was replaced by another directory during the job; the job stops rather than save elsewhere',
      );
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Removes `key` and, for a directory, everything under it, never following a link (a link is removed itself);
 * nothing is done when the key is missing. Refuses trees deeper than `maxDepth`.
 */
export function removeBeneath(root: StoreRoot, key: string, maxDepth = 64): void {
  const slash = key.lastIndexOf('/');
  const parentKey = slash < 0 ? '' : key.slice(0, slash);
  const name = key.slice(slash + 1);
  let parentFd = -1;
  let parent = root.reach;
  if (parentKey) {
    try {
      const opened = root.open(parentKey, 'directory', 'store key');
      parentFd = opened.fd;
      parent = opened.path;
    } catch (e) {
      if (/does not exist in the store/.test((e as Error).message)) return;
      throw e;
    }
  }
  try {
    removeEntry(`${parent}/${name}`, maxDepth, root.reach !== root.path);
  } finally {
    if (parentFd >= 0) fs.closeSync(parentFd);
  }
}

function removeEntry(p: string, depth: number, fds: boolean): void {
  let fd: number;
  try {
    fd = fs.openSync(p, DIR_FLAGS);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code !== 'ENOTDIR' && code !== 'ELOOP') throw e;
    fs.rmSync(p, { force: true }); // a file or a link: unlink never follows it
    return;
  }
  try {
    if (depth <= 0) throw new Error(`store.remove(): the tree is too deep to remove`);
    const inside = fds ? descriptorPath(fd) : p;
    for (const child of fs.readdirSync(inside)) removeEntry(`${inside}/${child}`, depth - 1, fds);
  } finally {
    fs.closeSync(fd);
  }
  // rmdir does not follow a link either: a swap meanwhile leaves an error, never a deletion elsewhere.
  fs.rmdirSync(p);
}
