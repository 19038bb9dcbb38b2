/**
 * Where the ranks of a run meet to exchange addresses: a directory they all see (Gloo's FileStore) or Redis.
 * Each rank first claims its number (so two processes cannot take one rank: Gloo aborts the process when a
 * key is set twice), and records its world size there, so that a mismatch can be named instead of timing out.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RedisOptions } from 'ioredis';
import type { NativeGroup } from './native';
import { RedisRendezvous } from './redis-store';

export interface Meeting {
  /** For messages. */
  readonly where: string;
  /** Claims the rank; throws naming the conflict when another live process holds it. */
  claim(): Promise<void>;
  /** A world-size mismatch with the claims now present, described; undefined when none. */
  mismatch(): Promise<string | undefined>;
  /** connectFullMesh through this store. */
  connect(group: NativeGroup): Promise<void>;
  /** Every rank is connected: the rendezvous keys can go. */
  connected(): Promise<void>;
  /** Gives the rank back (keepClaim: leave the claim so that peers can name a mismatch) and closes. */
  leave(keepClaim?: boolean): Promise<void>;
}

function taken(rank: number, runId: string, where: string): Error {
  return new Error(
    `rank ${rank} of run '${runId}' is already taken in ${where} (another process with this rank, or a run ` +
      `that did not finish): give each rank its own number, or use another runId`,
  );
}

function describeMismatch(claims: Map<string, string>, worldSize: number): string | undefined {
  for (const [name, text] of claims) {
    try {
      const other = JSON.parse(text) as { worldSize?: unknown };
      if (other.worldSize !== worldSize)
        return `world size mismatch: ${name} has worldSize ${String(other.worldSize)}, this one ${worldSize}`;
    } catch {
      // a claim being written or removed right now
    }
  }
  return undefined;
}

export class FileMeeting implements Meeting {
  readonly where: string;
  private readonly marker: string;
  private keyFiles: string[] = [];

  constructor(
    store: string,
    private readonly runId: string,
    private readonly rank: number,
    private readonly worldSize: number,
  ) {
    this.where = path.join(store, `gloo-${runId}`);
    this.marker = path.join(this.where, `rank-${rank}.json`);
  }

  async claim(): Promise<void> {
    fs.mkdirSync(this.where, { recursive: true, mode: 0o700 });
    const claim = JSON.stringify({ worldSize: this.worldSize, pid: process.pid, host: os.hostname() });
    try {
      fs.writeFileSync(this.marker, claim, { flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (!deadOwner(this.marker)) throw taken(this.rank, this.runId, this.where);
      fs.writeFileSync(this.marker, claim);
    }
  }

  async mismatch(): Promise<string | undefined> {
    const claims = new Map<string, string>();
    try {
      for (const n of fs.readdirSync(this.where).filter((f) => /^rank-\d+\.json$/.test(f))) {
        try {
          claims.set(n.slice(0, -5), fs.readFileSync(path.join(this.where, n), 'utf8'));
        } catch {
          // removed meanwhile
        }
      }
    } catch {
      return undefined;
    }
    return describeMismatch(claims, this.worldSize);
  }

  async connect(group: NativeGroup): Promise<void> {
    this.keyFiles = await group.connectFile(this.where);
  }

  async connected(): Promise<void> {
    for (const f of this.keyFiles) fs.rmSync(f, { force: true });
  }

  async leave(keepClaim = false): Promise<void> {
    if (keepClaim) return;
    fs.rmSync(this.marker, { force: true });
    try {
      fs.rmdirSync(this.where); // the last rank out removes the run's directory
    } catch {
      // other ranks' files are still there
    }
  }
}

/** Whether a rank marker was left by a process of this machine that no longer runs (a failed init). */
function deadOwner(marker: string): boolean {
  try {
    const m = JSON.parse(fs.readFileSync(marker, 'utf8')) as { pid?: unknown; host?: unknown };
    if (m.host !== os.hostname() || typeof m.pid !== 'number' || !Number.isInteger(m.pid) || m.pid <= 0) return false;
    process.kill(m.pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export class RedisMeeting implements Meeting {
  readonly where: string;
  private readonly redis: RedisRendezvous;
  private group?: NativeGroup;

  constructor(
    connection: string | (RedisOptions & { url?: string }),
    private readonly runId: string,
    private readonly rank: number,
    private readonly worldSize: number,
    timeoutMs: number,
  ) {
    this.redis = new RedisRendezvous(connection, runId, timeoutMs);
    this.where = this.redis.where;
  }

  async claim(): Promise<void> {
    await this.redis.open();
    const claim = JSON.stringify({ worldSize: this.worldSize, pid: process.pid, host: os.hostname() });
    if (!(await this.redis.claim(this.rank, claim))) {
      this.redis.close();
      throw taken(this.rank, this.runId, this.where);
    }
  }

  async mismatch(): Promise<string | undefined> {
    try {
      return describeMismatch(await this.redis.claims(), this.worldSize);
    } catch {
      return undefined;
    }
  }

  async connect(group: NativeGroup): Promise<void> {
    this.group = group;
    await group.connectStore(this.redis.handler(() => this.group!));
  }

  async connected(): Promise<void> {
    await this.redis.removeKeys();
  }

  async leave(keepClaim = false): Promise<void> {
    try {
      await this.redis.removeKeys();
      if (!keepClaim) await this.redis.release(this.rank);
    } catch {
      // Redis gone: the keys expire on their own
    } finally {
      this.redis.close();
    }
  }
}
