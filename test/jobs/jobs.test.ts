/**
 * Training jobs in worker threads: concurrent jobs with progress, one cancelled (stops within a batch,
 * its checkpoint loads), one fed NaN data (fails alone, clearly), one killed mid-run and resumed from
 * its checkpoint to the same final weights as an uninterrupted run — while the main thread's timers
 * keep firing throughout.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const DIST = path.resolve(__dirname, '../../dist/index.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const bp = fs.existsSync(DIST) ? (require(DIST) as typeof import('../../src')) : undefined;
const maybe = bp ? describe : describe.skip;

function problem(seed: number, rows = 600) {
  const rng = new bp!.Rng(seed);
  const x = Array.from({ length: rows }, () => [0, 1, 2, 3].map(() => rng.normal(0, 1)));
  const y = x.map((r) => (r[0] + r[1] > 0 ? (r[2] > 0 ? 2 : 1) : 0));
  return { x, y };
}
const spec = (seed: number) => ({
  seed,
  layers: [
    { units: 32, activation: 'relu', inputShape: [4] },
    { units: 3, activation: 'softmax' },
  ],
  compile: { optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] },
});
const weightsOf = (m: { getWeights(): { data: Float32Array | Float64Array }[] }) =>
  m.getWeights().map((w) => Array.from(w.data));

maybe('training jobs', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-jobs-'));

  test('concurrent jobs: progress, a cancel, a NaN failure, and the main loop keeps ticking', async () => {
    const { pool: p, train } = bp!.jobs.pool({ size: 3 });
    expect(p.size).toBe(3);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    try {
      const good = train({
        model: spec(1),
        data: problem(1),
        fit: { epochs: 15, batchSize: 32 },
        checkpointDir: path.join(tmp, 'good'),
        backend: 'js',
        progressEveryMs: 0,
      });
      const slow = train({
        model: spec(2),
        data: problem(2, 4000),
        fit: { epochs: 200, batchSize: 8 },
        checkpointDir: path.join(tmp, 'cancel'),
        backend: 'js',
        progressEveryMs: 0,
      });
      const bad = problem(3);
      bad.x[17][2] = NaN;
      const nan = train({ model: spec(3), data: bad, fit: { epochs: 2 } });
      const events: {
        epoch: number;
        batch: number;
        loss: number;
        samplesPerSecond: number;
        etaSeconds: number;
        kind: string;
      }[] = [];
      good.on('progress', (e) => events.push(e));
      slow.once('checkpoint', () => slow.cancel());

      await expect(nan.result).rejects.toThrow(/job .* failed: jobs.train\(\): 'data.x' has NaN at row 17, column 2/);
      expect(nan.status).toBe('failed');

      const r = await good.result;
      expect(good.status).toBe('completed');
      expect(r.history.accuracy.at(-1)).toBeGreaterThan(0.9);
      expect(r.model.predict(problem(1).x.slice(0, 3)).shape).toEqual([3, 3]);
      expect(events.some((e) => e.kind === 'batch')).toBe(true);
      expect(events.filter((e) => e.kind === 'epoch').map((e) => e.epoch)).toEqual(
        Array.from({ length: 15 }, (_, i) => i + 1),
      );
      expect(events.every((e) => Number.isFinite(e.loss) && e.samplesPerSecond > 0 && e.etaSeconds >= 0)).toBe(true);

      const c = await slow.result;
      expect(c.cancelled).toBe(true);
      expect(slow.status).toBe('cancelled');
      // it stops after the batch in progress when cancel() was called
      expect(c.batchesDone - slow.batchesAtCancel!).toBeLessThanOrEqual(1);
      expect(c.epochs.length).toBeLessThan(200);
      const fromCheckpoint = await bp!.loadLayersModel(path.join(tmp, 'cancel'));
      expect(fromCheckpoint.trainingState.epoch).toBeGreaterThanOrEqual(1);
    } finally {
      clearInterval(timer);
    }
    expect(ticks).toBeGreaterThan(20);
  }, 120000);

  test('N jobs at once give bit-for-bit the weights of the same jobs run one by one (native, one BLAS thread each)', async () => {
    const backend = bp!.nativeBackend().backend ? 'native' : 'js';
    const run = (size: number) => {
      const { train } = bp!.jobs.pool({ size });
      return Promise.all(
        [1, 2, 3].map(
          (s) =>
            train({ model: spec(s), data: problem(s, 400), fit: { epochs: 4, batchSize: 16 }, backend, blasThreads: 1 })
              .result,
        ),
      );
    };
    const together = await run(3);
    const oneByOne = await run(1);
    expect(together.map((r) => weightsOf(r.model))).toEqual(oneByOne.map((r) => weightsOf(r.model)));
  }, 120000);

  test('a job killed mid-run resumes from its checkpoint to the same weights as an uninterrupted run', async () => {
    const data = problem(4, 800);
    const fit = { epochs: 8, batchSize: 16 };
    const straight = await bp!.jobs.train({
      model: spec(4),
      data,
      fit,
      checkpointDir: path.join(tmp, 'straight'),
      backend: 'js',
    }).result;

    const dir = path.join(tmp, 'killed');
    const first = bp!.jobs.train({ model: spec(4), data, fit, checkpointDir: dir, backend: 'js' });
    await new Promise<void>((resolve) =>
      first.on('checkpoint', (m: { epoch: number }) => {
        if (m.epoch === 3) resolve();
      }),
    );
    await first.terminate();
    await expect(first.result).rejects.toThrow(
      /worker exited .* before finishing; the checkpoint of epoch \d can resume it/,
    );
    expect(first.status).toBe('failed');

    const resumed = bp!.jobs.train({ model: spec(4), data, fit, checkpointDir: dir, backend: 'js' });
    const r = await resumed.result;
    expect(resumed.initialEpoch).toBeGreaterThanOrEqual(3);
    // The history spans both runs (the checkpoint keeps its epochs' logs), and equals the uninterrupted run's.
    expect(r.epochs).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(r.history.loss).toEqual(straight.history.loss);
    expect(weightsOf(r.model)).toEqual(weightsOf(straight.model));
  }, 120000);
});
