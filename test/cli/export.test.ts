/**
 * @jest-environment ./test/onnx/ort-environment.js
 */
/**
 * `backprop export`: the real binary writes an ONNX file (and safetensors weights) from a saved model. A model
 * trained by `backprop train` on a CSV takes raw columns in ONNX Runtime (its scaling is in the graph) and gives
 * what the model predicts on the scaled columns; errors are one line with exit code 1.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as bp from '../../src';
import { decodeModel } from '../../src/onnx/proto';
import { maxAbsDiff, OnnxChecker, runOnnx, tmpDir, TOLERANCE } from '../onnx/support';

const BIN = path.resolve(__dirname, '../../dist/cli/main.js');
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, BACKPROP_SILENT: '1' },
    timeout: 120000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

const dir = tmpDir();
const checker = new OnnxChecker();
afterAll(() => checker.close());

/** Raw columns on very different scales (so the graph's scaling matters), three classes. */
function rawRows(rows: number, seed: number): number[][] {
  const rng = new bp.Rng(seed);
  return Array.from({ length: rows }, (_, i) => {
    const k = i % 3;
    return [1000 + 200 * k + rng.normal(0, 50), 0.01 * k + rng.normal(0, 0.003), rng.normal(5, 2)];
  });
}

function writeCsv(name: string, rows: number[][]): string {
  const file = path.join(dir, name);
  const lines = [
    'a,b,c,kind',
    ...rows.map((r, i) => [...r.map((v) => v.toFixed(5)), ['red', 'green', 'blue'][i % 3]].join(',')),
  ];
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

describe('backprop export', () => {
  const modelDir = path.join(dir, 'model');
  beforeAll(() => {
    const csv = writeCsv('train.csv', rawRows(90, 1));
    const r = run('train', '--data', csv, '--target', 'kind', '--layers', '8', '--epochs', '3', '--out', modelDir);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });

  test('a CLI-trained model: raw columns in, the model’s probabilities out; features and classes in metadata', async () => {
    const onnx = path.join(dir, 'out', 'model.onnx');
    const st = path.join(dir, 'out', 'weights.safetensors');
    const r = run('export', '--model', modelDir, '--onnx', onnx, '--safetensors', st, '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.out);
    expect(summary.onnx).toMatchObject({ path: onnx, opset: 17, scaled: true, input: { shape: [null, 3] } });
    expect(summary.safetensors.path).toBe(st);
    expect(await checker.check(onnx)).toBe('ok');

    const model = await bp.loadLayersModel(modelDir);
    const m = decodeModel(fs.readFileSync(onnx));
    expect(
      Object.fromEntries(
        (m as unknown as { metadataProps: { key: string; value: string }[] }).metadataProps.map((p) => [
          p.key,
          p.value,
        ]),
      ),
    ).toEqual({
      'backprop.features': '["a","b","c"]',
      'backprop.classes': '["blue","green","red"]', // the order of the model's outputs
      'backprop.target': 'kind',
    });
    const scaler = bp.data.Scaler.fromJSON((model.metadata.preprocessing as { scaler: bp.data.ScalerState }).scaler);
    for (const rows of [1, 33]) {
      const raw = rawRows(rows, 7 + rows);
      const got = await runOnnx(fs.readFileSync(onnx), bp.tensor(Float32Array.from(raw.flat()), [rows, 3]));
      const scaled = scaler.transform(raw.map((row) => row.map((v) => Math.fround(v))));
      expect(maxAbsDiff(got.data, model.predict(scaled).data)).toBeLessThanOrEqual(TOLERANCE);
    }
    const again = await bp.loadLayersModel(modelDir);
    again.setWeights(again.getWeights().map((w) => new Float32Array(w.data.length)));
    await bp.io.loadSafetensors(again, st);
    expect(again.getWeights().map((w) => Array.from(w.data))).toEqual(
      model.getWeights().map((w) => Array.from(w.data)),
    );
  });

  test('a model saved with model.save: no scaling, text summary, another opset', async () => {
    const saved = path.join(dir, 'plain');
    const model = bp.sequential({
      seed: 2,
      layers: [bp.layers.dense({ units: 2, activation: 'gelu', inputShape: [4] })],
    });
    await model.save(saved);
    const onnx = path.join(dir, 'plain.onnx');
    const r = run('export', '--model', saved, '--onnx', onnx, '--opset', '20');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /^wrote .*plain\.onnx \(ONNX opset 20, \d+ bytes\): input 'dense_1_input' \[batch, 4\], output 'dense_1' \[batch, 2\]\n$/,
    );
    const x = bp.tensor(
      Float32Array.from({ length: 8 }, (_, i) => i / 4 - 1),
      [2, 4],
    );
    expect(maxAbsDiff((await runOnnx(fs.readFileSync(onnx), x)).data, model.predict(x).data)).toBeLessThanOrEqual(
      TOLERANCE,
    );
  });

  test('outputs that are the model’s own files, or the same file twice, are refused before anything is written', () => {
    const before = fs.readFileSync(path.join(modelDir, 'model.json'));
    const link = path.join(dir, 'model-link');
    fs.symlinkSync(modelDir, link);
    const out = path.join(dir, 'twice');
    const cases: [string[], RegExp][] = [
      [
        ['--onnx', path.join(modelDir, 'model.json')],
        /--onnx .*model\.json: is inside the input --model .*model, which/,
      ],
      [['--safetensors', path.join(link, 'w.safetensors')], /--safetensors .*model-link.* is inside the input --model/],
      [['--onnx', path.join(modelDir, 'sub', 'x.onnx')], /is inside the input --model/],
      [['--onnx', `${out}.x`, '--safetensors', `${out}.x`], /--safetensors .*twice\.x: is the same file as --onnx/],
      [['--onnx', `${out}.x`, '--safetensors', path.join(dir, 'model', '..', 'twice.x')], /is the same file as --onnx/],
    ];
    for (const [args, message] of cases) {
      const r = run('export', '--model', modelDir, ...args);
      expect([r.code, r.err]).toEqual([1, expect.stringMatching(message)]);
    }
    // The model reached through a link is the same model.
    const r = run('export', '--model', link, '--onnx', path.join(modelDir, 'model.json'));
    expect(r.err).toMatch(/is inside the input --model .*model-link/);
    expect(fs.readFileSync(path.join(modelDir, 'model.json')).equals(before)).toBe(true);
    expect(fs.existsSync(`${out}.x`)).toBe(false);
    expect(fs.existsSync(path.join(modelDir, 'sub'))).toBe(false);
  });

  test.each([
    [['--model', 'MODEL'], /give --onnx <file\.onnx>/],
    [['--model', 'MODEL', '--onnx', 'DIR'], /--onnx .*: is a directory; give a file name/],
    [['--model', 'MODEL', '--onnx', 'FILE', '--opset', '12'], /'opset' must be an integer from 13 to 21/],
    [['--model', 'MODEL', '--onnx', 'FILE', '--opset', 'x'], /--opset must be an integer/],
    [['--model', path.join('nowhere', 'model'), '--onnx', 'FILE'], /no such model directory/],
  ])('%p fails in one line', (args, message) => {
    const fill = (a: string) =>
      a === 'MODEL' ? modelDir : a === 'DIR' ? dir : a === 'FILE' ? path.join(dir, 'x.onnx') : a;
    const r = run('export', ...args.map(fill));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(message);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(fs.existsSync(path.join(dir, 'x.onnx'))).toBe(false);
  });
});
