/**
 * A functional residual spec (the TF.js Model config form) trained end to end: in a job (worker thread) and by
 * `backprop train --model-spec`; a spec with two outputs is refused by jobs.train, naming the fix.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { residualSpec } from '../support/functional-spec';

const DIST = path.resolve(__dirname, '../../dist/index.js');
const BIN = path.resolve(__dirname, '../../dist/cli/main.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const bp = fs.existsSync(DIST) ? (require(DIST) as typeof import('../../src')) : undefined;
const maybe = bp ? describe : describe.skip;

function problem(rows: number) {
  const rng = new bp!.Rng(5);
  const x = Array.from({ length: rows }, () => [0, 1, 2, 3].map(() => rng.normal(0, 1)));
  const y = x.map((r) => (r[0] + r[1] > 0 ? (r[2] > 0 ? 2 : 1) : 0));
  return { x, y };
}

maybe('functional specs in jobs and the CLI', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-fspec-'));

  test('a job trains a residual functional spec; the result predicts as a functional model', async () => {
    const job = bp!.jobs.train({
      model: residualSpec(4, 3),
      data: problem(300),
      fit: { epochs: 30, batchSize: 32 },
      backend: 'js',
    });
    const result = await job.result;
    const acc = result.history.accuracy as number[];
    expect(acc[acc.length - 1]).toBeGreaterThan(0.8);
    expect(result.model.layers.map((l) => l.className)).toEqual(['InputLayer', 'Dense', 'Dense', 'Add', 'Dense']);
  }, 120000);

  test('jobs refuse a spec with two outputs, naming the fix', async () => {
    const spec = residualSpec(4, 3);
    spec.config.output_layers = [
      ['out', 0, 0],
      ['d2', 0, 0],
    ];
    await expect(bp!.jobs.train({ model: spec, data: problem(20) }).result).rejects.toThrow(
      /jobs\.train\(\): model: the model has 1 input\(s\) and 2 output\(s\); .*model\.fit/,
    );
  });

  test('backprop train --model-spec with a residual functional spec', () => {
    const file = path.join(tmp, 'residual.json');
    const spec = residualSpec(2, 2);
    fs.writeFileSync(file, JSON.stringify({ ...spec, compile: undefined }));
    const r = spawnSync(
      process.execPath,
      [BIN, 'train', '--dataset', 'xor', '--model-spec', file, '--epochs', '2', '--json', '--out', path.join(tmp, 'm')],
      { encoding: 'utf8', env: { ...process.env, BACKPROP_SILENT: '1' }, timeout: 120000 },
    );
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!).done).toBe(true);
    const saved = JSON.parse(fs.readFileSync(path.join(tmp, 'm', 'model.json'), 'utf8'));
    expect(saved.modelTopology.class_name).toMatch(/^(Model|Functional)$/);
  }, 120000);
});
