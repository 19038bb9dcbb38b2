/**
 * LSTM, on the template of dense.test.ts: gradients (float64, both backends: last state and sequences, going
 * backwards, masked steps, batch 1 and 3, one time step, input dropout), backend agreement, config round trip,
 * TF.js parity both ways; then what is particular to the layer.
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
import { paddedSequences, tokenIds } from '../support/sequences';

const bias = () => bp.initializers.randomUniform({ minval: -0.3, maxval: 0.3 });

describe('LSTM', () => {
  test('gradients match finite differences (every backend)', () => {
    expectGradientsMatch(
      () => [bp.layers.lstm({ units: 3, inputShape: [4, 2], recurrentActivation: 'sigmoid', biasInitializer: bias() })],
      [4, 2],
    );
    expectGradientsMatch(
      () => [
        bp.layers.lstm({
          units: 3,
          inputShape: [5, 2],
          returnSequences: true,
          goBackwards: true,
          biasInitializer: bias(),
        }),
        bp.layers.dense({ units: 2 }),
      ],
      [5, 2],
    );
    // One time step; no bias; regularized kernels.
    expectGradientsMatch(
      () => [
        bp.layers.lstm({
          units: 2,
          inputShape: [1, 3],
          useBias: false,
          kernelRegularizer: bp.regularizers.l2({ l2: 0.01 }),
          recurrentRegularizer: bp.regularizers.l1({ l1: 0.01 }),
        }),
      ],
      [1, 3],
    );
    // Input dropout (the same mask in every evaluation: gradcheck restores the RNG).
    expectGradientsMatch(
      () => [bp.layers.lstm({ units: 3, inputShape: [3, 4], dropout: 0.3, recurrentActivation: 'sigmoid' })],
      [3, 4],
    );
  });

  test('gradients with masked (padded) steps, forwards and backwards, sequences and last state', () => {
    for (const goBackwards of [false, true]) {
      for (const returnSequences of [false, true]) {
        expectGradientsMatch(
          () => [
            bp.layers.masking({ inputShape: [5, 2] }),
            bp.layers.lstm({
              units: 3,
              returnSequences,
              goBackwards,
              recurrentActivation: 'sigmoid',
              biasInitializer: bias(),
            }),
          ],
          [5, 2],
          [1, 3],
          7,
          (rows, seed) => paddedSequences(5, 2, rows, seed),
        );
      }
    }
  });

  test('the backends agree', () => {
    expectBackendsAgree(
      () => [
        bp.layers.lstm({ units: 5, inputShape: [6, 3], returnSequences: true, biasInitializer: bias() }),
        bp.layers.lstm({ units: 4, goBackwards: true }),
      ],
      [6, 3],
    );
  });

  test('config round trip through the registry', () => {
    const model = bp.sequential({
      layers: [
        bp.layers.lstm({
          units: 3,
          inputShape: [4, 2],
          activation: 'softsign',
          recurrentActivation: 'sigmoid',
          useBias: false,
          unitForgetBias: true,
          returnSequences: true,
          goBackwards: true,
          dropout: 0.25,
          kernelRegularizer: bp.regularizers.l1l2({ l1: 0.01, l2: 0.02 }),
          recurrentInitializer: bp.initializers.orthogonal({ gain: 2 }),
        }),
        bp.layers.lstm({ units: 2, trainable: false }),
      ],
    });
    expectConfigRoundTrip(model.layers);
  });

  test('TF.js parity both ways (hardSigmoid gates, the TF.js default)', async () => {
    const ours = bp.sequential({
      seed: 2,
      layers: [
        bp.layers.lstm({ units: 4, inputShape: [5, 3], returnSequences: true, biasInitializer: bias() }),
        bp.layers.lstm({ units: 3, goBackwards: true }),
        bp.layers.dense({ units: 2 }),
      ],
    });
    await expectTfjsParity(ours, () => {
      const m = tf.sequential();
      m.add(tf.layers.lstm({ units: 4, inputShape: [5, 3], returnSequences: true, biasInitializer: 'randomNormal' }));
      m.add(tf.layers.lstm({ units: 3, goBackwards: true, unitForgetBias: true }));
      m.add(tf.layers.dense({ units: 2 }));
      return m;
    }, [5, 3]);
  });

  test('TF.js parity with a mask through goBackwards + returnSequences (the mask passes on unchanged, as TF.js)', async () => {
    const ours = bp.sequential({
      seed: 4,
      layers: [
        bp.layers.embedding({ inputDim: 8, outputDim: 3, inputLength: 6, maskZero: true }),
        bp.layers.lstm({ units: 4, returnSequences: true, goBackwards: true }),
        bp.layers.lstm({ units: 3 }),
      ],
    });
    await expectTfjsParity(
      ours,
      () => {
        const m = tf.sequential();
        m.add(tf.layers.embedding({ inputDim: 8, outputDim: 3, inputLength: 6, maskZero: true }));
        m.add(tf.layers.lstm({ units: 4, returnSequences: true, goBackwards: true }));
        m.add(tf.layers.lstm({ units: 3 }));
        return m;
      },
      [6],
      3,
      (rows, seed) => tokenIds(6, 8, rows, seed),
    );
  });

  test('unitForgetBias starts the forget gate at 1; TF.js defaults: hardSigmoid, orthogonal recurrent kernel', () => {
    const layer = bp.layers.lstm({
      units: 3,
      unitForgetBias: true,
      biasInitializer: bp.initializers.constant({ value: 0.5 }),
    });
    bp.sequential({ layers: [layer], seed: 1 }).build([2, 2]);
    const [, recurrent, b] = layer.weights();
    expect(Array.from(b.value)).toEqual([0.5, 0.5, 0.5, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
    expect(layer.recurrentActivation).toBe('hardSigmoid');
    // Rows of the recurrent kernel [3, 12] are orthonormal.
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        let dot = 0;
        for (let k = 0; k < 12; k++) dot += recurrent.value[i * 12 + k] * recurrent.value[j * 12 + k];
        expect(dot).toBeCloseTo(i === j ? 1 : 0, 5);
      }
    }
  });

  test('learns to sum a sequence; predict gives [rows, units] or [rows, steps, units]', async () => {
    const model = bp.sequential({
      seed: 3,
      layers: [
        bp.layers.lstm({ units: 8, inputShape: [6, 1], recurrentActivation: 'sigmoid' }),
        bp.layers.dense({ units: 1 }),
      ],
    });
    model.compile({ optimizer: bp.optimizers.adam({ learningRate: 0.02 }), loss: 'meanSquaredError' });
    const x = randomInput([6, 1], 128, 5, 0, 1);
    const y = bp.tensor(
      Float32Array.from(
        { length: 128 },
        (_, r) => Array.from(x.data.slice(r * 6, r * 6 + 6)).reduce((a, b) => a + b, 0) / 3,
      ),
      [128, 1],
    );
    const before = model.evaluate(x, y).loss;
    await model.fit(x, y, { epochs: 40, batchSize: 32, verbose: 0 });
    expect(model.evaluate(x, y).loss).toBeLessThan(before / 10);
    expect(model.predict(x).shape).toEqual([128, 1]);
    const seq = bp.sequential({ layers: [bp.layers.lstm({ units: 3, inputShape: [6, 1], returnSequences: true })] });
    expect(seq.predict(x).shape).toEqual([128, 6, 3]);
  });

  test('bad arguments name the option', () => {
    expect(() => bp.layers.lstm({ units: 0 })).toThrow(/'units' must be a positive integer/);
    expect(() => bp.layers.lstm({ units: 2, recurrentActivation: 'gelu' })).toThrow(
      /'recurrentActivation' gelu is not supported/,
    );
    expect(() => bp.layers.lstm({ units: 2, returnState: true })).toThrow(/'returnState' is not supported/);
    expect(() => bp.layers.lstm({ units: 2, recurrentDropout: 0.1 })).toThrow(/'recurrentDropout' is not supported/);
    expect(() => bp.layers.lstm({ units: 2, stateful: true })).toThrow(/'stateful' is not supported/);
    expect(() => bp.sequential({ layers: [bp.layers.lstm({ units: 2, inputShape: [4] })] })).toThrow(
      /expected \[steps, features\]/,
    );
  });
});
