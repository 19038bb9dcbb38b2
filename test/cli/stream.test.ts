/**
 * `backprop train --stream`: a CSV streamed from disk through worker threads trains a model whose saved
 * preprocessing (columns, classes, scaler) `evaluate` and `predict` use as for an in-memory one; options
 * the streamed path does not take are refused before anything is read.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as bp from '../../src';

const BIN = path.resolve(__dirname, '../../dist/cli/main.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-cli-stream-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, BACKPROP_SILENT: '1' },
    timeout: 120000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const maybe = fs.existsSync(BIN) ? describe : describe.skip;

maybe('backprop train --stream', () => {
  const rng = new bp.Rng(3);
  const csv = path.join(tmp, 'big.csv');
  const lines = ['a,b,c,kind'];
  for (let i = 0; i < 3000; i++) {
    const k = i % 3;
    lines.push(
      [100 + k * 5 + rng.normal(0, 1), -k * 0.1 + rng.normal(0, 0.02), rng.normal()]
        .map((v) => v.toFixed(4))
        .join(',') + `,${['red', 'green', 'blue'][k]}`,
    );
  }
  fs.writeFileSync(csv, lines.join('\n') + '\n');

  test('trains, reports JSON per epoch, saves a model that evaluate and predict read', () => {
    const out = path.join(tmp, 'model');
    const report = path.join(tmp, 'report.html');
    const r = run(
      'train',
      '--data',
      csv,
      '--target',
      'kind',
      '--stream',
      '--shuffle-buffer',
      '500',
      '--layers',
      '16',
      '--epochs',
      '4',
      '--lr',
      '0.01',
      '--json',
      '--out',
      out,
      '--report',
      report,
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const json = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(json.slice(0, 4).map((l) => l.epoch)).toEqual([1, 2, 3, 4]);
    const done = json.at(-1);
    expect(done.done).toBe(true);
    expect(done.test.accuracy).toBeGreaterThan(0.9);
    expect(fs.readFileSync(report, 'utf8')).toContain('(streamed)');
    const ev = run('evaluate', '--model', out, '--data', csv, '--json');
    expect(ev.code).toBe(0);
    expect(JSON.parse(ev.out).accuracy).toBeGreaterThan(0.9);
    const saved = JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8')).userDefinedMetadata.preprocessing;
    expect(saved.classes).toEqual(['blue', 'green', 'red']);
    expect(saved.scaler.kind).toBe('standard');
  });

  test('options it does not take are refused first', () => {
    const r = run('train', '--dataset', 'digits', '--stream');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--stream trains on a numeric CSV .* it does not take --dataset/);
    expect(run('train', '--data', csv, '--target', 'kind', '--shuffle-buffer', '5').err).toMatch(
      /--shuffle-buffer goes with --stream/,
    );
    expect(run('train', '--data', csv, '--stream').err).toMatch(/--target/);
  });
});
