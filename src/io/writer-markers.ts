/**
 * Names of the files a save leaves while it runs — temporary files (`<target>.bp-tmp-…`) and pins
 * (`<weights file>.bp-pin-…`, see stale-files.ts) — and whether the writer that made one is still running.
 * Each name carries the writer's host (a hash of its name), process id and a random part, so concurrent
 * writers never collide and a cleaner can tell a live writer's files from a crashed one's.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';

export const TMP_MARKER = '.bp-tmp-';
export const PIN_MARKER = '.bp-pin-';
/** A marker from another host (a shared directory) this old is taken as left by a crashed writer. */
export const STALE_MARKER_MS = 60 * 60 * 1000;

const HOST = crypto.createHash('sha256').update(os.hostname()).digest('hex').slice(0, 8);
// Older versions wrote `<target>.bp-tmp-<pid>-<random>`, without the host.
const MARKER = /^(.+)\.bp-(tmp|pin)-(?:([0-9a-f]{8})-)?(\d{1,10})-[0-9a-f]{8}$/;

function suffix(): string {
  return `${HOST}-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
}

/** A fresh temporary name for writing `baseName` (a file name, no directory). */
export function tempName(baseName: string): string {
  return `${baseName}${TMP_MARKER}${suffix()}`;
}

/** A fresh pin name for the weights file `baseName`. */
export function pinName(baseName: string): string {
  return `${baseName}${PIN_MARKER}${suffix()}`;
}

export interface Marker {
  kind: 'tmp' | 'pin';
  /** The file the marker is for. */
  target: string;
  host: string;
  pid: number;
}

/** The marker a file name is, or undefined for any other file. */
export function parseMarker(name: string): Marker | undefined {
  const m = MARKER.exec(name);
  if (!m) return undefined;
  return { kind: m[2] as 'tmp' | 'pin', target: m[1], host: m[3] ?? HOST, pid: Number(m[4]) };
}

function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid < 1) return false;
  try {
    process.kill(pid, 0); // signal 0: only asks whether the process exists
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether the writer that made `marker` may still be using it: on this host, whether its process is running
 * (a reused process id only keeps a stale file longer); from another host, whether the marker is younger than
 * STALE_MARKER_MS, since there its process cannot be asked.
 */
export function writerAlive(marker: Marker, mtimeMs: number, now = Date.now()): boolean {
  if (marker.host === HOST) return processAlive(marker.pid);
  return now - mtimeMs <= STALE_MARKER_MS;
}

/** Creates an empty marker file, which must not exist yet. */
export function createMarkerFile(file: string): void {
  fs.closeSync(fs.openSync(file, 'wx', 0o644));
}
