/**
 * imageFolderDataset: the pixels decoded and resized in worker threads are loadImageFolder's, bit for bit,
 * with the same split and labels in every label mode; orders reshuffle per pass from the seed; an image
 * that does not decode ends the pass with an error naming the file; a model trains on it with fitDataset.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import * as bp from '../../../src';
import { closeIdleWorkers } from '../../../src/data/dataset/worker-pool';
import { Rng } from '../../../src/random';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-imgds-'));
afterAll(async () => {
  await closeIdleWorkers();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function image(rng: Rng, w: number, h: number, kind: 'png' | 'jpeg'): Buffer {
  const data = Buffer.alloc(w * h * 4);
  for (let i = 0; i < data.length; i++) data[i] = i % 4 === 3 ? 255 : rng.int(256);
  if (kind === 'jpeg') return jpeg.encode({ width: w, height: h, data }, 90).data;
  const png = new PNG({ width: w, height: h });
  data.copy(png.data);
  return PNG.sync.write(png);
}

function folder(name: string, perClass: number): string {
  const rng = new Rng(7);
  const root = path.join(tmp, name);
  for (const cls of ['cat', 'dog', 'eel']) {
    fs.mkdirSync(path.join(root, cls), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const kind = i % 3 === 0 ? 'jpeg' : 'png';
      fs.writeFileSync(
        path.join(root, cls, `${i}.${kind === 'jpeg' ? 'jpg' : 'png'}`),
        image(rng, 5 + rng.int(20), 5 + rng.int(20), kind),
      );
    }
  }
  return root;
}

async function collect(ds: bp.data.Dataset<bp.data.ImageBatch>) {
  const x: number[] = [],
    y: number[] = [],
    shapes: number[][] = [];
  await ds.forEachAsync((b) => {
    for (const v of b.xs.data) x.push(v);
    if (b.ys) for (const v of b.ys.data) y.push(v);
    shapes.push(b.xs.shape);
  });
  return { x: Float32Array.from(x), y, shapes };
}

describe('imageFolderDataset', () => {
  test('the pixels, labels and split of loadImageFolder, decoded in worker threads', async () => {
    const root = folder('same', 9);
    // The split (shuffled by the seed) holds the files loadImageFolder's does.
    const split = await bp.data.loadImageFolder(root, { imageSize: [4, 4], validationSplit: 0.25, seed: 3 });
    const train = bp.data.imageFolderDataset(root, {
      imageSize: [4, 4],
      validationSplit: 0.25,
      seed: 3,
      subset: 'training',
    });
    const val = bp.data.imageFolderDataset(root, {
      imageSize: [4, 4],
      validationSplit: 0.25,
      seed: 3,
      subset: 'validation',
    });
    expect(train.files).toEqual(split.files);
    expect(val.files).toEqual(split.validation!.files);
    expect(train.classNames).toEqual(['cat', 'dog', 'eel']);
    // Without shuffling, the same images in the same order: pixels and labels bit for bit.
    for (const labelMode of ['int', 'categorical'] as const) {
      const opts = { imageSize: [12, 10] as [number, number], validationSplit: 0.25, labelMode, shuffle: false };
      const ref = await bp.data.loadImageFolder(root, opts);
      for (const subset of ['training', 'validation'] as const) {
        const ds = bp.data.imageFolderDataset(root, { ...opts, subset, batchSize: 4, workers: 2 });
        const want = subset === 'training' ? ref : ref.validation!;
        expect(ds.files).toEqual(want.files);
        const got = await collect(ds);
        expect(got.x).toEqual(want.x.data);
        expect(got.y).toEqual(Array.from((want.y as { data?: ArrayLike<number> }).data ?? (want.y as Int32Array)));
        expect(got.shapes[0]).toEqual([4, 12, 10, 3]);
      }
    }
  });

  test('reshuffled per pass from the seed: pass k the same on every run', async () => {
    const root = folder('order', 6);
    const firstPixels = async (ds: bp.data.Dataset<bp.data.ImageBatch>) => {
      const out: number[] = [];
      await ds.forEachAsync((b) => {
        for (let i = 0; i < b.xs.shape[0]; i++) out.push(b.xs.data[i * 8 * 8 * 3]);
      });
      return out;
    };
    const make = () => bp.data.imageFolderDataset(root, { imageSize: [8, 8], seed: 9, batchSize: 5 });
    const a = make();
    const p0 = await firstPixels(a);
    const p1 = await firstPixels(a);
    expect(p1).not.toEqual(p0);
    const b = make();
    expect(await firstPixels(b)).toEqual(p0);
    expect(await firstPixels(b)).toEqual(p1);
  });

  test('an image that does not decode names the file; a model trains on the folder', async () => {
    const root = folder('bad', 4);
    const broken = path.join(root, 'dog', 'broken.png');
    fs.writeFileSync(broken, image(new Rng(1), 8, 8, 'png').subarray(0, 60));
    const ds = bp.data.imageFolderDataset(root, { imageSize: [8, 8], batchSize: 3, shuffle: false });
    await expect(collect(ds)).rejects.toThrow(
      `imageFolderDataset(): ${fs.realpathSync(broken)}: truncated or corrupt PNG`,
    );
    fs.rmSync(broken);
    const good = bp.data.imageFolderDataset(root, { imageSize: [8, 8], colorMode: 'grayscale', batchSize: 4, seed: 1 });
    const m = bp.sequential({
      seed: 1,
      layers: [
        bp.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [8, 8, 1] }),
        bp.layers.flatten(),
        bp.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const h = await m.fitDataset(good, { epochs: 2, verbose: 0 });
    expect(h.params.steps).toBe(3);
    expect(Number.isFinite(h.history.loss[1])).toBe(true);
    expect(() => bp.data.imageFolderDataset(root, { validationSplit: 0.2, seed: 1 })).toThrow(
      /'validationSplit' and 'subset'/,
    );
  });

  test('limits as loadImageFolder: maxPixels, maxFileBytes; a file gone since the folder was read', async () => {
    const root = folder('limits', 2);
    const big = path.join(root, 'cat', 'big.png');
    fs.writeFileSync(big, image(new Rng(2), 40, 30, 'png'));
    const real = fs.realpathSync(big);
    const opts = { imageSize: [8, 8] as [number, number], batchSize: 4, shuffle: false };
    await expect(collect(bp.data.imageFolderDataset(root, { ...opts, maxPixels: 1000 }))).rejects.toThrow(
      `imageFolderDataset(): ${real}: `,
    );
    await expect(collect(bp.data.imageFolderDataset(root, { ...opts, maxPixels: 1000 }))).rejects.toThrow(
      /declares 40×30 pixels .* more than maxPixels 1,000/,
    );
    const size = fs.statSync(big).size;
    await expect(collect(bp.data.imageFolderDataset(root, { ...opts, maxFileBytes: size - 1 }))).rejects.toThrow(
      `${real}: ${size} bytes, more than maxFileBytes ${size - 1}`,
    );
    const ds = bp.data.imageFolderDataset(root, opts);
    expect((await collect(ds)).shapes).toHaveLength(2);
    fs.rmSync(big);
    await expect(collect(ds)).rejects.toThrow(`${real}: cannot read the file (ENOENT)`);
  });
});
