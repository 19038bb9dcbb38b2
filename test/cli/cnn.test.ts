/**
 * Convolutional networks through the real `backprop` binary: the --layers grammar on the digits (as 28×28×1
 * images), IDX images and a folder of PNG/JPEG images made here; evaluate/predict reading images as train
 * did; the report's misclassified pictures; a JSON model spec; and the one-line errors.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import * as bp from '../../src';

const BIN = path.resolve(__dirname, '../../dist/cli/main.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-cli-cnn-'));
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, BACKPROP_SILENT: '1' },
    timeout: 120000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const lastJson = (out: string) => JSON.parse(out.trim().split('\n').pop()!);

/** Images of three classes: bright horizontal stripes, vertical stripes, or a bright square in the middle. */
function imageFolder(dir: string, perClass: number, seed: number): void {
  const rng = new bp.Rng(seed);
  const kinds = ['horizontal', 'square', 'vertical'];
  for (const [k, kind] of kinds.entries()) {
    fs.mkdirSync(path.join(dir, kind), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const w = 18 + (i % 5),
        h = 16 + (i % 3);
      const data = Buffer.alloc(w * h * 4);
      for (let r = 0; r < h; r++)
        for (let c = 0; c < w; c++) {
          const on =
            kind === 'horizontal'
              ? r % 4 < 2
              : kind === 'vertical'
                ? c % 4 < 2
                : Math.abs(r - h / 2) < 4 && Math.abs(c - w / 2) < 4;
          const v = Math.max(0, Math.min(255, (on ? 220 : 30) + rng.normal(0, 15)));
          data.set([v, (v * (k + 1)) % 256, 255 - v, 255], (r * w + c) * 4);
        }
      const file = path.join(dir, kind, `${i}.${i % 3 === 0 ? 'jpg' : 'png'}`);
      if (i % 3 === 0) fs.writeFileSync(file, jpeg.encode({ width: w, height: h, data }, 95).data);
      else {
        const png = new PNG({ width: w, height: h });
        data.copy(png.data);
        fs.writeFileSync(file, PNG.sync.write(png));
      }
    }
  }
}

