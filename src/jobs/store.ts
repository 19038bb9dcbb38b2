/**
 * The store of a job queue: where datasets, checkpoints and finished models live, shared by every worker
 * and client. Jobs name files in it by key — a relative path such as 'datasets/iris.csv' — and nothing a
 * job names can resolve outside it: no absolute paths, no '..', no symbolic link anywhere in a key.
 *
 * `directoryStore(root)` is a directory (a local disk for one machine, a shared file system — NFS, EFS,
 * a Kubernetes ReadWriteMany volume — for many). The interface is small so that an object store can
 * implement it later: `open` downloads to a cache, `commit` uploads what a job wrote.
 */
import * as fs from 'node:fs';
import { quote } from '../quote';
import { removeBeneath, StoreRoot, type StoreEntryKind, type StoreGuard } from './store-open';

export type { StoreEntryKind, StoreGuard };

/**
 * A file or directory of the store, opened: `path` reaches exactly what was opened (not whatever has its key
 * by the time it is read), and stays valid until `close()`.
 */
export interface StoreEntry {
  readonly key: string;
  readonly kind: StoreEntryKind;
  /** A local path to what was opened, for readers and writers in this process (its worker threads included). */
  readonly path: string;
  /** Bytes of a file, as its opened descriptor says (0 for a directory). */
  readonly size: number;
  /**
   * For a directory opened for writing: what a writer checks before each save that the key still names it
   * (store-open.ts checkGuard); undefined when the store has nothing to check.
   */
  readonly guard?: StoreGuard;
  /** Releases the entry (its descriptor); `path` must not be used after. */
  close(): void;
}

export interface JobStore {
  /** Says where the store is (for messages and logs). */
  readonly description: string;
  /**
   * Opens the file or directory at `key` for reading; throws when the key is bad, missing, of the other kind or
   * reaches through a symbolic link, naming the key as `what` (e.g. 'data.csv'). Close the entry when done.
   */
  open(key: string, kind: StoreEntryKind, what?: string): Promise<StoreEntry>;
  /** Opens (creating it if needed) a directory a job writes under `key`. Close the entry when done. */
  openWritable(key: string, what?: string): Promise<StoreEntry>;
  /** Makes what was written under `key` durable and visible to other machines (a directory: nothing to do). */
  commit(key: string): Promise<void>;
  /** Deletes what is under `key`, if anything. */
  remove(key: string): Promise<void>;
}

/** Longest key accepted. */
const MAX_KEY_LENGTH = 1024;

/**
 * Checks a key's form: a relative path of plain segments (no '', '.', '..', backslash or NUL).
 * @example checkStoreKey('datasets/iris.csv', 'data.csv') // ok; '../etc/passwd' or '/etc/passwd' throw
 */
export function checkStoreKey(key: unknown, what: string): string {
  const hint = `a path inside the store such as 'datasets/iris.csv'`;
  if (typeof key !== 'string' || key === '') throw new Error(`${what} must be ${hint}`);
  if (key.length > MAX_KEY_LENGTH) throw new Error(`${what} is longer than ${MAX_KEY_LENGTH} characters`);
  if (key.startsWith('/') || /^[A-Za-z]:/.test(key))
    throw new Error(`${what} ${quote(key)} is an absolute path; give ${hint}`);
  if (/[\\\0]/.test(key)) throw new Error(`${what} ${quote(key)} has a backslash or NUL; give ${hint}`);
  for (const segment of key.split('/'))
    if (segment === '' || segment === '.' || segment === '..')
      throw new Error(`${what} ${quote(key)} has an empty, '.' or '..' segment; give ${hint}`);
  return key;
}

/**
 * A store on a directory (local or on a shared file system). Every key is opened relative to a descriptor
 * held on the root, one segment at a time, never through a symbolic link (store-open.ts); what is opened is
 * handed on as the open descriptor's path, so nothing swapped in after the check is ever read or written.
 */
export class DirectoryStore implements JobStore {
  /** The root's real path. */
  readonly root: string;
  readonly description: string;
  private readonly held: StoreRoot;
  constructor(root: string) {
    if (typeof root !== 'string' || root === '') throw new Error(`directoryStore(): 'root' must be a directory path`);
    fs.mkdirSync(root, { recursive: true });
    if (!fs.statSync(root).isDirectory()) throw new Error(`directoryStore(): ${root} is not a directory`);
    this.held = new StoreRoot(root);
    this.root = this.held.path;
    this.description = `directory ${this.root}`;
  }

  private entry(key: string, kind: StoreEntryKind, what: string, create: boolean): StoreEntry {
    const { fd, path, stat } = this.held.open(checkStoreKey(key, what), kind, what, create);
    let open = true;
    return {
      key,
      kind,
      path,
      size: kind === 'file' ? stat.size : 0,
      guard: create ? this.held.guard(fd, key, what) : undefined,
      close: () => {
        if (open) fs.closeSync(fd);
        open = false;
      },
    };
  }

  async open(key: string, kind: StoreEntryKind, what = 'store key'): Promise<StoreEntry> {
    return this.entry(key, kind, what, false);
  }

  async openWritable(key: string, what = 'store key'): Promise<StoreEntry> {
    return this.entry(key, 'directory', what, true);
  }

  async commit(): Promise<void> {
    // Files are written in place (atomically, by the model saver): nothing to upload.
  }

  async remove(key: string): Promise<void> {
    removeBeneath(this.held, checkStoreKey(key, 'store key'));
  }
}

/**
 * A store on a directory, created if missing.
 * @example const store = bp.jobs.directoryStore('/mnt/shared/backprop');
 */
export function directoryStore(root: string): DirectoryStore {
  return new DirectoryStore(root);
}

/** A store given as a directory path or a store object. */
export function toStore(store: unknown, where: string): JobStore {
  if (typeof store === 'string') return new DirectoryStore(store);
  const s = store as JobStore | undefined;
  if (s && typeof s === 'object' && typeof s.open === 'function' && typeof s.openWritable === 'function') return s;
  throw new Error(`${where}: 'store' must be a directory path or a store (bp.jobs.directoryStore(dir))`);
}

/**
 * Keys of a queued job's own entries in the store (its worker writes them; whoever queued it may remove them).
 * @example await store.remove(bp.jobs.storeKeys.checkpoint(job.id));
 */
export const storeKeys = {
  checkpoint: (jobId: string) => `checkpoints/${jobId}`,
  model: (jobId: string) => `models/${jobId}`,
};
