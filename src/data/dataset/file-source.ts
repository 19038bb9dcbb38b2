/**
 * The file a streamed dataset reads: a path, or a file descriptor someone already opened (a FileHandle or
 * its number — e.g. the job store, which opens files relative to its root without following symlinks and
 * hands the descriptor over). Descriptors are read by position (pread), so whoever owns one may share it, and
 * it stays open: closing it is the owner's job, after the dataset is done with it.
 *
 * A file must be a regular file (a device or pipe could stream forever). Its identity — device, inode, size
 * and modification time — is taken when a pass starts and checked as the pass goes: a file that changes or
 * shrinks while it is read ends the pass with an error instead of yielding a mix of two versions.
 */
import * as fs from 'node:fs';

/** A path, an open file descriptor, or an object holding one (`fs.promises.FileHandle`). */
export type FileInput = string | number | { fd: number };

/** What identifies a version of a file (bigint stats as strings, so they cross threads as JSON). */
export interface FileIdentity {
  dev: string;
  ino: string;
  size: number;
  mtimeNs: string;
}

/** A checked file input: a path to open, or a descriptor to read. */
export type FileRef = { path: string } | { fd: number };

/**
 * Checks a FileInput's form (not the file itself: that happens when a pass opens it).
 * @example toFileRef('data.csv', 'csvDataset()') // { path: 'data.csv' }
 */
export function toFileRef(input: unknown, who: string): FileRef {
  if (typeof input === 'string') {
    if (input === '' || input.includes('\0')) throw new Error(`${who}: the path must be a non-empty file path`);
    return { path: input };
  }
  const fd = typeof input === 'number' ? input : (input as { fd?: unknown } | null)?.fd;
  if (typeof fd === 'number' && Number.isSafeInteger(fd) && fd >= 0) return { fd };
  throw new Error(
    `${who}: expected a file path, an open file descriptor (a non-negative integer) or a FileHandle, got ` +
      `${input === null ? 'null' : typeof input}`,
  );
}

function identityOf(st: fs.BigIntStats): FileIdentity {
  return { dev: String(st.dev), ino: String(st.ino), size: Number(st.size), mtimeNs: String(st.mtimeNs) };
}

export function sameIdentity(a: FileIdentity, b: FileIdentity): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs;
}

/** An open file for one pass (synchronous: passes run in worker threads, where blocking reads are the point). */
export class OpenFile {
  readonly identity: FileIdentity;
  private constructor(
    readonly fd: number,
    private readonly owned: boolean,
    readonly name: string,
  ) {
    let st: fs.BigIntStats;
    try {
      st = fs.fstatSync(fd, { bigint: true });
    } catch (e) {
      this.close();
      throw new Error(`${name}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    if (!st.isFile()) {
      this.close();
      throw new Error(`${name}: not a regular file; give the path of a file`);
    }
    this.identity = identityOf(st);
  }

  /** Opens `ref` (a path is opened here and closed by close(); a descriptor is only read). */
  static open(ref: FileRef, name: string): OpenFile {
    if ('fd' in ref) return new OpenFile(ref.fd, false, name);
    let fd: number;
    try {
      fd = fs.openSync(ref.path, 'r');
    } catch (e) {
      throw new Error(`${name}: cannot open the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    return new OpenFile(fd, true, name);
  }

  /**
   * Throws when the file is no longer the version the pass started with (`expected`, or the one seen at
   * open): written to, replaced in place, truncated or grown.
   */
  check(expected: FileIdentity = this.identity): void {
    let now: FileIdentity;
    try {
      now = identityOf(fs.fstatSync(this.fd, { bigint: true }));
    } catch (e) {
      throw new Error(`${this.name}: cannot read the file (${(e as NodeJS.ErrnoException).code})`);
    }
    if (sameIdentity(now, expected)) return;
    const what =
      now.size < expected.size
        ? `was truncated (${expected.size} → ${now.size} bytes)`
        : now.size > expected.size
          ? `grew (${expected.size} → ${now.size} bytes)`
          : 'was modified';
    throw new Error(
      `${this.name}: the file ${what} while it was being read; the pass stopped so that no mix of two ` +
        'versions is used. Write data files elsewhere and rename them into place, then start again',
    );
  }

  /** Reads up to `length` bytes at `position` into `buf` at `offset`; a short read before the size is an error. */
  read(buf: Uint8Array, offset: number, length: number, position: number): number {
    const want = Math.min(length, this.identity.size - position);
    if (want <= 0) return 0;
    let got = 0;
    while (got < want) {
      let n: number;
      try {
        n = fs.readSync(this.fd, buf, offset + got, want - got, position + got);
      } catch (e) {
        throw new Error(`${this.name}: cannot read the file (${(e as NodeJS.ErrnoException).code})`);
      }
      if (n === 0)
        throw new Error(
          `${this.name}: the file was truncated while it was being read (it ended at byte ${position + got} of ` +
            `${this.identity.size}); the pass stopped. Write data files elsewhere and rename them into place`,
        );
      got += n;
    }
    return got;
  }

  close(): void {
    if (!this.owned) return;
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed
    }
  }
}

/** As OpenFile.read, without blocking the thread (for passes on the main thread). */
export async function readAsync(
  file: OpenFile,
  buf: Uint8Array,
  offset: number,
  length: number,
  position: number,
): Promise<number> {
  const want = Math.min(length, file.identity.size - position);
  if (want <= 0) return 0;
  let got = 0;
  while (got < want) {
    const n = await new Promise<number>((resolve, reject) =>
      fs.read(file.fd, buf, offset + got, want - got, position + got, (e, bytes) =>
        e ? reject(new Error(`${file.name}: cannot read the file (${e.code})`)) : resolve(bytes),
      ),
    );
    if (n === 0)
      throw new Error(
        `${file.name}: the file was truncated while it was being read (it ended at byte ${position + got} of ` +
          `${file.identity.size}); the pass stopped`,
      );
    got += n;
  }
  return got;
}
