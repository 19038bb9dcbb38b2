/**
 * Rendezvous through Redis (with a password, as the queue uses it): ranks on 127.0.0.1 meet through a
 * redis-server this test starts, train to the same weights as through a directory, and leave no keys behind.
 */
import * as fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { hasRedis, RedisServer } from '../support/redis-server';
import { GLOO_ADDON, maxDiff, runGroup, startGroup, tempStore } from './ranks';

const run = fs.existsSync(GLOO_ADDON) && hasRedis ? describe : describe.skip;
jest.setTimeout(120000);

run('Redis rendezvous', () => {
  let redis: RedisServer;
  let url: string;
  beforeAll(async () => {
    redis = await RedisServer.start(['--requirepass', 'sekret']);
    url = `redis://:sekret@127.0.0.1:${redis.port}`;
  });
  afterAll(async () => redis?.destroy());

  const keys = () =>
    spawnSync('redis-cli', ['-p', String(redis.port), '-a', 'sekret', '--no-auth-warning', 'KEYS', 'backprop:gloo:*'], {
      encoding: 'utf8',
    }).stdout.trim();

  test('3 ranks meet through Redis and train as through a directory; no keys are left', async () => {
    const viaRedis = await runGroup(3, { batchSize: 4, epochs: 2, init: { store: url, runId: 'r1' } });
    const viaFiles = await runGroup(3, { batchSize: 4, epochs: 2 });
    expect(maxDiff(viaRedis[0], viaFiles[0])).toBe(0);
    expect(maxDiff(viaRedis[0], viaRedis[2])).toBe(0);
    expect(keys()).toBe('');
  });

  test('a wrong password fails init with an error that does not print it', async () => {
    const store = tempStore();
    try {
      const bad = `redis://:wrong@127.0.0.1:${redis.port}`;
      const [r] = await Promise.all(startGroup(1, store, { init: { store: bad } }).map((x) => x.done));
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+: WRONGPASS/);
      expect(r.stderr).not.toContain('wrong@');
    } finally {
      fs.rmSync(store, { recursive: true, force: true });
    }
  });

  test('a world-size mismatch through Redis is named on both ranks', async () => {
    const store = tempStore();
    try {
      const ranks = startGroup(2, store, { timeoutMs: 2000, init: { store: url, runId: 'r2' } }, (r) =>
        r === 1 ? { env: { BACKPROP_WORLD_SIZE: '3' } } : {},
      );
      for (const r of await Promise.all(ranks.map((x) => x.done))) {
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(/could not join the group: world size mismatch/);
      }
    } finally {
      fs.rmSync(store, { recursive: true, force: true });
    }
  });
});
