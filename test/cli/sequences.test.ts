/**
 * Sequence models through the real `backprop` binary: CSV rows as sequences (--sequence-length), a text
 * column (--text: tokenized, the tokenizer saved with the model), a JSON model spec (--model-spec), the saved
 * models evaluated and used by `evaluate` / `predict` exactly as train read its data, and the errors.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as bp from '../../src';

const BIN = path.resolve(__dirname, '../../dist/cli/main.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-cli-seq-'));
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, BACKPROP_SILENT: '1' },
    timeout: 120000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const lastJson = (out: string) => JSON.parse(out.trim().split('\n').pop()!);

/** Rows of 6 steps × 2 features; the target is which feature's sum over the steps is larger. */
function sequenceCsv(name: string, rows: number, seed: number): string {
  const rng = new bp.Rng(seed);
  const header = [...Array.from({ length: 12 }, (_, i) => `s${Math.floor(i / 2)}_${i % 2}`), 'winner'];
  const lines = [header.join(',')];
  for (let r = 0; r < rows; r++) {
    const v = Array.from({ length: 12 }, () => rng.uniform(0, 1));
    const a = v.filter((_, i) => i % 2 === 0).reduce((s, x) => s + x, 0);
    const b = v.filter((_, i) => i % 2 === 1).reduce((s, x) => s + x, 0);
    lines.push([...v.map((x) => x.toFixed(3)), a > b ? 'first' : 'second'].join(','));
  }
  const p = path.join(tmp, name);
  fs.writeFileSync(p, `${lines.join('\n')}\n`);
  return p;
}

/** Sentences labelled by the one word that carries the sentiment. */
function textCsv(name: string, rows: number, seed: number): string {
  const rng = new bp.Rng(seed);
  const good = ['great', 'lovely', 'superb'],
    bad = ['awful', 'dull', 'broken'],
    filler = ['the', 'film', 'was', 'really', 'a', 'story', 'and'];
  const lines = ['review,sentiment'];
  for (let r = 0; r < rows; r++) {
    const label = r % 2;
    const words = Array.from({ length: 2 + rng.int(5) }, () => filler[rng.int(filler.length)]);
    words.splice(rng.int(words.length + 1), 0, (label ? good : bad)[rng.int(3)]);
    lines.push(`"${words.join(' ')}, really!",${label ? 'positive' : 'negative'}`);
  }
  const p = path.join(tmp, name);
  fs.writeFileSync(p, `${lines.join('\n')}\n`);
  return p;
}

const maybe = fs.existsSync(BIN) ? describe : describe.skip;

