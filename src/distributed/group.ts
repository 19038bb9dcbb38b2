/**
 * The process group of this process: `init` joins it, `rank` / `worldSize` describe it. Ranks meet through a
 * directory they all see (Gloo's FileStore; the store directory queue workers share), in a subdirectory per run,
 * and connect over TCP on the one address given: the interface is the user's choice, never a guess.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import { agreeSegments, bindToCpus, ranksHere, segmentCap, switchFrom } from './placement';
import { FileMeeting, RedisMeeting, type Meeting } from './meeting';
import type { RedisOptions } from 'ioredis';

/** The most ranks a group may have (init refuses more; `backprop launch` too, before starting any). */
export const MAX_WORLD_SIZE = 4096;
import { glooMessage, loadGloo, type NativeGroup } from './native';

export interface InitOptions {
  /** This process's rank, 0..worldSize-1 (default: BACKPROP_RANK). */
  rank?: number;
  /** The number of ranks (default: BACKPROP_WORLD_SIZE). */
  worldSize?: number;
  /**
   * Where ranks exchange addresses: a directory every rank sees, or a Redis URL (`redis://:password@host:6379`,
   * `rediss://` for TLS) (default: BACKPROP_STORE).
   */
  store?: string;
  /** The network interface (`eth0`, `lo`) or one of this machine's IP addresses to use (default: BACKPROP_IFACE). */
  iface?: string;
  /** Names this run inside the store; ranks of one run share it (default: BACKPROP_RUN_ID, else `default`). */
  runId?: string;
  /** How long to wait for a peer, at init and in every collective, in ms (default: BACKPROP_TIMEOUT_MS, else 60000). */
  timeoutMs?: number;
  /**
   * Whether the communication thread busy-polls its sockets while the main thread waits for a step's last
   * gradients, instead of sleeping until they arrive (default: BACKPROP_BUSY_POLL `1` / `0`, else on when this
   * machine has at least as many cores as the group has ranks on it). Saves a thread wakeup per message, which
   * is much of a small model's communication time; it spends a core while waiting, so turn it off when ranks
   * share cores with other work.
   */
  busyPoll?: boolean;
  /**
   * Whether a gradient bucket is summed as soon as backward has produced it, while backward goes on, rather than
   * with the rest once backward ends (default: BACKPROP_OVERLAP `1` / `0`, else on when some rank runs on another
   * machine or this rank has more CPUs than BLAS threads). Between ranks of one machine a sum is the CPUs'
   * own memory copies, which overlapping only moves onto the core backward needs. Same bits either way.
   */
  overlap?: boolean;
}

/** Where the ranks run, as init found it: the inputs of DataParallel's overlap default. */
export interface Placement {
  /** Ranks of the group on this machine. */
  here: number;
  /** This machine's CPUs, counted before binding. */
  cores: number;
  /** InitOptions.overlap / BACKPROP_OVERLAP, if given. */
  overlap?: boolean;
}

interface Joined {
  rank: number;
  worldSize: number;
  group: NativeGroup;
  meeting: Meeting;
  /** Busy-poll while waiting for a step's last gradients (InitOptions.busyPoll, decided at init). */
  busyPoll: boolean;
  placement: Placement;
}

let joined: Joined | undefined;
let joining = false;

const KEYS = ['rank', 'worldSize', 'store', 'iface', 'runId', 'timeoutMs', 'busyPoll', 'overlap'];

function intFrom(name: string, value: unknown, env: string, lo: number, hi: number): number {
  let v = value;
  if (v === undefined) {
    const e = process.env[env];
    if (e === undefined || e === '') throw new Error(`distributed.init(): '${name}' is required (or set ${env})`);
    v = /^\d+$/.test(e.trim()) ? Number(e.trim()) : e;
  }
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi)
    throw new Error(`distributed.init(): '${name}' must be an integer in [${lo}, ${hi}], got ${JSON.stringify(v)}`);
  return v;
}

function strFrom(name: string, value: unknown, env: string, fallback?: string): string {
  const v = value ?? (process.env[env] || fallback);
  if (v === undefined) throw new Error(`distributed.init(): '${name}' is required (or set ${env})`);
  if (typeof v !== 'string' || v === '' || v.length > 4096)
    throw new Error(`distributed.init(): '${name}' must be a non-empty string, got ${JSON.stringify(v)}`);
  return v;
}

/** The IP address to listen and connect on: an interface's address, or an address of one of them. */
export function addressOf(iface: string): string {
  const all = os.networkInterfaces();
  if (net.isIP(iface)) {
    for (const list of Object.values(all)) for (const a of list ?? []) if (a.address === iface) return iface;
    throw new Error(`distributed.init(): 'iface' ${iface} is not an address of this machine's interfaces`);
  }
  const list = all[iface];
  if (!list || list.length === 0) {
    throw new Error(
      `distributed.init(): no network interface '${iface}'; this machine has: ${Object.keys(all).join(', ')}`,
    );
  }
  const v4 = list.find((a) => a.family === 'IPv4');
  return (v4 ?? list[0]).address;
}

