/**
 * Atomic file replacement: write to a temporary name in the same directory, fsync, rename over the
 * target, fsync the directory. A crash at any moment leaves either the old file or the new one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';

export const TMP_MARKER = '.bp-tmp-';

export function atomicWriteFile(target: string, data: Uint8Array | string): void {
  const dir = path.dirname(target);
  const tmp = path.join(
    dir,
    `${path.basename(target)}${TMP_MARKER}${process.pid}-${crypto.randomBytes(4).toString('hex')}`,
  );
  const fd = fs.openSync(tmp, 'w', 0o644);
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(tmp, target);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fsyncDir(dir);
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

export function sha256(data: Uint8Array): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}
