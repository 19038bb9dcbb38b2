/**
 * The store under someone who swaps its entries for symbolic links while a job runs (issue 20, findings 1 and
 * 2), through the public queue API on a real redis-server. The swaps are made at fixed points: right after
 * the worker has checked the spec (a store wrapper swaps when the worker asks for the job's checkpoint
 * directory, which it does after every spec path is checked), right after the client has checked a finished
 * model's directory, or when a checkpoint is logged (with two epochs of margin before the next save).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RedisServer, hasRedis } from '../support/redis-server';

const DIST = path.resolve(__dirname, '../../dist/index.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const bp = fs.existsSync(DIST) ? (require(DIST) as typeof import('../../src')) : undefined;
if (process.env.CI && !hasRedis) throw new Error('CI: redis-server is not installed (.ci/run installs it)');
const maybe = bp && hasRedis ? describe : describe.skip;

type Store = import('../../src/jobs/store').JobStore;

const model = (units: number) => ({
  seed: 1,
  layers: [
    { units, activation: 'tanh', inputShape: [2] },
    { units: 2, activation: 'softmax' },
  ],
  compile: { optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' },
});
const rows = Array.from({ length: 2000 }, (_, i) => [Math.sin(i), Math.cos(i * 0.7)]);
const labels = rows.map((r) => (r[0] + r[1] > 0 ? 1 : 0));
const csv = ['a,b,label', ...rows.map((r, i) => `${r[0]},${r[1]},${labels[i]}`)].join('\n');
const weightsOf = (m: { getWeights(): { data: Float32Array | Float64Array }[] }) =>
  m.getWeights().map((w) => Array.from(w.data));

/**
 * The store at `dir`, wrapped: once any method is called with a key starting with `prefix`, `swap` runs (once),
 * after the call. The wrapper does not know the store's methods: it works on any version of the interface.
 */
