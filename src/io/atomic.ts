/**
 * Atomic file replacement: write to a temporary name in the same directory, fsync, rename over the
 * target, fsync the directory. A crash at any moment leaves either the old file or the new one (and maybe a
 * temporary file, which a later save removes once its writer is gone: see stale-files.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { tempName } from './writer-markers';

export function atomicWriteFile(target: string, data: Uint8Array | string): void {
  const dir = path.dirname(target);
  // Unique per call (host, process, random), so concurrent writers never write or rename each other's file.
  const tmp = path.join(dir, tempName(path.basename(target)));
  try {
    const fd = fs.openSync(tmp, 'wx', 0o644);
    try {
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
