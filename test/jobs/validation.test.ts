/**
 * What jobs.train checks before a worker runs, and the limits on a running job: bad specs and data fail
 * the returned job at once with a clear message (never a TypeError from inside), labels are never
 * truncated or wrapped, a model too large is refused before anything is allocated (and before the data is
 * loaded where possible), a CSV is parsed in the worker under the caller's limits, and a job past its
 * time limit is stopped and fails.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const DIST = path.resolve(__dirname, '../../dist/index.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const bp = fs.existsSync(DIST) ? (require(DIST) as typeof import('../../src')) : undefined;
const maybe = bp ? describe : describe.skip;

const compile = { optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' };
const spec = (over: Record<string, unknown> = {}) => ({
  seed: 1,
  layers: [
    { units: 8, activation: 'relu', inputShape: [2] },
    { units: 2, activation: 'softmax' },
  ],
  compile,
  ...over,
});
const x = [
  [0, 1],
  [1, 0],
  [1, 1],
  [0, 0],
];

maybe('jobs.train input checks and limits', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-jobcheck-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test.each([
    [{ compile: undefined }, /model.compile: expected \{ optimizer, loss, metrics\? \}/],
    [
      { compile: { ...compile, optimizer: 'nadam' } },
      /model.compile.optimizer: unknown optimizer "nadam"; use one of 'sgd', 'momentum', 'rmsprop', 'adagrad', 'adam', 'adamw'/,
    ],
    [{ compile: { ...compile, optimizer: '__proto__' } }, /model.compile.optimizer: unknown optimizer "__proto__"/],
    [
      { compile: { ...compile, optimizer: { name: 'constructor' } } },
      /model.compile.optimizer: unknown optimizer "constructor"/,
    ],
    [{ compile: { ...compile, optimizer: { learningRate: 0.1 } } }, /model.compile.optimizer: unknown optimizer null/],
    [{ compile: { ...compile, loss: 'constructor' } }, /model.compile.loss: unknown loss "constructor"/],
    [{ compile: { ...compile, loss: 'hinge' } }, /unknown loss "hinge"/],
    [{ compile: { ...compile, metrics: ['toString'] } }, /model.compile.metrics: .*unknown metric "toString"/],
    [
      { layers: [{ units: 2, activation: '__proto__', inputShape: [2] }] },
      /model.layers\[0\].activation: .*unknown activation '__proto__'/,
    ],
    [
      { layers: [{ type: 'constructor', units: 2 }] },
      /model.layers\[0\].type: must be 'dense', 'dropout' or 'activation' \(or use \{ className, config \}\), got "constructor"/,
    ],
    [
      { layers: [{ units: 0, inputShape: [2] }] },
      /model.layers\[0\].units: expected an integer in \[1, 268435456\], got 0/,
    ],
    [{ layers: [] }, /model.layers: must be a non-empty array/],
  ])('spec %# fails the job at once with a clear message', (over, message) => {
    const job = bp!.jobs.train({ model: spec(over) as never, data: { x, y: [0, 1, 1, 0] } });
    expect(job.status).toBe('failed');
    expect(job.error!.message).toMatch(message);
    expect(job.error!.message).not.toMatch(/TypeError|is not a function|undefined \(reading/);
    return expect(job.result).rejects.toThrow(message);
  });

  test('labels: integers in [0, 2^31 - 1]; 2^32 + 1 or 0.54 is an error, not label 1 or 0', async () => {
    const wrapped = bp!.jobs.train({ model: spec(), data: { x, y: [0, 1, 2 ** 32 + 1, 0] } });
    await expect(wrapped.result).rejects.toThrow(
      /'data.y'\[2\] is 4294967297; class labels must be integers in \[0, 2147483647\]/,
    );
    const fraction = bp!.jobs.train({ model: spec(), data: { x, y: [0, 1, 0.54, 0] } });
    await expect(fraction.result).rejects.toThrow(/'data.y'\[2\] is 0.54; class labels must be integers/);
    const negative = bp!.jobs.train({ model: spec(), data: { x, y: Int32Array.of(0, 1, -1, 0) } });
    await expect(negative.result).rejects.toThrow(/'data.y'\[2\] is -1/);
  });

  test('a flat y of fractions is a regression target, not labels truncated to 0', async () => {
    const rows = Array.from({ length: 64 }, (_, i) => [i / 64, 1 - i / 64]);
    const y = rows.map((r) => 0.54 + 0.32 * r[0]); // 0.54 … 0.86
    const job = bp!.jobs.train({
      model: {
        seed: 2,
        layers: [{ units: 1, inputShape: [2] }],
        compile: { optimizer: { name: 'adam', learningRate: 0.05 }, loss: 'meanSquaredError' },
      },
      data: { x: rows, y },
      fit: { epochs: 60, batchSize: 16 },
    });
    const r = await job.result;
    const p = r.model.predict(rows);
    expect(p.shape).toEqual([64, 1]);
    const err = Array.from(p.data).reduce((s, v, i) => s + Math.abs(v - y[i]), 0) / 64;
    expect(err).toBeLessThan(0.05); // truncated labels would have trained towards 0
  });

  test('a model too large is refused at submit, naming its size, with no worker and no data loaded', () => {
    const big = bp!.jobs.train({
      model: spec({
        layers: [
          { units: 200_000_000, inputShape: [30] },
          { units: 2, activation: 'softmax' },
        ],
      }),
      data: { csv: path.join(tmp, 'never-read.csv'), target: 'y' }, // does not exist: the size is refused first
    });
    expect(big.status).toBe('failed');
    expect(big.error!.message).toMatch(
      /jobs.train\(\): model: the model has 6,600,000,002 parameters and 400,000,068 activation values per batch \(outputs, gradients and layer workspaces\), which need about 99.8 GiB .*; the limit is/,
    );
    const capped = bp!.jobs.train({ model: spec(), data: { x, y: [0, 1, 1, 0] }, maxParameters: 20 });
    expect(capped.error!.message).toBe(
      'job ' +
        capped.id +
        ' failed: jobs.train(): model: the model has 42 parameters for inputs of shape [2]; at most 20 are allowed (maxParameters). Use fewer or smaller layers.',
    );
    expect(bp!.jobs.train({ model: spec(), data: { x, y: [0, 1, 1, 0] }, timeLimitMs: -1 }).error!.message).toMatch(
      /'timeLimitMs' must be a positive number, got -1/,
    );
  });

  test('a CSV is parsed in the worker, which reports its classes; the caller’s limits apply there too', async () => {
    const csv = path.join(tmp, 'points.csv');
    const lines = ['a,b,label'];
    for (let i = 0; i < 200; i++)
      lines.push(`${Math.sin(i).toFixed(3)},${Math.cos(i).toFixed(3)},${i % 2 ? 'odd' : 'even'}`);
    fs.writeFileSync(csv, lines.join('\n'));
    const ok = await bp!.jobs.train({ model: spec(), data: { csv, target: 'label' }, fit: { epochs: 2 } }).result;
    expect(ok.data).toEqual({
      featureNames: ['a', 'b'],
      targetName: 'label',
      task: 'classification',
      classes: ['even', 'odd'],
    });

    const capped = bp!.jobs.train({ model: spec(), data: { csv, target: 'label', maxRows: 100, name: 'upload' } });
    await expect(capped.result).rejects.toThrow('failed: upload: has more than 100 data rows, the limit (maxRows)');

    // Without an inputShape the width is known only in the worker, which must enforce this thread's limits.
    const wide = { seed: 1, layers: [{ units: 5_000 }, { units: 2, activation: 'softmax' }], compile };
    const before = bp!.getLimits();
    bp!.setLimits({ maxModelBytes: 2 ** 20 });
    try {
      const refused = bp!.jobs.train({ model: wide, data: { csv, target: 'label' } });
      // For one input and one row it fits (371 KiB), so only the worker, seeing 2 columns and batches of 32, refuses.
      expect(refused.status).not.toBe('failed');
      await expect(refused.result).rejects.toThrow(
        /the model has 25,002 parameters and 320,384 activation values per batch .*, which need about 1.6 MiB .* the limit is 1.0 MiB/,
      );
    } finally {
      bp!.setLimits(before);
    }
  });

  (process.platform === 'linux' ? test : test.skip)(
    'priority lowers the job thread only (a nice value)',
    async () => {
      const niceOfThreads = () =>
        fs.readdirSync('/proc/self/task').map((tid) => {
          const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
          return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]); // field 19: nice
        });
      const rows = Array.from({ length: 4000 }, (_, i) => [Math.sin(i), Math.cos(i)]);
      const job = bp!.jobs.train({
        model: spec(),
        data: { x: rows, y: rows.map((r) => (r[0] > 0 ? 1 : 0)) },
        fit: { epochs: 100_000, batchSize: 1 },
        priority: 10,
      });
      await new Promise((r) => job.once('progress', r));
      expect(niceOfThreads()).toContain(10);
      expect(os.getPriority()).toBe(0);
      job.cancel();
      await job.result;
      expect(bp!.jobs.train({ model: spec(), data: { x, y: [0, 1, 1, 0] }, priority: 20 }).error!.message).toMatch(
        /'priority' must be an integer nice value in \[0, 19\], got 20/,
      );
    },
    30000,
  );

  test('a job past its time limit is stopped and fails; settled jobs leave the pool', async () => {
    const { pool, train } = bp!.jobs.pool({ size: 1 });
    const rows = Array.from({ length: 4000 }, (_, i) => [Math.sin(i), Math.cos(i)]);
    const t0 = performance.now();
    const slow = train({
      model: spec(),
      data: { x: rows, y: rows.map((r) => (r[0] > 0 ? 1 : 0)) },
      fit: { epochs: 100_000, batchSize: 1 },
      timeLimitMs: 1500,
    });
    const queued = train({ model: spec(), data: { x, y: [0, 1, 1, 0] } });
    expect([pool.running, pool.queued, pool.jobs.size]).toEqual([1, 1, 2]);
    await expect(slow.result).rejects.toThrow(
      `job ${slow.id} failed: it ran longer than its time limit of 1500 ms (timeLimitMs) and was stopped`,
    );
    expect(slow.status).toBe('failed');
    expect(slow.timedOut).toBe(true);
    expect(performance.now() - t0).toBeLessThan(1500 + 2000 + 2000);
    await queued.result;
    await new Promise((r) => setImmediate(r));
    expect([pool.running, pool.queued, pool.jobs.size]).toEqual([0, 0, 0]);
  }, 30000);
});
