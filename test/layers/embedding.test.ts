/**
 * Embedding, on the template of dense.test.ts (inputs are token ids), and its sparse gradient: plain SGD
 * updates only the rows a batch used, bit-identically to a dense update; every other optimizer sees the
 * ordinary dense gradient (checked against the same model written as one-hot inputs times a Dense kernel).
 */
import * as tf from '@tensorflow/tfjs';
import * as bp from '../../src';
import {
  expectBackendsAgree,
  expectConfigRoundTrip,
  expectGradientsMatch,
  expectTfjsParity,
  randomInput,
} from '../support/layer-checks';
import { backendNames } from '../support/backends';
import { tokenIds } from '../support/sequences';

const ids = (steps: number, vocab: number) => (rows: number, seed: number) => tokenIds(steps, vocab, rows, seed);

describe('Embedding', () => {
  test('gradients match finite differences: Embedding → LSTM → Dense, with and without maskZero (every backend)', () => {
    for (const maskZero of [false, true]) {
      expectGradientsMatch(
        () => [
          bp.layers.embedding({ inputDim: 7, outputDim: 3, inputLength: 5, maskZero }),
          bp.layers.lstm({ units: 4, recurrentActivation: 'sigmoid' }),
          bp.layers.dense({ units: 2 }),
        ],
        [5],
        [1, 3],
        7,
        ids(5, 7),
      );
    }
    expectGradientsMatch(
      () => [bp.layers.embedding({ inputDim: 6, outputDim: 2, inputShape: [3] }), bp.layers.dense({ units: 2 })],
      [3],
      [1, 4],
      7,
      ids(3, 6),
    );
  });

  test('the backends agree', () => {
    expectBackendsAgree(
      () => [
        bp.layers.embedding({ inputDim: 9, outputDim: 4, inputLength: 6, maskZero: true }),
        bp.layers.gru({ units: 3 }),
      ],
      [6],
      11,
      ids(6, 9),
    );
  });

  test('config round trip through the registry', () => {
    const model = bp.sequential({
      layers: [
        bp.layers.embedding({
          inputDim: 100,
          outputDim: 8,
          inputLength: 12,
          maskZero: true,
          embeddingsRegularizer: bp.regularizers.l2({ l2: 1e-4 }),
          embeddingsInitializer: bp.initializers.randomNormal({ stddev: 0.1 }),
        }),
      ],
    });
    expectConfigRoundTrip(model.layers);
  });

  test('TF.js parity both ways (maskZero: padded steps keep the LSTM state, as in TF.js)', async () => {
    const ours = bp.sequential({
      seed: 2,
      layers: [
        bp.layers.embedding({ inputDim: 10, outputDim: 4, inputLength: 6, maskZero: true }),
        bp.layers.lstm({ units: 5, returnSequences: true }),
        bp.layers.gru({ units: 3 }),
        bp.layers.dense({ units: 2 }),
      ],
    });
    await expectTfjsParity(
      ours,
      () => {
        const m = tf.sequential();
        m.add(tf.layers.embedding({ inputDim: 10, outputDim: 4, inputLength: 6, maskZero: true }));
        m.add(tf.layers.lstm({ units: 5, returnSequences: true }));
        m.add(tf.layers.gru({ units: 3 }));
        m.add(tf.layers.dense({ units: 2 }));
        return m;
      },
      [6],
      3,
      ids(6, 10),
    );
  });

  /** The same model twice: Embedding on ids, and one-hot inputs times a Dense kernel set to the same table. */
  function twins(optimizer: () => bp.Optimizer, regularize = false) {
    const V = 6,
      D = 3,
      T = 4;
    const emb = bp.sequential({
      seed: 1,
      dtype: 'float64',
      layers: [
        bp.layers.embedding({
          inputDim: V,
          outputDim: D,
          inputLength: T,
          embeddingsRegularizer: regularize ? bp.regularizers.l2({ l2: 0 }) : undefined,
        }),
      ],
    });
    const dense = bp.sequential({
      dtype: 'float64',
      layers: [bp.layers.dense({ units: D, useBias: false, inputShape: [T, V] })],
    });
    dense.setWeights([emb.getWeights()[0].data]);
    emb.compile({ optimizer: optimizer(), loss: 'meanSquaredError' });
    dense.compile({ optimizer: optimizer(), loss: 'meanSquaredError' });
    const rows = 5;
    // Ids 4 and 5 never appear: their rows get no gradient.
    const x = tokenIds(T, 4, rows, 3, false);
    const oneHot = bp.tensor(
      Float64Array.from({ length: rows * T * V }, (_, i) => (x.data[Math.floor(i / V)] === i % V ? 1 : 0)),
      [rows, T, V],
      'float64',
    );
    const y = randomInput([T, D], rows, 4);
    return { emb, dense, x, oneHot, y };
  }

  test.each(backendNames())('plain SGD updates only the used rows, exactly as a dense update (%s)', (name) => {
    bp.setBackend(name);
    try {
      const sgd = () => bp.optimizers.sgd({ learningRate: 0.3 });
      const a = twins(sgd);
      // A zero L2 regularizer leaves the gradient as it is but makes SGD take its ordinary dense step.
      const b = twins(sgd, true);
      const before = Float64Array.from(a.emb.getWeights()[0].data);
      for (let i = 0; i < 3; i++) {
        a.emb.trainOnBatch(a.x, a.y);
        b.emb.trainOnBatch(b.x, b.y);
        a.dense.trainOnBatch(a.oneHot, a.y);
      }
      const sparse = a.emb.getWeights()[0].data;
      expect(a.emb.params()[0].sparse?.clean).toBe(true); // the sparse step ran
      expect(b.emb.params()[0].sparse?.clean).toBe(false); // the dense step ran
      expect(Array.from(sparse)).toEqual(Array.from(b.emb.getWeights()[0].data)); // bit-identical
      // Rows 4 and 5 (ids never used) are untouched; the others moved.
      expect(Array.from(sparse.slice(12))).toEqual(Array.from(before.slice(12)));
      expect(Array.from(sparse.slice(0, 12))).not.toEqual(Array.from(before.slice(0, 12)));
      const ref = a.dense.getWeights()[0].data;
      sparse.forEach((v, i) => expect(Math.abs(v - ref[i])).toBeLessThan(1e-12));
    } finally {
      bp.setBackend('auto');
    }
  });

  test.each(backendNames())('Adam sees the ordinary dense gradient (%s)', (name) => {
    bp.setBackend(name);
    try {
      const { emb, dense, x, oneHot, y } = twins(() => bp.optimizers.adam({ learningRate: 0.05 }));
      for (let i = 0; i < 4; i++) {
        emb.trainOnBatch(x, y);
        dense.trainOnBatch(oneHot, y);
      }
      const got = emb.getWeights()[0].data,
        ref = dense.getWeights()[0].data;
      got.forEach((v, i) => expect(Math.abs(v - ref[i])).toBeLessThan(1e-12));
    } finally {
      bp.setBackend('auto');
    }
  });

  test('ids that are not integers in [0, inputDim) are refused, naming the sample and position', () => {
    const model = bp.sequential({ layers: [bp.layers.embedding({ inputDim: 5, outputDim: 2, inputLength: 3 })] });
    expect(() => model.predict(bp.tensor([[1, 2, 5]]))).toThrow(/input 5 \(sample 0, position 2\) is not a token id/);
    expect(() => model.predict(bp.tensor([[1, 0.5, 2]]))).toThrow(/input 0.5 \(sample 0, position 1\)/);
    expect(() => model.predict(bp.tensor([[-1, 0, 2]]))).toThrow(/integers in \[0, 5\)/);
  });

  test('bad arguments and shapes name the option', () => {
    expect(() => bp.layers.embedding({ inputDim: 0, outputDim: 2 })).toThrow(/'inputDim' must be an integer/);
    expect(() => bp.layers.embedding({ inputDim: 2 ** 25, outputDim: 2 })).toThrow(/'inputDim'/);
    expect(() =>
      bp.sequential({
        layers: [bp.layers.embedding({ inputDim: 5, outputDim: 2, maskZero: true, inputShape: [3, 2] })],
      }),
    ).toThrow(/with maskZero the input must be \[steps\]/);
    // A mask cannot flow into Flatten: the model says which layer and what to do.
    expect(() =>
      bp.sequential({
        layers: [
          bp.layers.embedding({ inputDim: 5, outputDim: 2, inputLength: 3, maskZero: true }),
          bp.layers.flatten(),
        ],
      }),
    ).toThrow(/Flatten 'flatten_1' cannot take a masked input/);
  });
});
