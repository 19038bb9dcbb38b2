/**
 * `backprop submit | status | sweep` against a real redis-server and a `backprop worker` process: a job
 * spec file queued and followed to its end, a bad spec refused before queueing, the queue's jobs listed,
 * and a sweep of 4 ranked by its metric with the best model's path in the store.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RedisServer, hasRedis } from '../support/redis-server';
import { CLI, WorkerProcess } from './worker-process';

if (process.env.CI && !hasRedis) throw new Error('CI: redis-server is not installed (.ci/run installs it)');
const maybe = fs.existsSync(CLI) && hasRedis ? describe : describe.skip;

const rows = Array.from({ length: 200 }, (_, i) => [Math.sin(i * 1.3), Math.cos(i * 0.7)]);
const csvText = ['a,b,label', ...rows.map(([a, b]) => `${a.toFixed(4)},${b.toFixed(4)},${a + b > 0 ? 'yes' : 'no'}`)];
const jobSpec = {
  model: {
    seed: 1,
    layers: [
      { units: 8, activation: 'tanh', inputShape: [2] },
      { units: 2, activation: 'softmax' },
    ],
    compile: { optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] },
  },
  data: { csv: 'datasets/points.csv', target: 'label' },
  fit: { epochs: 3, batchSize: 16, validationSplit: 0.25 },
};

maybe('backprop submit, status and sweep', () => {
  let redis: RedisServer;
  let storeDir: string;
  let worker: WorkerProcess;
  const run = (...args: string[]) => {
    const r = spawnSync(process.execPath, [CLI, ...args, '--redis', redis.url], { encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const file = (name: string, value: unknown) => {
    const p = path.join(storeDir, '..', `${path.basename(storeDir)}-${name}`);
    fs.writeFileSync(p, JSON.stringify(value));
    return p;
  };

  beforeAll(async () => {
    redis = await RedisServer.start();
    storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-store-'));
    fs.mkdirSync(path.join(storeDir, 'datasets'));
    fs.writeFileSync(path.join(storeDir, 'datasets/points.csv'), csvText.join('\n'));
    worker = new WorkerProcess(['--redis', redis.url, '--store', storeDir, '--threads', '1']);
    await worker.waitFor((e) => e.event === 'ready');
  }, 30_000);

  afterAll(async () => {
    await worker?.stop();
    await redis?.destroy();
    if (storeDir) {
      for (const f of fs.readdirSync(path.dirname(storeDir)))
        if (f.startsWith(`${path.basename(storeDir)}-`)) fs.rmSync(path.join(path.dirname(storeDir), f));
      fs.rmSync(storeDir, { recursive: true, force: true });
    }
  });

  test('submit --wait follows a job to its end; status shows it; a bad spec is refused before queueing', async () => {
    const r = run('submit', '--spec', file('job.json', jobSpec), '--store', storeDir, '--wait', '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const id = lines[0].id as string;
    expect(lines[0]).toEqual({ id, status: 'queued' });
    expect(lines.filter((l) => l.kind === 'epoch').map((l) => l.epoch)).toEqual([1, 2, 3]);
    expect(lines.at(-1)).toMatchObject({ id, status: 'completed', modelPath: `models/${id}`, resumedFrom: 0 });
    expect(fs.existsSync(path.join(storeDir, 'models', id, 'model.json'))).toBe(true);

    const one = run('status', id, '--json');
    expect(one.code).toBe(0);
    expect(JSON.parse(one.out)).toMatchObject({ id, status: 'completed', error: null });
    const all = run('status');
    expect(all.out).toMatch(new RegExp(`^${id} completed epoch 3/3 loss [0-9.]+ model models/${id} on `, 'm'));
    const missing = run('status', 'no-such-job');
    expect([missing.code, missing.err.trim()]).toEqual([1, "backprop: no job 'no-such-job' in queue 'backprop'"]);

    const bad = run('submit', '--spec', file('bad.json', { ...jobSpec, data: { csv: '/etc/passwd', target: 'x' } }));
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/data.csv '\/etc\/passwd' is an absolute path/);
    expect(JSON.parse(run('status', '--json').out)).toHaveLength(1); // nothing more was queued
  }, 60_000);

  test('sweep: 4 runs across the workers, ranked by val_accuracy (highest first), the best model path', async () => {
    const sweep = {
      base: jobSpec,
      grid: { 'fit.batchSize': [8, 64], 'compile.optimizer.learningRate': [0.0001, 0.05] },
      metric: 'val_accuracy',
    };
    const r = run('sweep', '--spec', file('sweep.json', sweep), '--store', storeDir, '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out);
    expect(out.runs).toHaveLength(4);
    expect(out.mode).toBe('max');
    const values = out.runs.map((run: { value: number }) => run.value);
    expect(values).toEqual([...values].sort((x: number, y: number) => y - x));
    expect(out.runs.every((run: { status: string }) => run.status === 'completed')).toBe(true);
    expect(new Set(out.runs.map((run: { params: unknown }) => JSON.stringify(run.params))).size).toBe(4);
    expect(out.bestModelPath).toBe(out.runs[0].modelPath);
    expect(fs.existsSync(path.join(storeDir, out.bestModelPath, 'model.json'))).toBe(true);

    const text = run('sweep', '--spec', file('sweep.json', { ...sweep, grid: { 'fit.batchSize': [8] } }));
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^1\. val_accuracy [0-9.]+ \{"fit.batchSize":8\} completed models\/\S+\nbest: models\//);
    const none = run('sweep', '--spec', file('bad-sweep.json', { ...sweep, grid: {} }));
    expect([none.code, none.err.trim()]).toEqual([1, "backprop: sweep(): 'grid' is empty"]);
  }, 90_000);
});
