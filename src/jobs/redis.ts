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

/** The form a connection URL must have, for messages. */
const URL_FORM = 'redis://[user:password@]host:port[/db] or rediss://… (TLS)';

/**
 * Checks a connection and returns BullMQ connection options for it. `blocking` connections (workers,
 * event listeners) retry commands forever across a Redis restart instead of failing them. A message about
 * a bad URL never quotes it: a mistyped URL may hold its password anywhere.
 * @example connectionOptions('rediss://:secret@redis.internal:6380/2', 'queue()')
 */
export function connectionOptions(c: unknown, where: string): BullMQ.RedisOptions {
  const base = { maxRetriesPerRequest: null, enableOfflineQueue: true };
  const checkUrl = (u: string, what: string) => {
    const url = parseUrl(u);
    if (!url)
      throw new Error(
        `${where}: ${what} must be a URL ${URL_FORM}; the string given is not one (not shown: it may hold a password)`,
      );
    if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
      throw new Error(`${where}: ${what} must be a URL ${URL_FORM}, got a ${url.protocol} URL (${redactUrl(u)})`);
    if (!/^(\/\d{0,5})?$/.test(url.pathname))
      throw new Error(`${where}: ${what} must be a URL ${URL_FORM}: its path is a database number (${redactUrl(u)})`);
  };
  if (typeof c === 'string') {
    checkUrl(c, `'connection'`);
    return { ...base, url: c };
  }
  if (c && typeof c === 'object' && !Array.isArray(c)) {
    const url = (c as { url?: unknown }).url;
    if (url !== undefined) {
      if (typeof url !== 'string') throw new Error(`${where}: 'connection.url' must be a string`);
      checkUrl(url, `'connection.url'`);
    }
    return { ...base, ...(c as BullMQ.RedisOptions) };
  }
  throw new Error(`${where}: 'connection' must be a redis:// URL or ioredis options such as { host, port }`);
}

/** A new ioredis client (for cancel messages, which BullMQ does not carry). */
export function redisClient(options: BullMQ.RedisOptions): IORedis {
  const { url, ...rest } = options as RedisOptions & { url?: string };
  const Redis = ioredis();
  return url ? new Redis(url, rest) : new Redis(rest);
}

/**
 * A URL with a scheme, '//' and a host (what ioredis reads as one), or undefined. Anything else — a
 * missing slash, a '#', '/' or '?' in an unencoded password — is not parsed as the user meant it.
 */
function parseUrl(s: string): URL | undefined {
  if (!/^[a-z][a-z0-9+.-]{0,31}:\/\//i.test(s)) return undefined;
  try {
    const url = new URL(s);
    return url.host ? url : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Where a URL points, for messages and logs, from the parsed URL: scheme, host, port and database number;
 * any user information (a user name may be a mistyped password: `redis://p@ss@host`), other path and
 * query shown as '***'. A string that is not such a URL shows nothing of itself.
 * @example redactUrl('redis://:p@ssw0rd@host:6379/2') // 'redis://***@host:6379/2'
 */
export function redactUrl(s: string): string {
  const url = parseUrl(s);
  if (!url) return '(not a URL; not shown, it may hold a password)';
  const user = url.username || url.password ? '***@' : '';
  const db =
    url.pathname === '' || url.pathname === '/' ? '' : /^\/\d{1,5}$/.test(url.pathname) ? url.pathname : '/***';
  return `${url.protocol}//${user}${url.host}${db}${url.search ? '?***' : ''}${url.hash ? '#***' : ''}`;
}

/** Where a connection points, without its password. */
export function describeConnection(o: BullMQ.RedisOptions): string {
  const { url, path } = o as BullMQ.RedisOptions & { url?: string; path?: string };
  if (url) return redactUrl(url);
  if (path) return `unix:${path}`;
  return `${o.tls ? 'rediss' : 'redis'}://${o.host ?? '127.0.0.1'}:${o.port ?? 6379}`;
}
