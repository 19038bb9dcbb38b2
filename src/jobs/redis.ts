/**
 * Redis for the job queue, loaded only when a queue is used: importing backprop never loads bullmq or
 * ioredis, so users of the in-process pool need neither Redis nor those packages at run time.
 * A connection is a URL — `redis://[user:password@]host:port[/db]`, or `rediss://` for TLS — passed to
 * ioredis as given, or ioredis options.
 */
import type * as BullMQ from 'bullmq';
import type IORedis from 'ioredis';
import type { RedisOptions } from 'ioredis';

/** A Redis connection: a redis:// or rediss:// URL, or ioredis options ({ host, port, password, tls, … }). */
export type RedisConnection = string | RedisOptions;

/** bullmq, required on first use. */
export function bullmq(): typeof BullMQ {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('bullmq') as typeof BullMQ;
}

function ioredis(): typeof IORedis {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('ioredis') as typeof IORedis;
}

/**
 * Checks a connection and returns BullMQ connection options for it. `blocking` connections (workers,
 * event listeners) retry commands forever across a Redis restart instead of failing them.
 * @example connectionOptions('rediss://:secret@redis.internal:6380/2', 'queue()')
 */
export function connectionOptions(c: unknown, where: string): BullMQ.RedisOptions {
  const base = { maxRetriesPerRequest: null, enableOfflineQueue: true };
  if (typeof c === 'string') {
    let url: URL;
    try {
      url = new URL(c);
    } catch {
      throw new Error(`${where}: 'connection' must be a redis:// or rediss:// URL, got '${redactUrl(c)}'`);
    }
    if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
      throw new Error(`${where}: 'connection' must be a redis:// or rediss:// URL, got a ${url.protocol} URL`);
    return { ...base, url: c };
  }
  if (c && typeof c === 'object' && !Array.isArray(c)) return { ...base, ...(c as BullMQ.RedisOptions) };
  throw new Error(`${where}: 'connection' must be a redis:// URL or ioredis options such as { host, port }`);
}

/** A new ioredis client (for cancel messages, which BullMQ does not carry). */
export function redisClient(options: BullMQ.RedisOptions): IORedis {
  const { url, ...rest } = options as RedisOptions & { url?: string };
  const Redis = ioredis();
  return url ? new Redis(url, rest) : new Redis(rest);
}

/** A URL with its password replaced by '***', for messages and logs. */
export function redactUrl(s: string): string {
  return s.replace(/^(rediss?:\/\/[^:/@]*:)[^@]*@/i, '$1***@');
}

/** Where a connection points, without its password. */
export function describeConnection(o: BullMQ.RedisOptions): string {
  if (o.url) return redactUrl(o.url);
  return `${o.tls ? 'rediss' : 'redis'}://${o.host ?? '127.0.0.1'}:${o.port ?? 6379}`;
}
