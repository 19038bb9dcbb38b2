/**
 * Where this process's rank runs and how it waits: binding to the CPUs `backprop launch` gave it, how many ranks
 * of the group share this machine, and from that whether the communication thread may busy-poll and whether
 * summing gradients while backward runs pays.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { parseCpuList } from './cpus';
import { fnv1a } from './fnv';
import { loadGloo, type NativeGroup } from './native';

/**
 * BACKPROP_CPUS (set per rank by `backprop launch`): binds this process's threads to those CPUs, so that each
 * rank keeps its own cores and its communication thread does not preempt another rank's step.
 */
export function bindToCpus(): void {
  const env = process.env.BACKPROP_CPUS;
  if (env === undefined || env === '') return;
  const cpus = parseCpuList(env, 'distributed.init(): BACKPROP_CPUS');
  try {
    loadGloo().setAffinity(cpus);
  } catch (e) {
    throw new Error(
      `distributed.init(): could not bind to BACKPROP_CPUS=${env} (${(e as Error).message}); ` +
        'name CPUs this process may use (see taskset -p), or unset it',
    );
  }
}

/**
 * An on/off option of init (busyPoll, overlap): true / false, else its environment variable (1 / 0), else undefined
 * (decided at join).
 */
export function switchFrom(name: string, value: unknown, env: string): boolean | undefined {
  if (value !== undefined) {
    if (typeof value !== 'boolean')
      throw new Error(`distributed.init(): '${name}' must be true or false, got ${JSON.stringify(value)}`);
    return value;
  }
  const text = process.env[env];
  if (text === undefined || text === '') return undefined;
  if (text !== '0' && text !== '1') throw new Error(`distributed.init(): ${env} must be 1 or 0, got '${text}'`);
  return text === '1';
}

/**
 * Whether gradient buckets should be summed while backward still runs (InitOptions.overlap left to the group).
 * Over a network a sum takes wire time, which overlapping hides. Between ranks of one machine it is memory
 * copies by the kernel on the ranks' own CPUs: with no CPU to spare beyond the BLAS threads, the communication
 * thread then takes them from backward (and its wakeups and the copies' cache traffic slow backward further),
 * which on a 2-core machine made the keras CNN 10-14% slower than summing every bucket once backward ends.
 *
 * @param here ranks of the group on this machine; @param cores this machine's CPUs (counted before binding);
 * @param allowed the CPUs this process may run on; @param threads the backend's BLAS threads.
 */
export function overlapPays(here: number, worldSize: number, cores: number, allowed: number, threads: number): boolean {
  if (here < worldSize) return true;
  return Math.min(allowed, Math.floor(cores / here)) > threads;
}

/**
 * This machine, as a number ranks compare: ranks of one kernel (processes, containers) share its cores. The
 * kernel's boot id names it; the host name where that is unreadable. 48 bits, exact in a float64 sum.
 */
function machineId(): number {
  let text: string;
  try {
    text = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    text = os.hostname();
  }
  // Two FNV-1a hashes (other offset bases): 32 + 16 bits.
  return fnv1a(text) * 65536 + (fnv1a(text, 0x01000193) & 0xffff) + 1; // never 0: "another rank's slot"
}

/** Every rank's `value`, by rank: each writes its own slot and the group sums them (one collective). */
export async function valuesOfRanks(
  group: NativeGroup,
  rank: number,
  worldSize: number,
  value: number,
): Promise<Float64Array> {
  const all = new Float64Array(new SharedArrayBuffer(8 * worldSize));
  all[rank] = value;
  group.allreduce(all);
  await group.flush();
  return all;
}

/** How many ranks of the group run on this machine (one collective at init, in every rank's same order). */
export async function ranksHere(group: NativeGroup, rank: number, worldSize: number): Promise<number> {
  const me = machineId();
  let n = 0;
  for (const id of await valuesOfRanks(group, rank, worldSize, me)) if (id === me) n++;
  return n;
}

/** BACKPROP_SEGMENT_KB: a smaller segment than this machine's socket buffers allow (it may fit a CPU cache). */
export function segmentCap(): number {
  const env = process.env.BACKPROP_SEGMENT_KB;
  if (env === undefined || env === '') return Infinity;
  const kb = Number(env);
  if (!(Number.isInteger(kb) && kb >= 128 && kb <= 16384))
    throw new Error(
      `distributed.init(): BACKPROP_SEGMENT_KB must be a whole number of KB in [128, 16384], got '${env}'`,
    );
  return kb * 1024;
}

/**
 * Cuts gradient buckets into segments of the smallest size any rank's machine allows (its socket send buffer):
 * Gloo's allreduces of a bucket must be the same on every rank, which machines with other kernel settings would
 * otherwise cut differently (one collective at init).
 */
export async function agreeSegments(group: NativeGroup, rank: number, worldSize: number): Promise<void> {
  const sizes = await valuesOfRanks(group, rank, worldSize, Math.min(group.segmentBytes(), segmentCap()));
  group.setSegmentBytes(sizes.reduce((a, b) => Math.min(a, b)));
}