/**
 * Joins the process group; resolves once every rank has joined and all are connected. Fails (on every rank)
 * after `timeoutMs` when a rank never arrives, naming a world-size mismatch when that is the cause.
 * @example
 * await bp.distributed.init({ rank: 0, worldSize: 2, store: '/shared/store', iface: 'eth0' });
 * await model.fit(x, y, { epochs: 5, batchSize: 64, distributed: true }); // 64 rows per rank and step
 */
export async function init(options: InitOptions = {}): Promise<void> {
  if (options === null || typeof options !== 'object' || Array.isArray(options))
    throw new Error('distributed.init(): the argument must be an options object');
  for (const k of Object.keys(options))
    if (!KEYS.includes(k))
      throw new Error(`distributed.init(): unknown option '${k}'; options are: ${KEYS.join(', ')}`);
  if (joined || joining)
    throw new Error('distributed.init(): this process already joined a group (call destroy() first)');
  const worldSize = intFrom('worldSize', options.worldSize, 'BACKPROP_WORLD_SIZE', 1, MAX_WORLD_SIZE);
  const rank = intFrom('rank', options.rank, 'BACKPROP_RANK', 0, 2 ** 31);
  if (rank >= worldSize)
    throw new Error(
      `distributed.init(): 'rank' ${rank} is out of range for worldSize ${worldSize} (0..${worldSize - 1})`,
    );
  const store = strFrom('store', options.store, 'BACKPROP_STORE');
  const address = addressOf(strFrom('iface', options.iface, 'BACKPROP_IFACE'));
  const runId = strFrom('runId', options.runId, 'BACKPROP_RUN_ID', 'default');
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(runId) || runId.startsWith('.'))
    throw new Error(
      `distributed.init(): 'runId' must be 1-64 characters of A-Z a-z 0-9 _ . - , got ${JSON.stringify(runId)}`,
    );
  const envTimeout = process.env.BACKPROP_TIMEOUT_MS;
  const timeoutMs = options.timeoutMs ?? (envTimeout ? Number(envTimeout) : 60000);
  if (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 86400000)
    throw new Error(`distributed.init(): 'timeoutMs' must be an integer in [100, 86400000], got ${String(timeoutMs)}`);
  const busyPoll = switchFrom('busyPoll', options.busyPoll, 'BACKPROP_BUSY_POLL');
  const overlap = switchFrom('overlap', options.overlap, 'BACKPROP_OVERLAP');
  segmentCap(); // checked here, before the peers wait on this rank (agreeSegments reads it)
  // This machine's CPUs as the group sees them, counted before binding narrows this process to its own block.
  const cores = os.availableParallelism();
  bindToCpus();
  let meeting: Meeting;
  if (/^rediss?:\/\//i.test(store)) {
    meeting = new RedisMeeting(store, runId, rank, worldSize, timeoutMs);
  } else {
    let st: fs.Stats;
    try {
      st = fs.statSync(store);
    } catch {
      throw new Error(`distributed.init(): 'store' ${store} does not exist (create the directory every rank shares)`);
    }
    if (!st.isDirectory()) throw new Error(`distributed.init(): 'store' ${store} is not a directory`);
    meeting = new FileMeeting(store, runId, rank, worldSize);
  }

  await join(meeting, rank, worldSize, address, timeoutMs, { busyPoll, overlap, cores });
}

/** Claims the rank in `meeting`, connects the full mesh, and records the group as this thread's. */
async function join(
  meeting: Meeting,
  rank: number,
  worldSize: number,
  address: string,
  timeoutMs: number,
  wait: { busyPoll?: boolean; overlap?: boolean; cores: number } = { cores: os.availableParallelism() },
) {
  if (joined || joining)
    throw new Error('distributed.init(): this process already joined a group (call destroy() first)');
  const gloo = loadGloo();
  joining = true;
  try {
    try {
      await meeting.claim();
    } catch (e) {
      throw new Error(`distributed.init(): ${(e as Error).message}`);
    }
    const group = new gloo.Group(rank, worldSize, address, timeoutMs);
    let busyPoll: boolean;
    let placement: Placement;
    try {
      const early = await meeting.mismatch();
      if (early) throw new Error(early);
      await meeting.connect(group);
      // A rank may finish connecting before another has read every key (one side of a pair dials the other):
      // keys go only once every rank is connected.
      group.barrier();
      await group.flush();
      await meeting.connected();
      // The count is a collective: every rank takes part, told whether to busy-poll or not.
      const here = await ranksHere(group, rank, worldSize);
      await agreeSegments(group, rank, worldSize);
      busyPoll = wait.busyPoll ?? here <= wait.cores;
      placement = { here, cores: wait.cores, overlap: wait.overlap };
    } catch (e) {
      await group.close().catch(() => undefined);
      const mismatch = await meeting.mismatch();
      // On a mismatch the claim stays, so that the other ranks can name it too (a later run takes it over).
      await meeting.leave(!!mismatch);
      const why = mismatch ?? glooMessage(e);
      throw new Error(`distributed.init(): rank ${rank} of ${worldSize} could not join the group: ${why}`);
    }
    joined = { rank, worldSize, group, meeting, busyPoll, placement };
  } finally {
    joining = false;
  }
}

