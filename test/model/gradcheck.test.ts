/**
 * bp.gradcheck on multi-layer models, for every activation paired with every loss that fits it, on
 * both backends; and it must flag a model whose gradient is wrong.
 */
import { ACTIVATION_NAMES } from '../../src/backend/ops';
import { BACKENDS, bp, onBackend } from './support';

const LOSSES: [string, 'matrix' | 'probs' | 'onehot' | 'labels', string | undefined][] = [
  ['meanSquaredError', 'matrix', undefined],
  ['meanAbsoluteError', 'matrix', undefined],
  ['huber', 'matrix', undefined],
  ['binaryCrossentropy', 'probs', 'sigmoid'],
  ['categoricalCrossentropy', 'onehot', 'softmax'],
  ['sparseCategoricalCrossentropy', 'labels', 'softmax'],
];

function data(kind: string, rows: number, cols: number, rng: InstanceType<typeof bp.Rng>) {
  const x = Array.from({ length: rows }, () => [0, 1, 2].map(() => rng.uniform(-1, 1)));
  if (kind === 'labels') return { x, y: Array.from({ length: rows }, () => rng.int(cols)) };
  if (kind === 'onehot')
    return {
      x,
      y: Array.from({ length: rows }, () => {
        const c = rng.int(cols);
        return Array.from({ length: cols }, (_, j) => (j === c ? 1 : 0));
      }),
    };
  if (kind === 'probs')
    return {
      x,
      y: Array.from({ length: rows }, () => Array.from({ length: cols }, () => (rng.uniform(0, 1) > 0.5 ? 1 : 0))),
    };
  return { x, y: Array.from({ length: rows }, () => Array.from({ length: cols }, () => rng.uniform(-1, 1))) };
}

describe.each(BACKENDS)('gradcheck on the %s backend', (name) => {
  onBackend(name);
  const pairs: [string, string, string][] = [];
  for (const hidden of ACTIVATION_NAMES.filter((a) => a !== 'softmax')) {
    for (const [loss, , outAct] of LOSSES)
      pairs.push([hidden, loss, outAct ?? (hidden === 'relu' ? 'linear' : hidden)]);
  }
  pairs.push(['tanh', 'categoricalCrossentropy', 'linear']); // unfused: softmax as a separate layer below
  test.each(pairs)('hidden %s, loss %s, output %s', (hidden, loss, outAct) => {
    const rng = new bp.Rng(hidden.length * 31 + loss.length);
    const cols = loss === 'binaryCrossentropy' ? 2 : 3;
    // Non-zero biases keep pre-activations off relu's kink at exactly 0 (a dead layer below would put them there).
    const bi = bp.initializers.randomUniform({ minval: 0.05, maxval: 0.3 });
    const layers: InstanceType<typeof bp.layers.Layer>[] = [
      bp.layers.dense({
        units: 4,
        activation: hidden,
        inputShape: [3],
        kernelRegularizer: bp.regularizers.l2({ l2: 0.01 }),
        biasInitializer: bi,
      }),
      bp.layers.dense({ units: 5, activation: hidden, biasInitializer: bi }),
      bp.layers.dense({ units: cols, activation: outAct, biasInitializer: bi }),
    ];
    if (outAct === 'linear' && loss === 'categoricalCrossentropy')
      layers.push(bp.layers.activation({ activation: 'softmax' }));
    const m = bp.sequential({ seed: 3, dtype: 'float64', layers });
    m.compile({ optimizer: 'sgd', loss });
    const kind = LOSSES.find(([l]) => l === loss)![1];
    const { x, y } = data(kind, 6, cols, rng);
    const result = bp.gradcheck(m, x, y);
    expect(Object.keys(result.errors)).toHaveLength(6);
    // Kinks (relu at 0, mae at p = t) can make single elements disagree; none should be near one here.
    expect(result.maxError).toBeLessThan(1e-4);
  });

  test('flags a wrong gradient (a loss whose gradient is off by a factor)', () => {
    const m = bp.sequential({ seed: 1, dtype: 'float64', layers: [bp.layers.dense({ units: 2, inputShape: [3] })] });
    const mse = bp.losses.meanSquaredError();
    m.compile({
      optimizer: 'sgd',
      loss: {
        ...mse,
        name: 'brokenMse',
        sparseTargets: false,
        getConfig: () => ({}),
        compute: (b, yv, t, g, r, c) => {
          const v = mse.compute(b, yv, t, g, r, c);
          if (g) b.scale(g, 1.5);
          return v;
        },
      },
    });
    const r = bp.gradcheck(
      m,
      [
        [1, 2, 3],
        [0, 1, 0],
      ],
      [
        [1, 0],
        [0, 1],
      ],
    );
    expect(r.maxError).toBeGreaterThan(0.1);
  });
});
