/**
 * Built-in small datasets: XOR, and 10,000 real MNIST digits shipped with the package (data/, 1.6 MB of
 * gzipped IDX; MNIST by Y. LeCun, C. Cortes and C. Burges, CC BY-SA 3.0: see data/README.md).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { Rng } from '../random';
import { readIdx } from './idx';
import type { Tensor2D } from './tensor';

const PIXELS = 784;

/**
 * The four XOR points: x is 4×2, y is 4×1 (0, 1, 1, 0).
 * @example const { x, y } = bp.data.xor(); await model.fit(x, y, { epochs: 300 });
 */
export function xor(): { x: Tensor2D; y: Tensor2D } {
  return {
    x: { data: Float32Array.of(0, 0, 0, 1, 1, 0, 1, 1), shape: [4, 2], dtype: 'float32' },
    y: { data: Float32Array.of(0, 1, 1, 0), shape: [4, 1], dtype: 'float32' },
  };
}

export interface LabelledSet {
  x: Tensor2D;
  y: Int32Array;
}

// Decoding takes ~100 ms; tests and benchmarks call digits() repeatedly.
let cached: { pixels: Float32Array; labels: Int32Array } | undefined;

/** The package root: dist/data → ../.., and the same from src when run by ts-jest. */
const DATA_DIR = path.resolve(__dirname, '..', '..', 'data');

function readGzIdx(file: string) {
  const full = path.join(DATA_DIR, file);
  let bytes: Buffer;
  try {
    bytes = zlib.gunzipSync(fs.readFileSync(full), { maxOutputLength: 16 << 20 });
  } catch (e) {
    throw new Error(`data.digits(): cannot read ${full} (${(e as Error).message}); reinstall backprop`);
  }
  return readIdx(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

function loadDigits(): { pixels: Float32Array; labels: Int32Array } {
  if (cached) return cached;
  const images = readGzIdx('digits-images.idx.gz');
  const labels = readGzIdx('digits-labels.idx.gz');
  const n = labels.shape[0];
  if (images.type !== 'uint8' || labels.type !== 'uint8' || images.shape.join() !== `${n},28,28`) {
    throw new Error(
      `data.digits(): the shipped digit files are not 28×28 uint8 images with uint8 labels; reinstall backprop`,
    );
  }
  // Pixel values as the MNIST files of the \`mnist\` package hold them: k/255 rounded to 3 decimals.
  const table = Array.from({ length: 256 }, (_, k) => Math.round((k / 255) * 1000) / 1000);
  const pixels = new Float32Array(n * PIXELS);
  const src = images.data;
  for (let i = 0; i < pixels.length; i++) pixels[i] = table[src[i]];
  cached = { pixels, labels: Int32Array.from(labels.data) };
  return cached;
}

/**
 * MNIST digits (28×28 pixels in [0, 1], flattened to 784 columns; labels 0–9), shuffled by `seed` and
 * split; `limit` keeps only that many (shuffled) images in total, for quick runs.
 * @example
 * const { train, test, classes } = bp.data.digits({ testFraction: 0.2, seed: 0 });
 * // train.x: [8000, 784], train.y: Int32Array of 0..9, classes: 10
 */
export function digits({
  testFraction = 0.2,
  seed = 0,
  limit,
}: { testFraction?: number; seed?: number; limit?: number } = {}): {
  train: LabelledSet;
  test: LabelledSet;
  classes: number;
} {
  if (!(testFraction > 0 && testFraction < 1))
    throw new Error(`data.digits(): 'testFraction' must be in (0, 1), got ${testFraction}`);
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 2))
    throw new Error(`data.digits(): 'limit' must be an integer ≥ 2, got ${limit}`);
  const { pixels, labels } = loadDigits();
  const order = Array.from({ length: labels.length }, (_, i) => i);
  new Rng(seed).shuffle(order);
  const n = limit === undefined ? order.length : Math.min(order.length, limit);
  const nTest = Math.min(n - 1, Math.max(1, Math.round(n * testFraction)));
  // Copies, so a caller editing its arrays cannot corrupt the cache.
  const take = (idx: number[]): LabelledSet => {
    const x = new Float32Array(idx.length * PIXELS);
    const y = new Int32Array(idx.length);
    idx.forEach((src, r) => {
      x.set(pixels.subarray(src * PIXELS, (src + 1) * PIXELS), r * PIXELS);
      y[r] = labels[src];
    });
    return { x: { data: x, shape: [idx.length, PIXELS], dtype: 'float32' }, y };
  };
  return { train: take(order.slice(0, n - nTest)), test: take(order.slice(n - nTest, n)), classes: 10 };
}
