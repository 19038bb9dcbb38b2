/**
 * A functional residual spec (the TF.js Model config form) trained end to end: in a job (worker thread) and by
 * `backprop train --model-spec`; a spec with two outputs is refused by jobs.train, naming the fix.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { residualSpec } from '../support/functional-spec';
import { twoHeadsCsv, twoHeadsSpec } from '../support/two-heads-spec';

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

  test('one input array and one target cannot feed a spec with two outputs: the message names the map to give', async () => {
    const spec = residualSpec(4, 3);
    spec.config.output_layers = [
      ['out', 0, 0],
      ['d2', 0, 0],
    ];
    await expect(bp!.jobs.train({ model: spec, data: problem(20) }).result).rejects.toThrow(
      /jobs\.train\(\): model: the model has 1 input\(s\) and 2 output\(s\); .*data: \{ csv, inputs: \{ 'x': \[columns\] \}, targets: \{ 'out': 'column', 'd2': 'column' \} \}.*--input NAME=COLUMNS/,
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

  const cli = (args: string[]) =>
    spawnSync(process.execPath, [BIN, 'train', ...args], {
      encoding: 'utf8',
      env: { ...process.env, BACKPROP_SILENT: '1' },
      timeout: 120000,
    });

  test('backprop train --model-spec with two inputs and two outputs: --input / --target NAME=COLUMNS', async () => {
    const data = path.join(tmp, 'shop.csv');
    const specFile = path.join(tmp, 'two-heads.json');
    fs.writeFileSync(data, twoHeadsCsv(300));
    fs.writeFileSync(specFile, JSON.stringify(twoHeadsSpec()));
    const out = path.join(tmp, 'two');
    const maps = [
      '--input',
      'features=f0..f3',
      '--input',
      'tokens=t0,t1,t2',
      '--target',
      'cls=label',
      '--target',
      'price=price',
    ];
    const base = ['--data', data, '--model-spec', specFile, '--backend', 'js'];
    const r = cli([...base, ...maps, '--epochs', '15', '--json', '--out', out]);
    expect(r.stderr).toBe('');
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.slice(0, -1).map((l) => l.epoch)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    expect(Object.keys(lines[0])).toEqual(expect.arrayContaining(['loss', 'cls_accuracy', 'price_loss', 'val_loss']));
    const done = lines[lines.length - 1];
    expect(done).toMatchObject({ done: true, model: out });
    expect(done.test.cls_accuracy).toBeGreaterThan(0.6);
    const model = await bp!.loadLayersModel(out);
    expect([model.inputNames, model.outputNames]).toEqual([
      ['features', 'tokens'],
      ['cls', 'price'],
    ]);

    // Hostile command lines: named by flag, nothing trained.
    const cases: [string[], RegExp][] = [
      [
        [...base, ...maps, '--input', 'ghost=f0'],
        /--input maps 'ghost'|'ghost', which is not one of the model's inputs/,
      ],
      [[...base, ...maps, '--input', 'tokens=t0'], /--input maps 'tokens' twice/],
      [
        [...base, '--input', 'features=f0..f3', '--target', 'cls=label', '--target', 'price=price'],
        /--input has no columns for the input 'tokens'/,
      ],
      [[...base, ...maps.slice(0, 6)], /--target has no columns for the output 'price'/],
      [
        [...base, ...maps.slice(0, 2), '--input', 'tokens=t0,t1', ...maps.slice(4)],
        /--input tokens has 2 column\(s\) but the input 'tokens' takes 3/,
      ],
      [[...base, ...maps, '--input', 'oops'], /--input 'oops': expected NAME=COLUMNS/],
      [[...base, ...maps, '--normalize', 'standard'], /--normalize applies to one feature matrix/],
      [['--data', data, ...maps], /give --model-spec/],
      [[...base.slice(2), ...maps], /name columns of --data/],
      [
        [...base, ...maps.slice(0, 6), '--target', 'price=nope', '--epochs', '1'],
        /--target price names column 'nope', which the file does not have/,
      ],
    ];
    for (const [args, message] of cases) {
      const bad = cli(args);
      expect(bad.status).not.toBe(0);
      expect(bad.stderr).toMatch(message);
    }
  }, 240000);
});
