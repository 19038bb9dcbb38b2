/**
 * The GAN example (examples/gan.js): a custom training loop over two models with alternating updates, on the
 * shipped digits. It trains: over 500 steps the discriminator's accuracy, averaged over each 50 steps, stays between
 * 0.2 and 0.95 (neither side wins outright), and the generator's images of a fixed noise batch change, towards the
 * digits' mean brightness.
 */
import * as path from 'node:path';
import * as bp from '../../src';

interface GanRun {
  history: { step: number; accuracy: number; dLoss: number; gLoss: number }[];
  before: Float32Array;
  after: Float32Array;
}

const EXAMPLE = path.resolve(__dirname, '../../examples/gan.js');

test('the GAN example trains: discriminator accuracy stays in [0.2, 0.95], the generated images change', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { trainGan } = require(EXAMPLE) as { trainGan: (o: { steps: number; seed: number }) => GanRun };
  const { history, before, after } = trainGan({ steps: 500, seed: 1 });
  expect(history).toHaveLength(500);
  for (const r of history) expect(Number.isFinite(r.dLoss) && Number.isFinite(r.gLoss)).toBe(true);
  for (let i = 0; i < 500; i += 50) {
    const acc = history.slice(i, i + 50).reduce((s, r) => s + r.accuracy, 0) / 50;
    expect(acc).toBeGreaterThan(0.2);
    expect(acc).toBeLessThan(0.95);
  }
  const mean = (a: ArrayLike<number>) => {
    let sum = 0;
    for (let i = 0; i < a.length; i++) sum += a[i];
    return sum / a.length;
  };
  let change = 0;
  for (let i = 0; i < before.length; i++) change += Math.abs(before[i] - after[i]);
  expect(change / before.length).toBeGreaterThan(0.05);
  const digitsMean = mean(bp.data.digits({ seed: 1 }).train.x.data as Float32Array);
  expect(Math.abs(mean(after) - digitsMean)).toBeLessThan(Math.abs(mean(before) - digitsMean) / 2);
}, 120_000);
