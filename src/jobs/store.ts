/**
 * The store of a job queue: where datasets, checkpoints and finished models live, shared by every worker
 * and client. Jobs name files in it by key — a relative path such as 'datasets/iris.csv' — and nothing a
 * job names can resolve outside it: no absolute paths, no '..', no symlink that leads out.
 *
 * `directoryStore(root)` is a directory (a local disk for one machine, a shared file system — NFS, EFS,
 * a Kubernetes ReadWriteMany volume — for many). The interface is small so that an object store can
 * implement it later: `local` downloads to a cache, `commit` uploads what a job wrote.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** What a store holds under a key: a file (data) or a directory (a saved model, a checkpoint). */
export type StoreEntryKind = 'file' | 'directory';

export interface JobStore {
  /** Says where the store is (for messages and logs). */
  readonly description: string;
  /**
   * A local path to read the file or directory at `key`; throws when the key is bad, outside or missing,
   * naming the key as `what` (e.g. 'data.csv').
   */
  local(key: string, kind: StoreEntryKind, what?: string): Promise<string>;
  /** A local directory a job may write under `key` (created if needed). */
  writable(key: string): Promise<string>;
  /** Makes what was written under `key` durable and visible to other machines (a directory: nothing to do). */
  commit(key: string): Promise<void>;
  /** Size in bytes of the file at `key`. */
  size(key: string, what?: string): Promise<number>;
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
    throw new Error(`${what} '${clip(key)}' is an absolute path; give ${hint}`);
  if (/[\\\0]/.test(key)) throw new Error(`${what} '${clip(key)}' has a backslash or NUL; give ${hint}`);
  for (const segment of key.split('/'))
    if (segment === '' || segment === '.' || segment === '..')
      throw new Error(`${what} '${clip(key)}' has an empty, '.' or '..' segment; give ${hint}`);
  return key;
}

const clip = (s: string) => (s.length > 80 ? `${s.slice(0, 80)}…` : s);

/** A store on a directory (local or on a shared file system). */
export class DirectoryStore implements JobStore {
  readonly root: string;
  readonly description: string;
  constructor(root: string) {
    if (typeof root !== 'string' || root === '') throw new Error(`directoryStore(): 'root' must be a directory path`);
    fs.mkdirSync(root, { recursive: true });
    if (!fs.statSync(root).isDirectory()) throw new Error(`directoryStore(): ${root} is not a directory`);
    this.root = fs.realpathSync(root);
    this.description = `directory ${this.root}`;
  }

  /** The real path of `key` if it exists (every symlink resolved) and stays inside the root. */
  private inside(key: string, what: string): string | undefined {
    const target = path.join(this.root, checkStoreKey(key, what));
    let real: string;
    try {
      real = fs.realpathSync(target);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new Error(`${what} '${clip(key)}' cannot be read in the store (${(e as NodeJS.ErrnoException).code})`);
    }
    if (real !== this.root && !real.startsWith(this.root + path.sep))
      throw new Error(`${what} '${clip(key)}' leads outside the store (a symbolic link); it is refused`);
    return real;
  }

  async local(key: string, kind: StoreEntryKind, what = 'store key'): Promise<string> {
    const real = this.inside(key, what);
    if (!real) throw new Error(`${what} '${clip(key)}' does not exist in the store`);
    const st = fs.statSync(real);
    if (kind === 'file' ? !st.isFile() : !st.isDirectory())
      throw new Error(`${what} '${clip(key)}' is not a ${kind === 'file' ? 'regular file' : 'directory'} in the store`);
    return real;
  }

  async writable(key: string, what = 'store key'): Promise<string> {
    checkStoreKey(key, what);
    // Create each segment, refusing any that exists as a symlink out of the store or as a file.
    let dir = this.root;
    for (const segment of key.split('/')) {
      dir = path.join(dir, segment);
      try {
        fs.mkdirSync(dir);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const st = fs.lstatSync(dir);
      if (!st.isDirectory()) throw new Error(`${what} '${clip(key)}' is not a directory in the store`);
    }
    return dir;
  }

  async commit(): Promise<void> {
    // Files are written in place (atomically, by the model saver): nothing to upload.
  }

  async size(key: string, what = 'store key'): Promise<number> {
    return fs.statSync(await this.local(key, 'file', what)).size;
  }

  async remove(key: string): Promise<void> {
    const target = path.join(this.root, checkStoreKey(key, 'store key'));
    const st = fs.lstatSync(target, { throwIfNoEntry: false });
    if (!st) return;
    // A symlink is removed itself, never what it points to.
    await fs.promises.rm(target, { recursive: st.isDirectory(), force: true });
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
  if (s && typeof s === 'object' && typeof s.local === 'function' && typeof s.writable === 'function') return s;
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
