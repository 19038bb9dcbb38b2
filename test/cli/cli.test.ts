/**
 * The real `backprop` binary, run as a child process on small files made here: every command, its exit
 * codes, its text and JSON output, and the saved model (it loads and predicts what train reported).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as bp from '../../src';

const BIN = path.resolve(__dirname, '../../dist/cli/main.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-cli-'));
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, BACKPROP_SILENT: '1' },
    timeout: 120000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

function writeCsv(name: string, rows: number, seed: number, withTarget = true): string {
  const rng = new bp.Rng(seed);
  const lines = [withTarget ? 'a,b,c,kind' : 'a,b,c'];
  for (let i = 0; i < rows; i++) {
    const k = i % 3;
    const v = [k + rng.normal(0, 0.3), 2 * k + rng.normal(0, 0.3), rng.normal(0, 1)].map((x) => x.toFixed(3));
    lines.push([...v, ...(withTarget ? [['red', 'green', 'blue'][k]] : [])].join(','));
  }
  const p = path.join(tmp, name);
  fs.writeFileSync(p, `${lines.join('\n')}\n`);
  return p;
}

const hasBin = fs.existsSync(BIN);
const maybe = hasBin ? describe : describe.skip;

maybe('backprop CLI', () => {
  const train = writeCsv('train.csv', 240, 1);
  const testCsv = writeCsv('test.csv', 60, 2);
  const model = path.join(tmp, 'model');
  const report = path.join(tmp, 'report.html');
  let trainLines: Record<string, unknown>[] = [];

  beforeAll(() => {
    const r = run(
      'train',
      '--data',
      train,
      '--target',
      'kind',
      '--test-data',
      testCsv,
      '--layers',
      '8',
      '--epochs',
      '15',
      '--lr',
      '0.02',
      '--out',
      model,
      '--report',
      report,
      '--json',
      '--seed',
      '3',
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    trainLines = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
  });

  test('train --json prints one object per epoch, then a summary', () => {
    expect(trainLines).toHaveLength(16);
    expect(trainLines[0]).toMatchObject({ epoch: 1 });
    expect(Object.keys(trainLines[0])).toEqual(
      expect.arrayContaining(['loss', 'accuracy', 'val_loss', 'val_accuracy', 'samplesPerSecond']),
    );
    const done = trainLines[15] as { done: boolean; test: { accuracy: number; loss: number } };
    expect(done.done).toBe(true);
    expect(done.test.accuracy).toBeGreaterThan(0.9);
  });

  test('the saved model loads in the library and predicts what train reported', async () => {
    const m = await bp.loadLayersModel(model);
    const pre = m.metadata.preprocessing as { classes: string[]; featureNames: string[] };
    expect(pre.classes).toEqual(['blue', 'green', 'red']);
    expect(pre.featureNames).toEqual(['a', 'b', 'c']);
    const r = run('evaluate', '--model', model, '--data', testCsv, '--target', 'kind', '--json');
    expect(r.code).toBe(0);
    const ev = JSON.parse(r.out);
    const done = trainLines[15] as { test: { accuracy: number; loss: number } };
    expect(ev.accuracy).toBeCloseTo(done.test.accuracy, 10);
    expect(ev.loss).toBeCloseTo(done.test.loss, 5);
  });

  test('predict writes a CSV with a header and one row per input (the target column is ignored)', () => {
    const out = path.join(tmp, 'pred.csv');
    const r = run('predict', '--model', model, '--data', testCsv, '--out', out);
    expect(r.code).toBe(0);
    const lines = fs.readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('class,p_blue,p_green,p_red');
    expect(lines).toHaveLength(61);
    const truth = fs
      .readFileSync(testCsv, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',')[3]);
    const correct = lines.slice(1).filter((l, i) => l.split(',')[0] === truth[i]).length;
    expect(correct / 60).toBeGreaterThan(0.9);
    const noTarget = writeCsv('unlabelled.csv', 5, 4, false);
    const j = run('predict', '--model', model, '--data', noTarget, '--json');
    expect(JSON.parse(j.out).rows).toBe(5);
  });

  test('text output has a line per epoch when stdout is not a TTY; regression works', () => {
    const csv = path.join(tmp, 'reg.csv');
    const rng = new bp.Rng(5);
    fs.writeFileSync(
      csv,
      `x,y\n${Array.from({ length: 200 }, () => {
        const x = rng.uniform(-1, 1);
        return `${x.toFixed(4)},${(3 * x + 1).toFixed(4)}`;
      }).join('\n')}\n`,
    );
    const r = run('train', '--data', csv, '--target', 'y', '--task', 'regression', '--epochs', '5', '--layers', '8');
    expect(r.code).toBe(0);
    expect(r.out.match(/^Epoch \d+ /gm)).toHaveLength(5);
    expect(r.out).toMatch(/test: loss=/);
  });

  test('train from IDX files and from --config', () => {
    const ip = path.join(tmp, 'i.idx'),
      lp = path.join(tmp, 'l.idx');
    const rng = new bp.Rng(8);
    const labels = Array.from({ length: 100 }, (_, i) => i % 2);
    bp.data.writeIdx(
      ip,
      [100, 2, 2],
      labels.flatMap((l) => [0, 0, 0, 0].map(() => Math.round(l * 200 + rng.uniform(0, 55)))),
      'uint8',
    );
    bp.data.writeIdx(lp, [100], labels, 'uint8');
    const r = run('train', '--data-idx', ip, '--labels-idx', lp, '--epochs', '20', '--lr', '0.05', '--json');
    expect(r.code).toBe(0);
    const last = JSON.parse(r.out.trim().split('\n').pop()!);
    expect(last.test.accuracy).toBe(1);
    const cfg = path.join(tmp, 'cfg.json');
    fs.writeFileSync(
      cfg,
      JSON.stringify({ dataset: 'xor', layers: [8], activation: 'tanh', epochs: 300, lr: 0.05, batchSize: 4, seed: 3 }),
    );
    const x = run('train', '--config', cfg, '--json');
    expect(x.code).toBe(0);
    expect(JSON.parse(x.out.trim().split('\n').pop()!).test.accuracy).toBe(1);
  });

  test('info, gradcheck and bench --quick --json', () => {
    const i = run('info', '--json');
    expect(i.code).toBe(0);
    expect(JSON.parse(i.out)).toMatchObject({ backend: expect.stringMatching(/native|js/) });
    const g = run('gradcheck', '--json');
    expect(g.code).toBe(0);
    expect(JSON.parse(g.out).ok).toBe(true);
  });

  test('bench --quick --json parses and has every section', () => {
    const b = run('bench', '--quick', '--json');
    expect(b.code).toBe(0);
    const r = JSON.parse(b.out);
    expect(r.gemm.length).toBeGreaterThan(0);
    expect(r.steps.map((s: { mlp: string }) => s.mlp)).toEqual(
      expect.arrayContaining(['tiny 2-8-1 b4 sgd', 'medium 784-128-10 b64 sgd', 'large 784-256-128-10 b128 adam']),
    );
    expect(r.fit.every((f: { 'test accuracy': number }) => f['test accuracy'] > 0.5)).toBe(true);
    expect(Array.isArray(r.transformers)).toBe(true);
  }, 120000);

  test.each([
    [['train', '--data', '/nonexistent.csv', '--target', 'kind'], /nonexistent.csv: cannot read the file/],
    [['train', '--data', 'TRAIN', '--target', 'colour'], /no column named 'colour'; columns are: a, b, c, kind/],
    [['train', '--data', 'BAD', '--target', 'kind'], /line 3, column 'b': 'x1' is not a number/],
    [
      ['train', '--data', 'TRAIN', '--target', 'kind', '--test-data', 'NEWCLASS'],
      /label 'purple' is not one of the known classes/,
    ],
    [['evaluate', '--model', '/tmp', '--data', 'TRAIN'], /model.json: not found/],
    [['train', '--dataset', 'cifar'], /--dataset must be 'digits' or 'xor'/],
    [['train', '--data', 'TRAIN', '--target', 'kind', '--epochs', '0'], /--epochs must be an integer >= 1/],
    [
      ['train', '--data', 'TRAIN', '--target', 'kind', '--optimizer', '__proto__'],
      /--optimizer must be one of sgd, momentum, rmsprop, adagrad, adam, adamw; got '__proto__'/,
    ],
    [['train', '--data', 'TRAIN', '--target', 'kind', '--optimizer', 'constructor'], /--optimizer must be one of/],
    [
      ['train', '--data', 'TRAIN', '--target', 'kind', '--activation', '__proto__'],
      /--activation '__proto__' is not a known name/,
    ],
    [
      ['train', '--data', 'TRAIN', '--target', 'kind', '--activation', 'constructor'],
      /--activation 'constructor' is not a known name/,
    ],
    [
      ['train', '--data', 'TRAIN', '--target', 'kind', '--loss', 'constructor'],
      /--loss 'constructor' is not a known name/,
    ],
    [['train', '--data', 'TRAIN', '--target', 'kind', '--loss', 'hinge'], /--loss: unknown loss "hinge"/],
    [['gradcheck', '--config', 'CFG:null'], /: the config must be a JSON object/],
    [
      ['gradcheck', '--config', 'CFG:{"loss":"constructor"}'],
      /'loss' must be a name such as 'categoricalCrossentropy', got "constructor"/,
    ],
    [
      ['gradcheck', '--config', 'CFG:{"activation":"__proto__"}'],
      /'activation' must be a name such as 'tanh', got "__proto__"/,
    ],
    [['gradcheck', '--config', 'CFG:{"loss":5}'], /'loss' must be a name .* got 5/],
    [['gradcheck', '--config', 'CFG:{"rows":1000000000}'], /'rows' must be an integer in \[1, 256\], got 1000000000/],
    [['gradcheck', '--config', 'CFG:{"layers":"8,x"}'], /'layers'\[1\] must be an integer in \[1, 256\], got "x"/],
  ])('error %#: one line, non-zero exit, no stack trace', (args, message) => {
    const bad = path.join(tmp, 'bad.csv');
    fs.writeFileSync(bad, 'a,b,c,kind\n1,2,3,red\n4,x1,6,blue\n');
    const newClass = path.join(tmp, 'newclass.csv');
    fs.writeFileSync(newClass, 'a,b,c,kind\n1,2,3,purple\n');
    const config = (text: string) => {
      const p = path.join(tmp, `cfg-${Buffer.from(text).toString('hex')}.json`);
      fs.writeFileSync(p, text);
      return p;
    };
    const r = run(
      ...(args as string[]).map((a) =>
        a === 'TRAIN'
          ? train
          : a === 'BAD'
            ? bad
            : a === 'NEWCLASS'
              ? newClass
              : a.startsWith('CFG:')
                ? config(a.slice(4))
                : a,
      ),
    );
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(message);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  test('--help has examples for every command', () => {
    for (const cmd of ['train', 'evaluate', 'predict', 'bench', 'info', 'gradcheck']) {
      const r = run(cmd, '--help');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/Example/);
    }
  });

  test('the HTML report is self-contained with a chart per metric and a confusion matrix', () => {
    const html = fs.readFileSync(report, 'utf8');
    expect(html).not.toMatch(/<script|src="http/);
    const paths = [...html.matchAll(/<path class="series" data-series="([^"]+)" data-points="(\d+)" d="([^"]+)"/g)];
    expect(paths.map((p) => p[1])).toEqual([
      'training loss',
      'validation loss',
      'training accuracy',
      'validation accuracy',
    ]);
    for (const p of paths) {
      expect(Number(p[2])).toBe(15);
      expect(p[3].split(/[ML]/).filter((s) => s.trim()).length).toBe(15);
    }
    expect(html).toMatch(/Confusion matrix/);
  });

  describe('checked before training: output paths and model size', () => {
    // Big enough that training would show: a check that came after it would print epochs first.
    const big = writeCsv('big.csv', 3000, 9);
    const trainArgs = ['train', '--data', big, '--target', 'kind', '--epochs', '50', '--layers', '64'];
    const existing = path.join(tmp, 'existing-file');
    fs.writeFileSync(existing, 'not a directory');
    test.each([
      [['--out', '/dev/null'], '--out /dev/null: exists and is not a directory; give a directory for the model'],
      [['--out', existing], `--out ${existing}: exists and is not a directory; give a directory for the model`],
      [
        ['--out', path.join(existing, 'model')],
        `--out ${path.join(existing, 'model')}: cannot be created, because ${existing} is not a directory`,
      ],
      [['--report', '/dev/null'], '--report /dev/null: is not a regular file (a device or pipe); give a file name'],
      [['--report', tmp], `--report ${tmp}: is a directory; give a file name`],
    ])('bad %j fails at once: exit 1, one line, no training output', (flags, message) => {
      const t0 = performance.now();
      const r = run(...trainArgs, ...(flags as string[]));
      expect(r.code).toBe(1);
      expect(r.err).toBe(`backprop: ${message}\n`);
      expect(r.out).toBe('');
      expect(performance.now() - t0).toBeLessThan(10000);
    });
    test('predict --out is checked before the model runs', () => {
      const r = run('predict', '--model', model, '--data', testCsv, '--out', '/dev/null');
      expect(r.code).toBe(1);
      expect(r.err).toBe('backprop: --out /dev/null: is not a regular file (a device or pipe); give a file name\n');
    });
    test('outputs that would overwrite an input or each other are refused (also through links)', () => {
      const data = fs.readFileSync(testCsv);
      const alias = path.join(tmp, 'test-alias.csv');
      fs.linkSync(testCsv, alias); // a hard link: a plain write to it rewrites test.csv
      const refused: [string[], string][] = [
        [['predict', '--model', model, '--data', testCsv, '--out', testCsv], `--out ${testCsv}: is the input --data`],
        [['predict', '--model', model, '--data', testCsv, '--out', alias], `--out ${alias}: is the input --data`],
        [
          ['predict', '--model', path.join(model, 'model.json'), '--data', testCsv, '--out', path.join(model, 'p.csv')],
          `--out ${path.join(model, 'p.csv')}: is inside the input --model ${model}`,
        ],
        [[...trainArgs, '--report', big], `--report ${big}: is the input --data ${big}`],
        [
          [...trainArgs, '--out', path.join(tmp, 'm2'), '--report', path.join(tmp, 'm2', 'model.json')],
          `--out ${path.join(tmp, 'm2', 'model.json')}: is the same file as --report`,
        ],
      ];
      for (const [args, message] of refused) {
        const r = run(...args);
        expect([r.code, r.out]).toEqual([1, '']);
        expect(r.err).toContain(message);
      }
      expect(fs.readFileSync(testCsv).equals(data)).toBe(true);
      expect(fs.existsSync(path.join(tmp, 'm2'))).toBe(false);
    });
    test('--layers 100000000: refused with the size named, one line, before a weight is allocated', () => {
      const r = run('train', '--data', train, '--target', 'kind', '--layers', '100000000');
      expect(r.code).toBe(1);
      expect(r.out).toBe('');
      expect(r.err).toMatch(
        /^backprop: train: the model has 700,000,003 parameters and 9,600,000,576 activation values per batch .*, which need about 46\.2 GiB .* the limit is [\d.]+ GiB\. Use fewer or smaller layers or a smaller batch/,
      );
      expect(r.err.trim().split('\n')).toHaveLength(1);
    });
    test('a model too large for any data is refused before the data is read', () => {
      const r = run('train', '--data', '/nonexistent.csv', '--target', 'kind', '--layers', '200000000,200000000');
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/^backprop: train: the model has 40,000,000,800,000,000 parameters .* the limit is/);
    });
    test('a diverging training exits 1 naming the epoch and loss, and saves nothing', () => {
      const out = path.join(tmp, 'diverged-model');
      const r = run('train', '--data', train, '--target', 'kind', '--lr', '1e30', '--epochs', '5', '--out', out);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(
        /^backprop: training diverged: the loss is (NaN|-?Infinity) at epoch 1, batch \d+; lower --lr \(now 1e\+30\) or check the data/,
      );
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(fs.existsSync(out)).toBe(false);
    });
  });
});
