/**
 * The group of a multi-rank queued job (`queue.train(spec, { ranks: N })`): N worker slots that train it at
 * once, data-parallel over Gloo, all or none.
 *
 * How a group forms. The worker that takes the job from the queue (a BullMQ job, locked to it as any job)
 * is rank 0, the group's leader. It opens a new *attempt* in the job's group hash (one Lua script: the
 * attempt number goes up, earlier members are forgotten, state 'forming', rank 0 is its member) and adds
 * N - 1 *rank tasks* to the same BullMQ queue (`<id>.a<attempt>.r<k>`, at the head of the queue, lifo): a
 * rank task occupies a worker slot exactly as a job does, so BullMQ's own concurrency counts the slots and
 * nothing else needs to. A worker that takes a rank task joins the attempt (Lua: only while it is 'forming'
 * and is still the current attempt; the member that makes it N sets 'training' in the same script). Every
 * member then waits for 'training'. A member whose wait ends first (its timeout, its worker stopping, a
 * worker without `--iface`) abandons the attempt (Lua: 'forming' becomes 'abandoned', atomically with
 * respect to the last join): either the Nth join came first and everyone trains, or the abandon came first
 * and nobody does. Members of an abandoned attempt give their slots back (a rank task ends; the leader puts
 * the job back as delayed, after a random pause so that two jobs competing for the same slots do not keep
 * colliding), and the job is taken again later as a new attempt. A partial group never trains.
 *
 * A group that trains meets through the queue's Redis (distributed/redis-store.ts, with the queue's password
 * and TLS) under a run id of its own attempt, whose keys go once connected. Rank 0 writes the checkpoints and
 * the result, as a one-slot job does; the other ranks read the checkpoint to resume and write nothing. A rank
 * lost mid-run fails its peers within the Gloo timeout; the leader then puts the job back (up to
 * `maxGroupFailures` times) and the next attempt resumes from the last checkpoint. A leader that dies loses
 * the job to BullMQ's stalled-job check, as any job. Rank tasks of a finished attempt (one taken again after
 * its worker died) find their attempt is not the current one and end at once.
 */
import type IORedis from 'ioredis';
import * as crypto from 'node:crypto';
import { groupKey, MAX_RANKS } from './queue-protocol';

/** How long a group's hash stays after its last change (a week, as a cancel key). */
export const GROUP_KEY_SECONDS = 7 * 24 * 3600;

/**
 * KEYS[1] the group hash; ARGV: ranks, leader, ttl. Starts a new attempt led by ARGV[2]; returns its number.
 * Members of earlier attempts are removed (at most MAX_RANKS of them, whatever the hash says).
 */
const OPEN = `
local a = redis.call('HINCRBY', KEYS[1], 'attempt', 1)
local old = math.min(tonumber(redis.call('HGET', KEYS[1], 'ranks') or '0') or 0, ${MAX_RANKS})
for i = 0, math.max(old, tonumber(ARGV[1])) - 1 do redis.call('HDEL', KEYS[1], 'r' .. i) end
redis.call('HSET', KEYS[1], 'ranks', ARGV[1], 'state', 'forming', 'joined', 1, 'r0', ARGV[2], 'error', '')
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return a`;

/**
 * KEYS[1] the group hash; ARGV: attempt, rank, member. Joins rank ARGV[2] to the attempt while it forms; the
 * member that completes it starts it. Returns the state after ('forming', 'training'), or why not: 'gone'
 * (another attempt is current), 'taken' (the rank has a member), 'late' (the attempt trains already: this is a
 * task taken again after its worker died), or the attempt's state ('abandoned', …).
 */
