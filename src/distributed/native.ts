/**
 * Loads backprop_gloo.node, the distributed-training addon over Gloo, on first use only: the main addon never
 * links Gloo, so a machine without libgloo-dev trains as before and only distributed training asks for it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The collectives of one process group (native/gloo/group.h); every rank calls them in the same order. */
export interface NativeGroup {
  connectFile(dir: string): Promise<string[]>;
  connectStore(fn: (op: string, key: string, data: Buffer, timeoutMs: number, id: number) => void): Promise<unknown>;
  storeReply(id: number, error: string | null, data: Buffer | null): void;
  addBucket(
    buffer: Float32Array | Float64Array,
    parts: (Float32Array | Float64Array)[],
    divide: boolean,
    spin: boolean,
  ): number;
  /** Forgets every bucket (the next addBucket returns 0); only while nothing queued is left to run. */
  clearBuckets(): void;
  /** This machine's largest segment for a bucket's allreduce, in bytes (its net.core.wmem_max, bounded). */
  segmentBytes(): number;
  /** The group's segment size (every rank the same: the smallest of their segmentBytes()). */
  setSegmentBytes(bytes: number): void;
  reduce(bucket: number): void;
  /** Sums buckets [from, to) on the calling thread, blocking; only while nothing queued is left to run. */
  reduceNow(from: number, to: number): void;
  allreduce(array: Float32Array | Float64Array): void;
  broadcast(array: Float32Array | Float64Array, root: number): void;
  barrier(): void;
  flush(): Promise<unknown>;
  close(): Promise<unknown>;
  failure(): string | null;
}

export interface GlooAddon {
  Group: new (rank: number, worldSize: number, address: string, timeoutMs: number) => NativeGroup;
  /** Binds every thread of this process (and those it starts later) to `cpus`; returns the threads bound. */
  setAffinity(cpus: number[]): number;
  glooVersion: string;
  abi: number;
}

const ABI = 4;
const INSTALL = 'install Gloo (Debian/Ubuntu: apt-get install libgloo-dev) and rebuild the addon (npm run build)';

let cached: GlooAddon | undefined;

/** The package root, from dist/distributed or src/distributed. */
const packageRoot = path.resolve(__dirname, '..', '..');

/** The addon, or an error naming the package to install. BACKPROP_GLOO_ADDON_PATH names another build. */
export function loadGloo(): GlooAddon {
  if (cached) return cached;
  const file = process.env.BACKPROP_GLOO_ADDON_PATH || path.join(packageRoot, 'build', 'Release', 'backprop_gloo.node');
  if (!fs.existsSync(file)) {
    throw new Error(`distributed training needs the Gloo addon, which was not built (${file} is missing): ${INSTALL}`);
  }
  let addon: GlooAddon;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    addon = require(file) as GlooAddon;
  } catch (e) {
    throw new Error(`distributed training: the Gloo addon ${file} does not load (${(e as Error).message}): ${INSTALL}`);
  }
  if (addon.abi !== ABI || typeof addon.Group !== 'function')
    throw new Error(`distributed training: the Gloo addon ${file} is stale (rebuild it: npm run build)`);
  cached = addon;
  return addon;
}

/** A Gloo error's message without the source location Gloo puts in front ("[gloo/.../file.cc:147] "). */
export function glooMessage(e: unknown): string {
  return String((e as Error)?.message ?? e).replace(/^\[[^\]]*\.(cc|h):\d+\]\s*/, '');
}