/** How a queue worker's job thread joins the group of a multi-rank job (src/jobs/queue-worker.ts). */
export interface QueueGroupOptions {
  rank: number;
  worldSize: number;
  /** The queue's own Redis connection (its password and TLS): a URL or ioredis options without functions. */
  redis: string | (RedisOptions & { url?: string });
  /** The group attempt's run id: the rendezvous keys live under backprop:gloo:<runId>: and go once connected. */
  runId: string;
  /** The worker's `--iface`: an interface name or one of this machine's addresses. */
  iface: string;
  timeoutMs: number;
}

/** @internal joins the group of a queued multi-rank job; the rendezvous goes through the queue's Redis. */
export async function joinQueueGroup(o: QueueGroupOptions): Promise<void> {
  const address = addressOf(o.iface);
  await join(
    new RedisMeeting(o.redis, o.runId, o.rank, o.worldSize, o.timeoutMs),
    o.rank,
    o.worldSize,
    address,
    o.timeoutMs,
  );
}

/**
 * @internal Compares each rank's `values` (float64 over shared memory, of one length on every rank) with rank 0's:
 * broadcasts rank 0's into `values`, asks `differs(rank0, mine)` how this rank differs (undefined: it does not),
 * then counts the ranks that differ in one more collective, so that every rank learns it and all fail together
 * instead of waiting on each other. `flush` awaits each collective, naming what failed.
 */
export async function compareWithRankZero(
  group: NativeGroup,
  values: Float64Array,
  differs: (rank0: Float64Array, mine: Float64Array) => string | undefined,
  flush: () => Promise<void>,
): Promise<{ why: string | undefined; differing: number }> {
  const mine = Float64Array.from(values);
  group.broadcast(values, 0);
  await flush();
  const why = differs(values, mine);
  const count = new Float64Array(new SharedArrayBuffer(8));
  count[0] = why ? 1 : 0;
  group.allreduce(count);
  await flush();
  return { why, differing: count[0] };
}

/**
 * @internal fails on every rank, naming `what`, unless every rank holds rank 0's `value` (a queued job's ranks
 * must resume from the same checkpoint epoch).
 */
export async function agreeWithRankZero(what: string, value: number): Promise<void> {
  const { group, rank, worldSize } = current('agree');
  const c = new Float64Array(new SharedArrayBuffer(8));
  c[0] = value;
  const { why, differing } = await compareWithRankZero(
    group,
    c,
    (rank0) => (rank0[0] !== value ? `this rank has ${what} ${value}, rank 0 ${rank0[0]}` : undefined),
    () => flushOrExplain(group, `rank ${rank} of ${worldSize}`, `comparing ${what}`),
  );
  if (differing > 0) throw new Error(`distributed: ${why ?? `${differing} rank(s) differ from rank 0 in ${what}`}`);
}

async function flushOrExplain(group: NativeGroup, who: string, what: string): Promise<void> {
  try {
    await group.flush();
  } catch (e) {
    throw new Error(
      `distributed: ${who} failed while ${what}: ${glooMessage(e)} ` +
        `(a rank stopped or was unreachable; the group cannot continue)`,
    );
  }
}

function current(what: string): Joined {
  if (!joined) throw new Error(`distributed.${what}(): not initialized; call await bp.distributed.init(...) first`);
  return joined;
}

/** This process's rank (0 is the one that runs callbacks and checkpoints). */
export function rank(): number {
  return current('rank').rank;
}

/** The number of ranks in the group. */
export function worldSize(): number {
  return current('worldSize').worldSize;
}

/** Whether init() has completed (and destroy() not yet been called). */
export function isInitialized(): boolean {
  return joined !== undefined;
}

/** The native group, for data-parallel training (src/distributed/data-parallel.ts). */
export function nativeGroup(what: string): Omit<Joined, 'meeting'> {
  return current(what);
}

/** Leaves the group: closes the connections and removes this rank's entries from the store. */
export async function destroy(): Promise<void> {
  const j = joined;
  if (!j) return;
  joined = undefined;
  await j.group.close().catch(() => undefined);
  await j.meeting.leave();
}