describe('backprop train builds CNNs', () => {
  const model = path.join(tmp, 'digits-cnn');
  const report = path.join(tmp, 'digits.html');
  let done: { test: { accuracy: number; loss: number } };

  beforeAll(() => {
    const r = run(
      'train',
      '--dataset',
      'digits',
      '--layers',
      'conv8x3,maxpool2,flatten,dense32',
      '--epochs',
      '1',
      '--batch-size',
      '64',
      '--test-split',
      '0.1',
      '--out',
      model,
      '--report',
      report,
      '--json',
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    done = lastJson(r.out);
  });

  test('--dataset digits with conv layers: the digits as [28, 28, 1] images, a saved Conv2D model', async () => {
    expect(done.test.accuracy).toBeGreaterThan(0.85);
    const m = await bp.loadLayersModel(model);
    expect(m.layers.map((l) => l.className)).toEqual(['Conv2D', 'MaxPooling2D', 'Flatten', 'Dense', 'Dense']);
    expect(m.inputShape).toEqual([28, 28, 1]);
    expect(m.metadata.preprocessing).toMatchObject({ image: { shape: [28, 28, 1], colorMode: 'grayscale' } });
  });

  test('the report shows misclassified test images as inline PNGs, and nothing external', () => {
    const html = fs.readFileSync(report, 'utf8');
    expect(html).toMatch(/<h2>Misclassified test images \(the first 12\)<\/h2>/);
    const imgs = [...html.matchAll(/<img src="data:image\/png;base64,([A-Za-z0-9+/=]+)" alt="([^"]*)">/g)];
    expect(imgs).toHaveLength(12);
    expect(imgs[0][2]).toMatch(/^true \d, predicted \d$/);
    const png = PNG.sync.read(Buffer.from(imgs[0][1], 'base64'));
    expect([png.width, png.height]).toEqual([28, 28]);
    expect(html.match(/(?:src|href)="(?!data:)/g)).toBeNull();
    expect(html).toMatch(/Content-Security-Policy/);
  });

  test('evaluate and predict read IDX images (and a folder of PNGs) the way train read the digits', () => {
    const { test: t } = bp.data.digits({ seed: 0, testFraction: 0.1 });
    const n = 200;
    const pixels = Uint8Array.from(t.x.data.subarray(0, n * 784), (v) => Math.round(v * 255));
    const ip = path.join(tmp, 'd-images.idx'),
      lp = path.join(tmp, 'd-labels.idx');
    bp.data.writeIdx(ip, [n, 28, 28], pixels, 'uint8');
    bp.data.writeIdx(lp, [n], t.y.subarray(0, n), 'uint8');
    const ev = run('evaluate', '--model', model, '--data-idx', ip, '--labels-idx', lp, '--json');
    expect(ev.err).toBe('');
    expect(JSON.parse(ev.out).accuracy).toBeGreaterThan(0.8);
    const pr = run('predict', '--model', model, '--data-idx', ip, '--json');
    expect(JSON.parse(pr.out).rows).toBe(n);

    const folder = path.join(tmp, 'digit-pngs');
    for (let i = 0; i < 30; i++) {
      const png = new PNG({ width: 28, height: 28 });
      for (let p = 0; p < 784; p++)
        png.data.set([pixels[i * 784 + p], pixels[i * 784 + p], pixels[i * 784 + p], 255], p * 4);
      fs.mkdirSync(path.join(folder, String(t.y[i])), { recursive: true });
      fs.writeFileSync(path.join(folder, String(t.y[i]), `${i}.png`), PNG.sync.write(png));
    }
    const evFolder = run('evaluate', '--model', model, '--images', folder, '--json');
    expect(evFolder.err).toBe('');
    // The same 30 images read from PNGs give the same accuracy as from IDX.
    const sub = path.join(tmp, 'sub');
    bp.data.writeIdx(`${sub}-i.idx`, [30, 28, 28], pixels.subarray(0, 30 * 784), 'uint8');
    bp.data.writeIdx(`${sub}-l.idx`, [30], t.y.subarray(0, 30), 'uint8');
    const evSub = run(
      'evaluate',
      '--model',
      model,
      '--data-idx',
      `${sub}-i.idx`,
      '--labels-idx',
      `${sub}-l.idx`,
      '--json',
    );
    expect(JSON.parse(evFolder.out).accuracy).toBeCloseTo(JSON.parse(evSub.out).accuracy, 10);
    const csv = run('predict', '--model', model, '--images', folder);
    const lines = csv.out.trim().split('\n');
    expect(lines[0]).toBe(['file', 'class', ...Array.from({ length: 10 }, (_, k) => `p_${k}`)].join(','));
    expect(lines).toHaveLength(31);
    expect(run('evaluate', '--model', model, '--data-idx', path.join(tmp, 'nope.idx'), '--labels-idx', lp).code).toBe(
      1,
    );
    const wrong = path.join(tmp, 'wrong.idx');
    bp.data.writeIdx(wrong, [2, 14, 14], new Uint8Array(392), 'uint8');
    expect(run('predict', '--model', model, '--data-idx', wrong).err).toMatch(
      /wrong\.idx: images of shape \[14, 14\]; the model takes \[28, 28, 1\]/,
    );
  });
});

describe('backprop train on an image folder', () => {
  const dir = path.join(tmp, 'shapes');
  const model = path.join(tmp, 'shapes-model');
  imageFolder(dir, 24, 1);

  test('--images with --image-size: a CNN learns the classes; evaluate/predict read the folder the same way', () => {
    const r = run(
      'train',
      '--images',
      dir,
      '--image-size',
      '12x12',
      '--color-mode',
      'rgb',
      '--layers',
      'conv8x3same,maxpool2,conv8x3,globalavgpool,dropout0.1',
      '--epochs',
      '15',
      '--lr',
      '0.01',
      '--batch-size',
      '16',
      '--test-split',
      '0.25',
      '--out',
      model,
      '--json',
    );
    expect(r.err).toBe('');
    const res = lastJson(r.out);
    expect(res.test.accuracy).toBeGreaterThanOrEqual(0.9);
    const ev = run('evaluate', '--model', model, '--images', dir, '--json');
    expect(ev.err).toBe('');
    expect(JSON.parse(ev.out).accuracy).toBeGreaterThanOrEqual(0.9);
    const pr = run('predict', '--model', model, '--images', path.join(dir, 'square'), '--json');
    const preds = JSON.parse(pr.out).predictions as { file: string; class: string }[];
    expect(preds).toHaveLength(24);
    expect(preds[0].file).toMatch(/square[\\/]0\.jpg$/);
    expect(preds.filter((p) => p.class === 'square').length).toBeGreaterThanOrEqual(20);
  });

  test('dense layers on images take them flat; a --test-data folder; a JSON model spec with Conv2D', () => {
    const testDir = path.join(tmp, 'shapes-test');
    imageFolder(testDir, 6, 2);
    const flatModel = path.join(tmp, 'flat-model');
    const r = run(
      'train',
      '--images',
      dir,
      '--test-data',
      testDir,
      '--image-size',
      '8x8',
      '--color-mode',
      'grayscale',
      '--layers',
      '32',
      '--epochs',
      '10',
      '--lr',
      '0.01',
      '--out',
      flatModel,
      '--json',
    );
    expect(r.err).toBe('');
    expect(lastJson(r.out).test.accuracy).toBeGreaterThan(0.5);
    const ev = run('evaluate', '--model', flatModel, '--images', testDir, '--json');
    expect(JSON.parse(ev.out).loss).toBeCloseTo(lastJson(r.out).test.loss, 4);
    const spec = path.join(tmp, 'cnn.json');
    fs.writeFileSync(
      spec,
      JSON.stringify({
        layers: [
          { className: 'Conv2D', config: { filters: 4, kernel_size: 3, activation: 'relu' } },
          { className: 'GlobalAveragePooling2D' },
          { className: 'Dense', config: { units: 3, activation: 'softmax' } },
        ],
      }),
    );
    const s = run('train', '--images', dir, '--image-size', '10x10', '--model-spec', spec, '--epochs', '1', '--json');
    expect(s.err).toBe('');
    expect(lastJson(s.out).done).toBe(true);
  });

  test('--config takes the image options and a --layers list', () => {
    const cfg = path.join(tmp, 'config.json');
    fs.writeFileSync(
      cfg,
      JSON.stringify({
        images: dir,
        imageSize: '6x6',
        colorMode: 'grayscale',
        layers: ['conv2x3', 'flatten'],
        epochs: 1,
      }),
    );
    const r = run('train', '--config', cfg, '--json');
    expect(r.err).toBe('');
    expect(lastJson(r.out).done).toBe(true);
  });

  test('a broken image in the folder: a one-line error naming the file and the fix', () => {
    const bad = path.join(tmp, 'bad');
    imageFolder(bad, 2, 3);
    fs.writeFileSync(path.join(bad, 'square', 'oops.png'), 'not a png');
    const r = run('train', '--images', bad, '--image-size', '8x8', '--layers', 'conv2x3,flatten');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /^backprop: loadImageFolder\(\): .*oops\.png: not a PNG or JPEG image .*; remove or replace the file\n$/,
    );
  });
});

describe('the --layers grammar and the image options refuse bad input in one line', () => {
  const csv = path.join(tmp, 'rows.csv');
  fs.writeFileSync(csv, 'a,b,k\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n9,1,x\n');
  test.each([
    [
      ['--layers', 'conv32x3,conv64', '--dataset', 'digits'],
      /--layers: 'conv64' is not a layer; the forms are N or denseN/,
    ],
    [['--layers', 'conv0x3,flatten', '--dataset', 'digits'], /'conv0x3' has a number out of range/],
    [['--layers', 'dropout1.5', '--dataset', 'digits'], /'dropout1.5' has a number out of range/],
    [
      ['--layers', 'conv8x3,dense16', '--dataset', 'digits'],
      /'dense16' follows image layers: put flatten or globalavgpool/,
    ],
    [['--layers', 'conv8x3,maxpool2', '--dataset', 'digits'], /end the image layers with flatten or globalavgpool/],
    [['--layers', 'flatten,conv8x3,flatten', '--dataset', 'digits'], /'conv8x3' comes after flatten/],
    [['--layers', 'conv8x40,flatten', '--dataset', 'digits'], /train\.layers\[0\]: .*kernel/i],
    [
      ['--layers', 'conv8x3,flatten', '--data', csv, '--target', 'k'],
      /the model's layers take images, but .*rows\.csv has rows/,
    ],
    [
      ['--layers', 'conv8x3,flatten', '--dataset', 'digits', '--sequence-length', '28'],
      /sequence models takes recurrent units/,
    ],
    [['--images', tmp, '--dataset', 'digits'], /give exactly one data source/],
    [['--images', tmp, '--image-size', '12'], /--image-size must be HxW with sides in \[1, 4096\]/],
    [['--images', tmp, '--color-mode', 'cmyk'], /--color-mode must be grayscale, rgb or rgba/],
    [['--dataset', 'digits', '--image-size', '8x8'], /--image-size and --color-mode apply to an image folder/],
    [['--layers', 'conv8x3,flatten,dense200000,dense200000', '--dataset', 'digits'], /40,000,\d+,\d+ parameters/],
  ])('train %j', (args, message) => {
    const r = run('train', ...args);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(message);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });
});
