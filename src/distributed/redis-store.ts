/**
 * Rendezvous through Redis (the server the job queue already uses, with its password and TLS): Gloo's
 * rendezvous keys live under `backprop:gloo:<runId>:`, set only once (SET NX: a key set twice is an error here,
 * where Gloo's own stores abort the process), with a time to live so that a crashed run leaves nothing for good.
 * ioredis loads only when a Redis store is used.
 */
import type IORedis from 'ioredis';
import type { RedisOptions } from 'ioredis';
import type { NativeGroup } from './native';

/** A URL with its password replaced by '***', for messages. */
export function redactRedisUrl(s: string): string {
  return s.replace(/^(rediss?:\/\/[^:/@]*:)[^@]*@/i, '$1***@');
}

const POLL_MS = 20;

export class RedisRendezvous {
  private readonly redis: IORedis;
  private readonly prefix: string;
  private readonly ttlSeconds: number;
  /** Gloo keys this rank set (removed once every rank is connected). */
  private readonly mine: string[] = [];
  private lastError = '';

  /** Where Redis is, without a password (for messages). */
  readonly where: string;

  /** `connection`: a redis:// or rediss:// URL, or ioredis options (a queue's: url or host and port, password, tls). */
  constructor(
    connection: string | (RedisOptions & { url?: string }),
    runId: string,
    private readonly timeoutMs: number,
  ) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Redis = require('ioredis') as typeof IORedis;
    const own: RedisOptions = {
      lazyConnect: true,
      connectTimeout: timeoutMs,
      maxRetriesPerRequest: 2,
      retryStrategy: (times) => (times > 3 ? null : 200 * times),
    };
    const { url, ...options } = (typeof connection === 'string' ? { url: connection } : connection) as RedisOptions & {
      url?: string;
    };
    this.redis = url ? new Redis(url, { ...options, ...own }) : new Redis({ ...options, ...own });
    this.where = url
      ? redactRedisUrl(url)
      : `${options.tls ? 'rediss' : 'redis'}://${options.host ?? '127.0.0.1'}:${options.port ?? 6379}`;
    // Failures surface as rejected commands; the event says why (WRONGPASS, ECONNREFUSED) when they do not.
    this.redis.on('error', (e: Error) => (this.lastError = e.message));
    this.prefix = `backprop:gloo:${runId}:`;
    this.ttlSeconds = Math.max(3600, Math.ceil((timeoutMs * 10) / 1000));
  }

  async open(): Promise<void> {
    try {
      await this.redis.connect();
      await this.redis.ping();
    } catch (e) {
      this.redis.disconnect();
      const why = this.lastError || (e as Error).message;
      throw new Error(`cannot reach Redis at ${this.where}: ${redactRedisUrl(why)}`);
    }
  }

  /** Claims `rank` for this process; false when another holds it. */
  async claim(rank: number, claim: string): Promise<boolean> {
    return (await this.redis.set(`${this.prefix}rank-${rank}`, claim, 'EX', this.ttlSeconds, 'NX')) === 'OK';
  }

  async release(rank: number): Promise<void> {
    await this.redis.del(`${this.prefix}rank-${rank}`);
  }

  /** The claims of every rank of this run now in Redis (rank-N → JSON). */
  async claims(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}rank-*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) {
        const values = await this.redis.mget(...keys);
        keys.forEach((k, i) => values[i] !== null && out.set(k.slice(this.prefix.length), values[i]!));
      }
    } while (cursor !== '0');
    return out;
  }

  /** The store calls of Gloo's rendezvous (native BridgeStore), answered through group.storeReply. */
  handler(group: () => NativeGroup): (op: string, key: string, data: Buffer, timeoutMs: number, id: number) => void {
    return (op, key, data, timeoutMs, id) => {
      const reply = (error: string | null, value: Buffer | null) => {
        try {
          group().storeReply(id, error, value);
        } catch {
          // the group was closed meanwhile
        }
      };
      this.serve(op, key, data, timeoutMs).then(
        (value) => reply(null, value),
        (e: Error) => reply(e.message, null),
      );
    };
  }

  private async serve(op: string, key: string, data: Buffer, timeoutMs: number): Promise<Buffer | null> {
    const k = this.prefix + key;
    if (op === 'set') {
      const ok = await this.redis.set(k, data, 'EX', this.ttlSeconds, 'NX');
      if (ok !== 'OK') throw new Error(`rendezvous key '${key}' is already set (a rank number used twice?)`);
      this.mine.push(k);
      return null;
    }
    const end = Date.now() + Math.min(timeoutMs, this.timeoutMs);
    for (;;) {
      const value =
        op === 'get' ? await this.redis.getBuffer(k) : (await this.redis.exists(k)) ? Buffer.alloc(0) : null;
      if (value !== null) return op === 'get' ? value : null;
      if (Date.now() >= end) throw new Error(`Wait timeout for key(s): ${key}`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  /** Removes the rendezvous keys this rank set. */
  async removeKeys(): Promise<void> {
    if (this.mine.length) await this.redis.del(...this.mine.splice(0));
  }

  close(): void {
    this.redis.disconnect();
  }
}
