/** The progress display: a live bar (ETA, samples/s, loss) on a TTY, one plain line per epoch otherwise. */
import { ProgressBar } from '../../src/callbacks/progress';
import { bp } from './support';

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  return {
    chunks,
    out: {
      isTTY,
      write: (s: string) => {
        chunks.push(s);
        return true;
      },
    },
  };
}

async function train(bar: ProgressBar) {
  const model = bp.sequential({
    seed: 1,
    layers: [bp.layers.dense({ units: 64, activation: 'relu', inputShape: [32] }), bp.layers.dense({ units: 1 })],
  });
  model.compile({ optimizer: 'sgd', loss: 'meanSquaredError', metrics: ['mae'] });
  const rng = new bp.Rng(2);
  const x = bp.tensor2d(
    new Float32Array(20000 * 32).map(() => rng.normal(0, 1)),
    [20000, 32],
  );
  const y = bp.tensor2d(
    new Float32Array(20000).map(() => rng.normal(0, 1)),
    [20000, 1],
  );
  await model.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0, callbacks: [bar] });
}

test('on a TTY: a bar redrawn in place with ETA, samples/s and the running loss, then a line per epoch', async () => {
  const s = sink(true);
  await train(new ProgressBar(1, 20000, s.out));
  const live = s.chunks.filter((c) => c.startsWith('\rEpoch') && c.includes('ETA'));
  expect(live.length).toBeGreaterThan(0);
  expect(live[0]).toMatch(/^\rEpoch 1 \[=* *\] +\d+% ETA [\d.]+(s|m\d\ds) \d+ samples\/s loss=\d+\.\d{4}/);
  const ends = s.chunks.filter((c) => /Epoch \d .*loss=.*mae=/.test(c) && c.endsWith('\n'));
  expect(ends).toHaveLength(2);
});

test('not a TTY: exactly one plain line per epoch, no carriage returns', async () => {
  const s = sink(false);
  await train(new ProgressBar(1, 20000, s.out));
  expect(s.chunks).toHaveLength(2);
  for (const c of s.chunks) {
    expect(c).not.toContain('\r');
    expect(c).toMatch(/^Epoch [12] [\d.]+s loss=\d+\.\d{4} mae=\d+\.\d{4}\n$/);
  }
});
