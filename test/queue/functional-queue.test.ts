/**
 * A functional spec with two inputs and two outputs trained through the queue on a real redis-server: its data a
 * CSV in the store mapped by input and output name; the worker checks the spec and the map again, and the model it
 * saves into the store loads as a two-input, two-output model predicting what the job's result predicts. A hostile
 * map is refused before anything is queued.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { LayersModel } from '../../src';
import { RedisServer, hasRedis } from '../support/redis-server';
import { twoHeadsCsv, twoHeadsMap, twoHeadsSpec } from '../support/two-heads-spec';

const DIST = path.resolve(__dirname, '../../dist/index.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const bp = fs.existsSync(DIST) ? (require(DIST) as typeof import('../../src')) : undefined;
if (process.env.CI && !hasRedis) throw new Error('CI: redis-server is not installed (.ci/run installs it)');
const maybe = bp && hasRedis ? describe : describe.skip;

maybe('a functional spec with two inputs and two outputs through the queue', () => {
  let redis: RedisServer;
  let storeDir: string;

  beforeAll(async () => {
    redis = await RedisServer.start();
    storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-fqueue-'));
    fs.mkdirSync(path.join(storeDir, 'datasets'));
    fs.writeFileSync(path.join(storeDir, 'datasets/shop.csv'), twoHeadsCsv(300));
  }, 20_000);

  afterAll(async () => {
    await redis?.destroy();
    if (storeDir) fs.rmSync(storeDir, { recursive: true, force: true });
  });

  test('trains through a worker; the saved model loads and predicts both heads as the result does', async () => {
    const q = bp!.jobs.queue({ connection: redis.url, name: 'functional', store: storeDir });
    const w = bp!.jobs.worker({ connection: redis.url, name: 'functional', store: storeDir, threads: 1 });
    try {
      const spec = {
        model: twoHeadsSpec(),
        data: { csv: 'datasets/shop.csv', ...twoHeadsMap },
        fit: { epochs: 12, batchSize: 32, validationSplit: 0.2 },
      };
      // A hostile map never reaches Redis.
      const hostile = q.train({ ...spec, data: { ...spec.data, inputs: { ...twoHeadsMap.inputs, ghost: 'f0' } } });
      await expect(hostile.submitted).rejects.toThrow(
        /queue\.train\(\): 'data\.inputs' names 'ghost', which is not one of the model's inputs 'features', 'tokens'/,
      );
      const counts = await (await q.bullQueue()).getJobCounts();
      expect(Object.values(counts).reduce((s: number, n) => s + (n as number), 0)).toBe(0);

      const job = q.train(spec);
      const r = await job.result;
      expect(job.status).toBe('completed');
      expect(r.history.cls_accuracy).toHaveLength(12);
      expect(r.history.val_price_loss).toHaveLength(12);
      expect(r.history.loss[11]).toBeLessThan(r.history.loss[0]);
      expect(r.data?.targets?.cls.classes).toEqual(['a', 'b', 'c']);

      const saved = await bp!.loadLayersModel(path.join(storeDir, r.modelPath!));
      expect(saved.inputNames).toEqual(['features', 'tokens']);
      expect(saved.outputNames).toEqual(['cls', 'price']);
      const x = { features: [[0.3, -0.2, 0.9, 0.1]], tokens: [[4, 0, 9]] };
      const flat = (m: LayersModel) =>
        (m.predict(x) as unknown as { data: Float32Array }[]).map((t) => Array.from(t.data));
      const theirs = flat(saved);
      expect(theirs.map((v) => v.length)).toEqual([3, 1]);
      expect(theirs).toEqual(flat(r.model));
    } finally {
      await w.close();
      await q.close();
    }
  }, 120_000);
});
