/**
 * Atomic file replacement: write to a temporary name in the same directory, fsync, rename over the
 * target, fsync the directory. A crash at any moment leaves either the old file or the new one (and maybe a
 * temporary file, which a later save removes once its writer is gone: see stale-files.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { tempName } from './writer-markers';

/**
 * Replaces `target` atomically with `data`. The new file gets the permissions a plain write would leave: an
 * existing file's (a private 0600 file stays private), or for a new file 0666 less the umask.
 */
export function atomicWriteFile(target: string, data: Uint8Array | string): void {
  const dir = path.dirname(target);
  // Unique per call (host, process, random), so concurrent writers never write or rename each other's file.
  const tmp = path.join(dir, tempName(path.basename(target)));
  const mode = existingMode(target);
  try {
    // Created 0600 until its mode is set: the data is never readable by more than the final mode allows.
    const fd = fs.openSync(tmp, 'wx', mode === undefined ? 0o666 : 0o600);
    try {
      if (mode !== undefined) fs.fchmodSync(fd, mode);
      writeAll(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, target);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fsyncDir(dir);
}

/** The permission bits of the file at `target` (through links), or undefined when there is none. */
function existingMode(target: string): number | undefined {
  try {
    const st = fs.statSync(target);
    // Permission bits only: set-id bits stay with the file they were set on, not with new content.
    return st.isFile() ? st.mode & 0o777 : undefined;
  } catch {
    return undefined;
  }
}

/** writeSync may write less than asked (always, past 2 GiB): loop until every byte is written. */
function writeAll(fd: number, data: Uint8Array): void {
  for (let done = 0; done < data.byteLength;) done += fs.writeSync(fd, data, done, data.byteLength - done);
}

export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some filesystems do not support fsync on directories; the rename is still atomic there.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

export function sha256(data: Uint8Array | string): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}