const JOIN = `
if redis.call('HGET', KEYS[1], 'attempt') ~= ARGV[1] then return 'gone' end
local st = redis.call('HGET', KEYS[1], 'state')
if st == 'training' then return 'late' end
if st ~= 'forming' then return st end
local f = 'r' .. ARGV[2]
if redis.call('HEXISTS', KEYS[1], f) == 1 then return 'taken' end
redis.call('HSET', KEYS[1], f, ARGV[3])
local n = redis.call('HINCRBY', KEYS[1], 'joined', 1)
if n >= tonumber(redis.call('HGET', KEYS[1], 'ranks')) then
  redis.call('HSET', KEYS[1], 'state', 'training')
  return 'training'
end
return 'forming'`;

/**
 * KEYS[1] the group hash; ARGV: attempt, state, error, only-from. Sets the attempt's state when it is the
 * current attempt and (if ARGV[4] is not '') its state is ARGV[4]; returns the state after ('gone': another
 * attempt is current).
 */
const SET_STATE = `
if redis.call('HGET', KEYS[1], 'attempt') ~= ARGV[1] then return 'gone' end
local st = redis.call('HGET', KEYS[1], 'state')
if ARGV[4] ~= '' and st ~= ARGV[4] then return st end
redis.call('HSET', KEYS[1], 'state', ARGV[2])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'error', ARGV[3]) end
return ARGV[2]`;

/** A state of a group attempt as its members see it. */
export type GroupState = 'forming' | 'training' | 'abandoned' | 'failed' | 'done' | 'gone' | 'taken' | 'late';

/** Longest error kept in a group's hash (and longest value a client reads from it). */
const MAX_ERROR = 1024;
/** Longest worker name shown. */
const MAX_WORKER = 256;

/** One attempt of one job's group, as a member sees it. */
export class GroupAttempt {
  readonly key: string;

  constructor(
    private readonly redis: IORedis,
    readonly queue: string,
    readonly job: string,
    readonly attempt: number,
  ) {
    this.key = groupKey(queue, job);
  }

  /** The leader opens a new attempt of `job`'s group (as its rank 0). */
  static async open(redis: IORedis, queue: string, job: string, ranks: number, leader: string) {
    const attempt = Number(await redis.eval(OPEN, 1, groupKey(queue, job), ranks, leader, GROUP_KEY_SECONDS));
    return new GroupAttempt(redis, queue, job, attempt);
  }

  /** Joins as `rank`; the state after, or why not. */
  async join(rank: number, member: string): Promise<GroupState> {
    return (await this.redis.eval(JOIN, 1, this.key, this.attempt, rank, member)) as GroupState;
  }

  /** The attempt's state now ('gone' once another attempt is current). */
  async state(): Promise<GroupState> {
    const [attempt, state] = await this.redis.hmget(this.key, 'attempt', 'state');
    return attempt === String(this.attempt) ? ((state ?? 'gone') as GroupState) : 'gone';
  }

  /**
   * Abandons the attempt unless it has started: 'abandoned' when this call (or an earlier one) stopped it,
   * 'training' when the group had formed first (the caller then trains), 'gone' when another attempt is current.
   */
  async abandon(why: string): Promise<GroupState> {
    return (await this.redis.eval(
      SET_STATE,
      1,
      this.key,
      this.attempt,
      'abandoned',
      clip(why),
      'forming',
    )) as GroupState;
  }

  /**
   * Records how the attempt ended: 'done' (the leader), or 'failed' with the reason — the first failure
   * recorded stays (a rank's own error is more telling than the peer-lost errors it causes on the others).
   */
  async end(state: 'done' | 'failed', why = ''): Promise<void> {
    await this.redis.eval(SET_STATE, 1, this.key, this.attempt, state, clip(why), state === 'failed' ? 'training' : '');
    await this.redis.expire(this.key, GROUP_KEY_SECONDS);
  }

  /** The reason recorded for the attempt's end ('' when none), if it is still the current attempt. */
  async reason(): Promise<string> {
    const [attempt, error] = await this.redis.hmget(this.key, 'attempt', 'error');
    return attempt === String(this.attempt) ? (error ?? '') : '';
  }

  /** Counts a failed group of the job; returns how many there have been. */
  async countFailure(): Promise<number> {
    return this.redis.hincrby(this.key, 'failures', 1);
  }