maybe('backprop CLI: sequence models', () => {
  test('--sequence-length: rows are sequences; evaluate and predict read them the same way', () => {
    const train = sequenceCsv('seq-train.csv', 300, 1),
      test = sequenceCsv('seq-test.csv', 60, 2);
    const out = path.join(tmp, 'seq-model');
    const r = run(
      'train',
      '--data',
      train,
      '--target',
      'winner',
      '--test-data',
      test,
      '--sequence-length',
      '6',
      '--rnn',
      'gru',
      '--layers',
      '12',
      '--epochs',
      '12',
      '--lr',
      '0.02',
      '--out',
      out,
      '--json',
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const done = lastJson(r.out) as { test: { accuracy: number; loss: number } };
    expect(done.test.accuracy).toBeGreaterThan(0.8);
    const ev = JSON.parse(run('evaluate', '--model', out, '--data', test, '--json').out);
    expect(ev.accuracy).toBeCloseTo(done.test.accuracy, 10);
    expect(ev.loss).toBeCloseTo(done.test.loss, 5);
    const p = run('predict', '--model', out, '--data', test);
    expect(p.code).toBe(0);
    expect(p.out.trim().split('\n')[0]).toBe('class,p_first,p_second');
  });

  test('--dataset digits --sequence-length 28 trains row-by-row MNIST', () => {
    const r = run(
      'train',
      '--dataset',
      'digits',
      '--sequence-length',
      '28',
      '--layers',
      '16',
      '--epochs',
      '1',
      '--batch-size',
      '64',
      '--json',
    );
    expect(r.code).toBe(0);
    expect(lastJson(r.out).test.accuracy).toBeGreaterThan(0.3);
  });

  test('--text: an Embedding → LSTM classifier from labelled sentences; the tokenizer is saved with the model', async () => {
    const train = textCsv('text-train.csv', 240, 3),
      test = textCsv('text-test.csv', 40, 4);
    const out = path.join(tmp, 'text-model');
    const r = run(
      'train',
      '--data',
      train,
      '--text',
      'review',
      '--target',
      'sentiment',
      '--test-data',
      test,
      '--layers',
      '16',
      '--epochs',
      '10',
      '--lr',
      '0.02',
      '--out',
      out,
      '--json',
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const done = lastJson(r.out) as { test: { accuracy: number; loss: number } };
    expect(done.test.accuracy).toBeGreaterThanOrEqual(0.9);
    const m = await bp.loadLayersModel(out);
    expect(m.layers.map((l) => l.className)).toEqual(['Embedding', 'LSTM', 'Dense']);
    const seq = (
      m.metadata.preprocessing as {
        sequence: { steps: number; text: { column: string; tokenizer: { vocabulary: string[] } } };
      }
    ).sequence;
    expect(seq.text.column).toBe('review');
    expect(seq.text.tokenizer.vocabulary).toEqual(expect.arrayContaining(['great', 'dull', 'film']));
    const ev = JSON.parse(run('evaluate', '--model', out, '--data', test, '--json').out);
    expect(ev.accuracy).toBeCloseTo(done.test.accuracy, 10);
    const p = run('predict', '--model', out, '--data', test, '--json');
    expect(JSON.parse(p.out).rows).toBe(40);
  });

  test('--model-spec: a JSON spec (nested Bidirectional config), its input shape from the data', () => {
    const train = sequenceCsv('spec-train.csv', 200, 5);
    const spec = path.join(tmp, 'spec.json');
    fs.writeFileSync(
      spec,
      JSON.stringify({
        layers: [
          {
            className: 'Bidirectional',
            config: { layer: { class_name: 'LSTM', config: { units: 6 } }, merge_mode: 'ave' },
          },
          { className: 'Dense', config: { units: 2, activation: 'softmax' } },
        ],
        compile: {
          optimizer: { name: 'adam', learningRate: 0.02 },
          loss: 'sparseCategoricalCrossentropy',
          metrics: ['accuracy'],
        },
      }),
    );
    const r = run(
      'train',
      '--data',
      train,
      '--target',
      'winner',
      '--sequence-length',
      '6',
      '--model-spec',
      spec,
      '--epochs',
      '3',
      '--json',
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    fs.writeFileSync(
      spec,
      JSON.stringify({
        layers: [
          { className: 'GRU', config: { units: 4 } },
          { units: 3, activation: 'softmax' },
        ],
      }),
    );
    const wrong = run('train', '--data', train, '--target', 'winner', '--sequence-length', '6', '--model-spec', spec);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/the model outputs 3 values per step but the data has 2 classes/);
  });

  test('bad sequence options fail before training, naming the option', () => {
    const train = sequenceCsv('bad.csv', 20, 6);
    const cases: [string[], RegExp][] = [
      [['--sequence-length', '5'], /12 feature columns, which is not a whole number of --sequence-length 5 steps/],
      [['--sequence-length', '0'], /--sequence-length/],
      [['--vocabulary', '10'], /--vocabulary and --tokens apply to a text column/],
      [['--rnn', 'transformer', '--sequence-length', '6'], /--rnn must be lstm, gru or simpleRNN/],
      [['--rnn', 'gru'], /--rnn needs sequences/],
      [['--text', 's0_0', '--normalize', 'standard'], /--normalize applies to numeric columns/],
      [['--model-spec', path.join(tmp, 'missing.json')], /cannot read the file/],
    ];
    for (const [args, message] of cases) {
      const r = run('train', '--data', train, '--target', 'winner', ...args);
      expect({ args, code: r.code }).toEqual({ args, code: 1 });
      expect(r.err).toMatch(message);
    }
    const d = run('train', '--dataset', 'xor', '--text', 'review');
    expect(d.err).toMatch(/--text needs a CSV file/);
  });
});