function swappingStore(dir: string, prefix: string, swap: () => void): Store {
  const inner = bp!.jobs.directoryStore(dir) as unknown as Record<string, unknown>;
  let done = false;
  return new Proxy(inner, {
    get(target, prop) {
      const v = target[prop as string];
      if (typeof v !== 'function') return v;
      return async (...args: unknown[]) => {
        const r = await (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        if (!done && typeof args[0] === 'string' && args[0].startsWith(prefix)) {
          done = true;
          swap();
        }
        return r;
      };
    },
  }) as unknown as Store;
}

maybe('store entries swapped for links while jobs run', () => {
  let redis: RedisServer;
  let storeDir: string;
  let outside: string;

  beforeAll(async () => {
    redis = await RedisServer.start();
  }, 20_000);
  afterAll(async () => {
    await redis?.destroy();
  });
  beforeEach(() => {
    storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-store-'));
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-outside-'));
    fs.mkdirSync(path.join(storeDir, 'datasets'));
    fs.writeFileSync(path.join(storeDir, 'datasets/d.csv'), csv);
    fs.writeFileSync(path.join(outside, 'secret.csv'), 'SECRET-LINE-1,SECRET-2\nroot:x:0:0,1\n');
  });
  afterEach(() => {
    for (const d of [storeDir, outside]) fs.rmSync(d, { recursive: true, force: true });
  });

  const run = async (
    name: string,
    store: Store,
    spec: unknown,
    onLog?: (e: Record<string, unknown>) => void,
    id?: string,
  ) => {
    const q = bp!.jobs.queue({ connection: redis.url, name, store: storeDir });
    const w = bp!.jobs.worker({ connection: redis.url, name, store, threads: 1, log: onLog });
    try {
      const job = q.train(spec, id === undefined ? {} : { id });
      const outcome = await job.result.then(
        (r) => ({ r, error: undefined }),
        (error: Error) => ({ r: undefined, error }),
      );
      return { job, ...outcome };
    } finally {
      await w.close();
      await q.close();
    }
  };

  test('a CSV swapped for a link to a file outside after the check: the job reads the checked file', async () => {
    const store = swappingStore(storeDir, 'checkpoints/', () => {
      fs.renameSync(path.join(storeDir, 'datasets/d.csv'), path.join(storeDir, 'datasets/moved.csv'));
      fs.symlinkSync(path.join(outside, 'secret.csv'), path.join(storeDir, 'datasets/d.csv'));
    });
    const spec = { model: model(4), data: { csv: 'datasets/d.csv', target: 'label' }, fit: { epochs: 1 } };
    const { r, error } = await run('csv-swap', store, spec);
    expect(error?.message ?? '').not.toMatch(/SECRET|root:x/);
    expect(error).toBeUndefined();
    expect(r!.data!.featureNames).toEqual(['a', 'b']); // the store's file, not the one outside
    expect(fs.lstatSync(path.join(storeDir, 'datasets/d.csv')).isSymbolicLink()).toBe(true); // the swap happened
  }, 60_000);

  test('a saved model swapped for a link to a model outside after the check: the job trains the checked one', async () => {
    const base = bp!.modelFromSpec(model(4));
    await base.save(path.join(storeDir, 'models/base'), { includeOptimizer: true });
    const foreign = bp!.modelFromSpec(model(7));
    await foreign.save(path.join(outside, 'model'), { includeOptimizer: true });
    const store = swappingStore(storeDir, 'checkpoints/', () => {
      fs.renameSync(path.join(storeDir, 'models/base'), path.join(storeDir, 'models/moved'));
      fs.symlinkSync(path.join(outside, 'model'), path.join(storeDir, 'models/base'));
    });
    const spec = { model: 'models/base', data: { csv: 'datasets/d.csv', target: 'label' }, fit: { epochs: 1 } };
    const { r, error } = await run('model-swap', store, spec);
    expect(error).toBeUndefined();
    expect(r!.model.getWeights()[0].shape).toEqual([2, 4]); // the store's model (4 units), not outside's (7)
  }, 60_000);

  /** A saved model outside the store (the target of the links below) and a snapshot of its files. */
  const outsideModel = async () => {
    await bp!.modelFromSpec(model(7)).save(path.join(outside, 'model'));
    const files = () =>
      Object.fromEntries(
        fs.readdirSync(path.join(outside, 'model')).map((f) => [
          f,
          createHash('sha256')
            .update(fs.readFileSync(path.join(outside, 'model', f)))
            .digest('hex'),
        ]),
      );
    return { dir: path.join(outside, 'model'), before: files(), files };
  };

  test("the job's checkpoint directory swapped for a link between checkpoints: nothing is written outside", async () => {
    const ckpt = (id: string) => path.join(storeDir, 'checkpoints', id);
    const target = await outsideModel();
    let swapped = false;
    const spec = {
      model: model(4),
      data: { csv: 'datasets/d.csv', target: 'label' },
      fit: { epochs: 6, batchSize: 4 },
      checkpointEvery: 3,
    };
    const { error } = await run('ckpt-swap', bp!.jobs.directoryStore(storeDir), spec, (e) => {
      if (e.event === 'checkpoint' && e.epoch === 3 && !swapped) {
        swapped = true; // the next save is 3 epochs (1,500 batches) away
        fs.renameSync(ckpt(e.job as string), path.join(storeDir, 'checkpoints/moved'));
        fs.symlinkSync(target.dir, ckpt(e.job as string));
      }
    });
    expect(swapped).toBe(true);
    expect(target.files()).toEqual(target.before); // the model outside is neither overwritten nor cleaned up
    expect(error?.message).toMatch(
      /checkpoint directory 'checkpoints\/[^']+' is or passes through a symbolic link.*replaced or removed during/,
    );
  }, 60_000);

  test("the job's model directory swapped for a link before the final save: nothing is written outside", async () => {
    const spec = {
      model: model(4),
      data: { csv: 'datasets/d.csv', target: 'label' },
      fit: { epochs: 6, batchSize: 4 },
      checkpointEvery: 3,
    };
    const target = await outsideModel();
    let swapped = false;
    const { error } = await run('out-swap', bp!.jobs.directoryStore(storeDir), spec, (e) => {
      if (e.event === 'checkpoint' && e.epoch === 3 && !swapped) {
        swapped = true;
        const out = path.join(storeDir, 'models', e.job as string);
        fs.renameSync(out, path.join(storeDir, 'models/moved'));
        fs.symlinkSync(target.dir, out);
      }
    });
    expect(swapped).toBe(true);
    expect(target.files()).toEqual(target.before);
    expect(error?.message).toMatch(/model directory 'models\/[^']+' is or passes through a symbolic link/);
  }, 60_000);

  test("a finished job's model swapped for a link after the client's check: the client loads the checked one", async () => {
    const w = bp!.jobs.worker({ connection: redis.url, name: 'load-swap', store: storeDir, threads: 1 });
    const foreign = bp!.modelFromSpec(model(7));
    await foreign.save(path.join(outside, 'model'));
    let id = '';
    const store = swappingStore(storeDir, 'models/', () => {
      fs.renameSync(path.join(storeDir, 'models', id), path.join(storeDir, 'models/moved'));
      fs.symlinkSync(path.join(outside, 'model'), path.join(storeDir, 'models', id));
    });
    const q = bp!.jobs.queue({ connection: redis.url, name: 'load-swap', store });
    try {
      const job = q.train({ model: model(4), data: { csv: 'datasets/d.csv', target: 'label' }, fit: { epochs: 1 } });
      id = job.id;
      const r = await job.result;
      expect(fs.lstatSync(path.join(storeDir, 'models', id)).isSymbolicLink()).toBe(true); // the swap happened
      const saved = await bp!.loadLayersModel(path.join(storeDir, 'models/moved'));
      expect(weightsOf(r.model)).toEqual(weightsOf(saved));
    } finally {
      await w.close();
      await q.close();
    }
  }, 60_000);
});
