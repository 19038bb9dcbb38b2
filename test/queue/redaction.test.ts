/**
 * Passwords never in messages or logs. Redaction used to be a regular expression that stopped at the first
 * '@' (`redis://:p@ssw0rd@host` was logged as `redis://:***@ssw0rd@host`, in the worker's `ready` line
 * too) and skipped anything not starting with redis:// (a mistyped scheme was printed whole). Now URLs are
 * described from the parsed URL, user information always hidden, and a string that is not a URL with a
 * host is never quoted.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RedisServer, hasRedis } from '../support/redis-server';
import { CLI, WorkerProcess } from './worker-process';

const DIST = path.resolve(__dirname, '../../dist/index.js');
if (process.env.CI && !hasRedis) throw new Error('CI: redis-server is not installed (.ci/run installs it)');
const built = fs.existsSync(DIST);

/** Connection strings a user may mistype, each with the secret 's3cr3t' somewhere in it. */
const MISTYPED = [
  'redis://:s3cr3t@host:6379', // fine, but the password must not show
  'redis://:p@s3cr3t@host:6379', // an unencoded '@': everything up to the last '@' is user information
  'redis://p@s3cr3t@host', // no ':' — the whole password lands in the user name
  'reddis://:s3cr3t@host', // a mistyped scheme
  'redis//:s3cr3t@host', // a missing ':'
  'redis:/:s3cr3t@host', // a missing '/': no host, the password in the path
  'redis://:s3c#r3t@host', // an unencoded '#'
  'redis://:s3c/r3t@host', // an unencoded '/'
  'redis://:s3c?r3t@host', // an unencoded '?'
  'redis://host:6379/s3cr3t', // a path that is no database number
  'redis://host:6379?password=s3cr3t', // ioredis reads query parameters as options
  'redis://:s3cr3t@[::1', // not a URL at all
  's3cr3t', // the password alone
];

(built ? test : test.skip)(
  'finding 16: no message or description of a connection shows any part of its password',
  () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const r = require('../../dist/jobs/redis') as typeof import('../../src/jobs/redis');
    const texts: string[] = [];
    for (const url of MISTYPED) {
      texts.push(r.redactUrl(url));
      for (const c of [url, { url }, { url, tls: {} }])
        try {
          texts.push(r.describeConnection(r.connectionOptions(c, 'q')));
        } catch (e) {
          texts.push((e as Error).message);
        }
    }
    for (const t of texts) expect(t).not.toMatch(/s3c|r3t/);
    expect(r.redactUrl('redis://:p@s3cr3t@host:6379/2')).toBe('redis://***@host:6379/2');
    expect(r.redactUrl('rediss://user:pw@host')).toBe('rediss://***@host');
    expect(r.redactUrl('redis://host:6379?password=s3cr3t')).toBe('redis://host:6379?***');
    expect(r.redactUrl('redis:/:s3cr3t@host')).toBe('(not a URL; not shown, it may hold a password)');
    expect(() => r.connectionOptions('redis:/:s3cr3t@host', 'q')).toThrow(
      "q: 'connection' must be a URL redis://[user:password@]host:port[/db] or rediss://… (TLS); the string given " +
        'is not one (not shown: it may hold a password)',
    );
    expect(() => r.connectionOptions('reddis://:s3cr3t@host', 'q')).toThrow(
      /got a reddis: URL \(reddis:\/\/\*\*\*@host\)/,
    );
    expect(r.describeConnection({ path: '/run/redis.sock' })).toBe('unix:/run/redis.sock');
  },
);

(built && hasRedis ? describe : describe.skip)('finding 16: the worker and the CLI', () => {
  let redis: RedisServer;
  const password = 'p@ssw0rd';

  beforeAll(async () => {
    redis = await RedisServer.start(['--requirepass', password]);
  }, 20_000);
  afterAll(async () => {
    await redis?.destroy();
  });

  test("the worker's ready line shows no part of a password with '@' in it, and the password works", async () => {
    const url = `redis://:${password}@127.0.0.1:${redis.port}`;
    const store = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-store-'));
    const w = new WorkerProcess(['--redis', url, '--store', store, '--threads', '1']);
    try {
      const ready = await w.waitFor((e) => e.event === 'ready');
      expect(ready.redis).toBe(`redis://***@127.0.0.1:${redis.port}`);
      const status = spawnSync(process.execPath, [CLI, 'status', '--redis', url], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect([status.status, status.stderr]).toEqual([0, '']); // the same URL authenticates
    } finally {
      await w.stop();
      fs.rmSync(store, { recursive: true, force: true });
    }
    expect(w.logs.map((e) => JSON.stringify(e)).join('\n') + w.stderr).not.toMatch(/ssw0rd/);
  }, 40_000);

  test('a mistyped URL on the command line fails fast and is not echoed', () => {
    const refused = MISTYPED.filter((u) => !/^redis:\/\/(:?p?@?s3cr3t@host|host:6379\?)/.test(u));
    expect(refused).toHaveLength(9);
    for (const url of refused) {
      const r = spawnSync(process.execPath, [CLI, 'status', '--redis', url], { encoding: 'utf8', timeout: 20_000 });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^backprop: jobs.queue\(\): 'connection' must be a URL redis:\/\//);
      expect(r.stderr + r.stdout).not.toMatch(/s3c|r3t/);
    }
  }, 120_000);
});
