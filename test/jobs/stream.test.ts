/**
 * Training jobs on a CSV streamed from disk (`data: { csv, target, stream: true }`): the job trains with
 * fitDataset in its worker (rows held out by seed for validation, shuffled through a buffer), reports
 * progress, and a job killed mid-run resumes from its checkpoint to the weights of an uninterrupted run.
 * The spec's stream options are checked before a worker starts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const DIST = path.resolve(__dirname, '../../dist/index.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const bp = fs.existsSync(DIST) ? (require(DIST) as typeof import('../../src')) : undefined;
const maybe = bp ? describe : describe.skip;

const spec = {
  seed: 4,
  layers: [
    { units: 16, activation: 'relu', inputShape: [3] },
    { units: 3, activation: 'softmax' },
  ],
  compile: { optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] },
};
const weightsOf = (m: { getWeights(): { data: Float32Array | Float64Array }[] }) =>
  m.getWeights().map((w) => Array.from(w.data));

maybe('training jobs on streamed CSVs', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-jobstream-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const file = path.join(tmp, 'rows.csv');
  const rng = new bp!.Rng(2);
  const lines = ['a,b,c,kind'];
  for (let i = 0; i < 1500; i++) {
    const r = [rng.normal(), rng.normal(), rng.normal()];
    lines.push(`${r.map((v) => v.toFixed(5)).join(',')},${r[0] + r[1] > 0 ? (r[2] > 0 ? 'x' : 'y') : 'z'}`);
  }
  fs.writeFileSync(file, lines.join('\n'));
  const data = { csv: file, target: 'kind', stream: true, shuffleBuffer: 300 };
  const fit = { epochs: 6, batchSize: 32, validationSplit: 0.2 };

  test('trains with progress and validation; killed mid-run, resumes to the uninterrupted weights', async () => {
    const straight = bp!.jobs.train({
      model: spec,
      data,
      fit,
      checkpointDir: path.join(tmp, 'straight'),
      backend: 'js',
      progressEveryMs: 0,
    });
    const events: { kind: string; batches: number; etaSeconds: number; epoch: number }[] = [];
    straight.on('progress', (e) => events.push(e));
    const s = await straight.result;
    expect(s.data).toEqual({
      featureNames: ['a', 'b', 'c'],
      targetName: 'kind',
      task: 'classification',
      classes: ['x', 'y', 'z'],
    });
    expect(s.history.val_accuracy.at(-1)).toBeGreaterThan(0.8);
    const epochEvents = events.filter((e) => e.kind === 'epoch');
    expect(epochEvents.map((e) => e.epoch)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(epochEvents[1].batches).toBeGreaterThan(30); // counted by the first pass
    expect(epochEvents[1].etaSeconds).toBeGreaterThanOrEqual(0);

    const dir = path.join(tmp, 'killed');
    const first = bp!.jobs.train({ model: spec, data, fit, checkpointDir: dir, backend: 'js' });
    await new Promise<void>((resolve) => first.on('checkpoint', (m: { epoch: number }) => m.epoch === 2 && resolve()));
    await first.terminate();
    await expect(first.result).rejects.toThrow(/before finishing/);
    const again = bp!.jobs.train({ model: spec, data, fit, checkpointDir: dir, backend: 'js' });
    const resumed = await again.result;
    expect(again.initialEpoch).toBeGreaterThanOrEqual(2);
    expect(resumed.epochs).toEqual([0, 1, 2, 3, 4, 5]); // the checkpoint's history and this run's
    expect(weightsOf(resumed.model)).toEqual(weightsOf(s.model));
  }, 120000);

  test('stream options are checked before the job starts; bad rows fail the job with their line', async () => {
    const bad = (d: Record<string, unknown>) =>
      bp!.jobs.train({ model: spec, data: { csv: file, target: 'kind', ...d } as never }).result;
    await expect(bad({ stream: 'yes' })).rejects.toThrow(/'data.stream' must be true or false/);
    await expect(bad({ shuffleBuffer: 10 })).rejects.toThrow(/go with 'data.stream: true'/);
    await expect(bad({ stream: true, shuffleBuffer: 0 })).rejects.toThrow(/'data.shuffleBuffer' must be an integer/);
    await expect(bad({ stream: true, maxRows: 5 })).rejects.toThrow(/a streamed CSV has no row limit/);
    const broken = path.join(tmp, 'broken.csv');
    fs.writeFileSync(broken, 'a,b,c,kind\n1,2,3,x\n4,five,6,y\n');
    await expect(
      bp!.jobs.train({ model: spec, data: { csv: broken, target: 'kind', stream: true } }).result,
    ).rejects.toThrow(`${broken}: line 3, column 'b': 'five' is not a number`);
    const skipped = await bp!.jobs.train({
      model: spec,
      data: { csv: broken, target: 'kind', stream: true, skipBadRows: true },
    }).result;
    expect(skipped.epochs).toEqual([0]);
  }, 60000);

  test("a store's streamed file is named by its key and its errors quote none of it", async () => {
    const { streamInfo, streamDatasets } =
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('../../dist/jobs/stream-data') as typeof import('../../src/jobs/stream-data');
    const secret = path.join(tmp, 'secret.csv');
    fs.writeFileSync(secret, 'alpha,beta,kind\n1,2,p\n3,SECRET,q\n');
    const job = {
      kind: 'csv' as const,
      path: secret,
      target: 'kind',
      options: {},
      store: { maxBytes: 1e6, names: ['datasets/secret.csv'] },
      stream: { shuffleBuffer: 10, skipBadRows: false },
    };
    await expect(streamInfo({ ...job, target: 'nope' })).rejects.toThrow(
      "datasets/secret.csv: no column named 'nope'; the header has 3 columns",
    );
    const info = await streamInfo(job);
    const { train } = streamDatasets(job, info, { batchSize: 2 }, 1);
    await expect(train.forEachAsync(() => {})).rejects.toThrow(
      'datasets/secret.csv: line 3, column 2: the cell is not a number',
    );
  });

  test('on a queue: a streamed file in the store is not held to maxDataBytes (it never is in memory)', async () => {
    const { checkQueueSpec, openQueueSpec, DEFAULT_QUEUE_LIMITS } =
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('../../dist/jobs/queue-spec') as typeof import('../../src/jobs/queue-spec');
    const root = path.join(tmp, 'store');
    fs.mkdirSync(path.join(root, 'datasets'), { recursive: true });
    fs.copyFileSync(file, path.join(root, 'datasets', 'rows.csv'));
    const store = bp!.jobs.directoryStore(root);
    const limits = { ...DEFAULT_QUEUE_LIMITS, maxDataBytes: 1000 };
    const queued = { model: spec, data: { csv: 'datasets/rows.csv', target: 'kind' }, fit: { epochs: 1 } };
    await expect(checkQueueSpec(queued, store, limits, 'queue.train()')).rejects.toThrow(
      /at most 1000 are allowed \(maxDataBytes\)/,
    );
    const streamed = { ...queued, data: { ...queued.data, stream: true, shuffleBuffer: 100 } };
    const opened = await openQueueSpec(streamed, store, limits, 'queue.train()');
    try {
      expect(opened.options.data).toMatchObject({ stream: true, name: 'datasets/rows.csv' });
    } finally {
      opened.close();
    }
    await expect(
      checkQueueSpec(
        { ...queued, data: { ...queued.data, stream: true, shuffleBuffer: -1 } },
        store,
        DEFAULT_QUEUE_LIMITS,
        'queue.train()',
      ),
    ).rejects.toThrow(/queue.train\(\): 'data.shuffleBuffer' must be an integer/);
  });
});
