/**
 * Reused job ids (issue 20, finding 3) on a real redis-server: of clients queueing one id at once exactly one
 * gets it, and its spec is the one trained; a new job given the id of a finished one (gone from Redis, its
 * checkpoint still in the store) is refused instead of silently resuming the other job's checkpoint.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RedisServer, hasRedis } from '../support/redis-server';

const DIST = path.resolve(__dirname, '../../dist/index.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const bp = fs.existsSync(DIST) ? (require(DIST) as typeof import('../../src')) : undefined;
if (process.env.CI && !hasRedis) throw new Error('CI: redis-server is not installed (.ci/run installs it)');
const maybe = bp && hasRedis ? describe : describe.skip;

const rows = Array.from({ length: 64 }, (_, i) => [Math.sin(i), Math.cos(i * 0.7)]);
const labels = rows.map((r) => (r[0] + r[1] > 0 ? 1 : 0));
const spec = (units: number) => ({
  model: {
    seed: 1,
    layers: [
      { units, activation: 'tanh', inputShape: [2] },
      { units: 2, activation: 'softmax' },
    ],
    compile: { optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' },
  },
  data: { x: rows, y: labels },
  fit: { epochs: 2, batchSize: 16 },
});

maybe('job ids', () => {
  let redis: RedisServer;
  let storeDir: string;
  beforeAll(async () => {
    redis = await RedisServer.start();
    storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-store-'));
  }, 20_000);
  afterAll(async () => {
    await redis?.destroy();
    if (storeDir) fs.rmSync(storeDir, { recursive: true, force: true });
  });

  test('clients queueing one id at once: exactly one gets it, and its spec is what trains', async () => {
    const clients = Array.from({ length: 6 }, () =>
      bp!.jobs.queue({ connection: redis.url, name: 'race', store: storeDir }),
    );
    const w = bp!.jobs.worker({ connection: redis.url, name: 'race', store: storeDir, threads: 1 });
    try {
      await Promise.all(clients.map((c) => c.ready()));
      const jobs = clients.map((c, i) => c.train(spec(3 + i), { id: 'same-id' }));
      const outcomes = await Promise.allSettled(jobs.map((j) => j.submitted));
      const won = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [i] : []));
      expect(won).toHaveLength(1);
      for (const o of outcomes)
        if (o.status === 'rejected')
          expect(String(o.reason)).toMatch("a job 'same-id' is already in queue 'race'; choose another id");
      const r = await jobs[won[0]].result;
      expect(r.model.getWeights()[0].shape).toEqual([2, 3 + won[0]]); // the winner's model, nobody else's
    } finally {
      await w.close();
      await Promise.all(clients.map((c) => c.close()));
    }
  }, 60_000);

  test("a new job with a finished job's id (gone from Redis) does not resume the other job's checkpoint", async () => {
    const q = bp!.jobs.queue({ connection: redis.url, name: 'reuse', store: storeDir });
    const w = bp!.jobs.worker({ connection: redis.url, name: 'reuse', store: storeDir, threads: 1 });
    try {
      // Removes the job from Redis (as keepFinished does), and lets its 'removed' event pass: events arrive in
      // order, so once a later job's end is seen, no old event can reach the next handle of this id.
      const forget = async () => {
        await (await q.bullQueue()).remove('reused');
        await q.train(spec(2)).result;
      };
      const first = await q.train(spec(4), { id: 'reused' }).result;
      await forget();
      const other = q.train(spec(9), { id: 'reused' });
      await expect(other.result).rejects.toThrow(
        /checkpoint directory checkpoints\/reused holds a checkpoint of another job spec: the job's id was used before/,
      );
      await forget();
      // The same spec again is the same job: it resumes its finished checkpoint.
      const again = await q.train(spec(4), { id: 'reused' }).result;
      expect(again.resumedFrom).toBe(2);
      expect(again.model.getWeights().map((t) => Array.from(t.data))).toEqual(
        first.model.getWeights().map((t) => Array.from(t.data)),
      );
    } finally {
      await w.close();
      await q.close();
    }
  }, 60_000);
});
