/**
 * Plain SGD is folded into the dense layers' gradient gemms (W ← keep·W − lr·xᵀ·dz). These tests pin that
 * the folded step is the same update as the two-pass one (gradient, then sgdStep), and that folding is
 * used exactly when it is valid.
 */
import type { DType } from '../../src/backend/ops';
import { BACKENDS, bp, onBackend } from './support';

type Opt = Parameters<typeof bp.optimizers.sgd>[0];

function makeModel(dtype: DType, variant: 'softmax' | 'regression', kernelRegularizer?: 'l2') {
  const layers =
    variant === 'softmax'
      ? [
          bp.layers.dense({ units: 7, activation: 'relu', inputShape: [5], kernelRegularizer }),
          bp.layers.dense({ units: 6, activation: 'tanh', useBias: false }),
          bp.layers.dense({ units: 4, activation: 'softmax' }),
        ]
      : [bp.layers.dense({ units: 9, activation: 'sigmoid', inputShape: [5] }), bp.layers.dense({ units: 2 })];
  return bp.sequential({ seed: 11, dtype, layers });
}

/** Trains `steps` batches and returns the final weights and the first layer's kernel gradient buffer. */
function train(dtype: DType, variant: 'softmax' | 'regression', opt: Opt, steps = 15, kernelRegularizer?: 'l2') {
  const model = makeModel(dtype, variant, kernelRegularizer);
  const optimizer = bp.optimizers.sgd(opt);
  model.compile({ optimizer, loss: variant === 'softmax' ? 'categoricalCrossentropy' : 'meanSquaredError' });
  const rng = new bp.Rng(4);
  for (let s = 0; s < steps; s++) {
    const rows = 3 + (s % 4); // several batch sizes: the ones-column is kept per row count
    const x = Array.from({ length: rows }, () => Array.from({ length: 5 }, () => rng.uniform(-1, 1)));
    const y = Array.from({ length: rows }, () => {
      if (variant === 'regression') return [rng.uniform(-1, 1), rng.uniform(-1, 1)];
      const t = [0, 0, 0, 0];
      t[rng.int(4)] = 1;
      return t;
    });
    model.trainOnBatch(x, y);
  }
  const firstKernel = model.layers[0].params()[0];
  return {
    weights: model.getWeights().map((w) => Array.from(w.data)),
    grad: Array.from(firstKernel.grad),
    iterations: optimizer.iterations,
  };
}

function maxRelDiff(a: number[][], b: number[][]): number {
  let worst = 0;
  a.forEach((wa, i) => {
    const scale = Math.max(1e-3, ...wa.map(Math.abs));
    wa.forEach((v, j) => {
      worst = Math.max(worst, Math.abs(v - b[i][j]) / scale);
    });
  });
  return worst;
}

describe.each(BACKENDS)('folded SGD on the %s backend', (name) => {
  onBackend(name);

  // clipNorm far above any gradient norm changes nothing numerically but needs the gradients, so it
  // runs the two-pass path: the reference for the folded one.
  const twoPass = (o: Opt): Opt => ({ ...o, clipNorm: 1e30 });

  describe.each(['float32', 'float64'] as DType[])('%s', (dtype) => {
    const tol = dtype === 'float64' ? 1e-12 : 2e-5;

    test.each([
      ['softmax + categorical CE, weight decay', 'softmax', { learningRate: 0.3, weightDecay: 0.01 }],
      ['sigmoid + linear MSE', 'regression', { learningRate: 0.2 }],
      [
        'with an exponential-decay schedule',
        'softmax',
        { learningRate: bp.optimizers.exponentialDecay({ initialLearningRate: 0.5, decaySteps: 3, decayRate: 0.5 }) },
      ],
    ] as [string, 'softmax' | 'regression', Opt][])(
      '%s: same weights as gradient + sgdStep',
      (_label, variant, opt) => {
        const folded = train(dtype, variant, opt);
        const reference = train(dtype, variant, twoPass(opt));
        // The folded run never wrote a gradient; the reference did. So folding was really used.
        expect(folded.grad.every((g) => g === 0)).toBe(true);
        expect(reference.grad.some((g) => g !== 0)).toBe(true);
        expect(folded.iterations).toBe(15);
        expect(reference.iterations).toBe(15);
        expect(maxRelDiff(folded.weights, reference.weights)).toBeLessThan(tol);
        // And the weights moved: the comparison is not between two untrained models.
        expect(maxRelDiff(folded.weights, train(dtype, variant, opt, 0).weights)).toBeGreaterThan(1e-3);
      },
    );
  });

  test('a regularizer turns folding off (its penalty gradient needs the gradient buffer)', () => {
    const r = train('float32', 'softmax', { learningRate: 0.3 }, 5, 'l2');
    expect(r.grad.some((g) => g !== 0)).toBe(true);
  });

  test('momentum is not folded (it keeps a velocity per weight)', () => {
    const r = train('float32', 'softmax', { learningRate: 0.1, momentum: 0.9 }, 5);
    expect(r.grad.some((g) => g !== 0)).toBe(true);
  });
});