  /**
   * Waits until the attempt trains (→ 'training') or cannot ('abandoned', 'gone', …), polling; when
   * `deadline` passes or `stop()` says so first, abandons it (`why()` says why) and returns what that gives.
   */
  async waitToTrain(deadline: number, stop: () => string | undefined, why: () => string): Promise<GroupState> {
    for (;;) {
      const s = await this.state();
      if (s !== 'forming') return s;
      const stopped = stop();
      if (stopped || Date.now() >= deadline) return this.abandon(stopped ?? why());
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  /**
   * The run id under which the attempt's ranks meet (distributed.init's runId: 64 characters at most): the
   * queue and job hashed, and the attempt, so that each attempt's rendezvous keys are its own.
   */
  get runId(): string {
    const h = crypto.createHash('sha256').update(`${this.queue}\n${this.job}`).digest('hex').slice(0, 24);
    return `q-${h}-a${this.attempt}`;
  }
}

/** Between looks at a forming group's state. */
const POLL_MS = 50;

const clip = (s: string) => (s.length > MAX_ERROR ? `${s.slice(0, MAX_ERROR)}…` : s);

/** A pause before a job whose group did not form is taken again: 0.5 to 1.5 s, random (see the top). */
export const retryPauseMs = () => 500 + Math.floor(Math.random() * 1000);

/** What clients are shown of a job's group (queue.status / list, `backprop status`). */
export interface GroupSummary {
  ranks: number;
  /** The current (or last) attempt, from 1. */
  attempt: number;
  /** 'forming' (waiting for its slots), 'training', 'abandoned', 'failed' or 'done'. */
  state: string;
  /** The workers (host:pid) of the attempt's ranks that joined, by rank; null where none has. */
  workers: (string | null)[];
  /** Groups of this job that failed while training (a rank lost). */
  failures: number;
  /** Why the last attempt was abandoned or failed, if it was. */
  error: string | null;
}

/**
 * KEYS[1] the group hash; ARGV[1] most ranks, ARGV[2] longest value. attempt, ranks, state, failures, error and
 * the members r0.. (as many as its ranks, at most ARGV[1]), each cut to ARGV[2] bytes on the server: a hostile
 * hash of megabytes costs a client nothing. False when the key is not a hash.
 */
const READ_GROUP = `
if redis.call('TYPE', KEYS[1]).ok ~= 'hash' then return false end
local most = tonumber(ARGV[2])
local function get(f) return string.sub(redis.call('HGET', KEYS[1], f) or '', 1, most) end
local out = { get('attempt'), get('ranks'), get('state'), get('failures'), get('error') }
local n = tonumber(out[2]) or 0
if n > tonumber(ARGV[1]) then n = 0 end
for i = 0, n - 1 do out[#out + 1] = get('r' .. i) end
return out`;

/**
 * A job's group as clients show it, read within bounds (the hash is Redis's, not a trust boundary); undefined
 * for a job without one (a one-slot job) or a hash that is not what workers write.
 */
export async function readGroup(
  redis: IORedis,
  queue: string,
  job: string,
  maxRanks: number,
): Promise<GroupSummary | undefined> {
  const reply = (await redis.eval(READ_GROUP, 1, groupKey(queue, job), maxRanks, MAX_ERROR)) as string[] | null;
  if (!Array.isArray(reply)) return undefined;
  const [attempt, ranks, state, failures, error] = reply;
  const int = (v: string) => (/^\d{1,9}$/.test(v) ? Number(v) : undefined);
  const n = int(ranks);
  const a = int(attempt);
  if (n === undefined || a === undefined || n < 1 || n > maxRanks || !/^[a-z]{1,16}$/.test(state)) return undefined;
  return {
    ranks: n,
    attempt: a,
    state,
    workers: Array.from({ length: n }, (_, r) => (reply[5 + r] ? reply[5 + r].slice(0, MAX_WORKER) : null)),
    failures: int(failures) ?? 0,
    error: error || null,
  };
}
