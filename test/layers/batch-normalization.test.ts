/**
 * BatchNormalization (template: test/layers/dense.test.ts): gradients through the batch statistics (after a
 * convolution and on feature vectors, with and without gamma/beta, batch 1), backend agreement, config round trip,
 * TF.js parity both ways with trained moving statistics; training uses the batch's statistics and updates the
 * moving ones exactly as TF.js does, inference uses the moving ones; weights in TF.js order, moving ones frozen.
 */
import * as tf from '@tensorflow/tfjs';
import * as bp from '../../src';
import {
  expectBackendsAgree,
  expectConfigRoundTrip,
  expectGradientsMatch,
  expectTfjsParity,
  loadInTfjs,
  randomInput,
  saveFromTfjs,
} from '../support/layer-checks';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const init = (lo: number, hi: number) => bp.initializers.randomUniform({ minval: lo, maxval: hi });

describe('BatchNormalization', () => {
  test('gradients match finite differences through the batch statistics', () => {
    expectGradientsMatch(
      () => [
        bp.layers.conv2d({ filters: 3, kernelSize: 2, inputShape: [5, 4, 2], biasInitializer: 'randomNormal' }),
        bp.layers.batchNormalization({ gammaInitializer: init(0.5, 1.5), betaInitializer: init(-0.5, 0.5) }),
        bp.layers.activation({ activation: 'tanh' }),
        bp.layers.dense({ units: 2 }),
      ],
      [5, 4, 2],
    );
    expectGradientsMatch(
      () => [
        bp.layers.dense({ units: 4, inputShape: [3], biasInitializer: 'randomNormal' }),
        bp.layers.batchNormalization({ center: false, scale: false, epsilon: 0.01 }),
        bp.layers.dense({ units: 2, activation: 'sigmoid' }),
      ],
      [3],
      [2, 5],
    );
  });

  test('the backends agree (training steps, then inference with the moving statistics)', () => {
    expectBackendsAgree(
      () => [
        bp.layers.conv2d({ filters: 4, kernelSize: 3, inputShape: [7, 6, 2] }),
        bp.layers.batchNormalization({ momentum: 0.5 }),
        bp.layers.dense({ units: 2 }),
      ],
      [7, 6, 2],
    );
  });

  test('config round trip through the registry', () => {
    const model = bp.sequential({
      layers: [
        bp.layers.batchNormalization({
          inputShape: [4, 4, 3],
          momentum: 0.9,
          epsilon: 1e-5,
          center: false,
          gammaRegularizer: 'l2',
          movingVarianceInitializer: bp.initializers.constant({ value: 2 }),
        }),
        bp.layers.batchNormalization({ axis: 3 }),
      ],
    });
    expectConfigRoundTrip(model.layers);
    // Keras writes axis as a list.
    expect(bp.layers.layerFromConfig('BatchNormalization', { axis: [3] }).getConfig().axis).toBe(3);
  });

  test('weights in TF.js order; the moving statistics are saved but never trained', () => {
    const model = bp.sequential({ layers: [bp.layers.batchNormalization({ inputShape: [2, 3] })] });
    expect(model.getWeights().map((w) => w.name)).toEqual([
      'batch_normalization_1/gamma',
      'batch_normalization_1/beta',
      'batch_normalization_1/moving_mean',
      'batch_normalization_1/moving_variance',
    ]);
    expect(model.params().map((p) => p.name)).toEqual(['batch_normalization_1/gamma', 'batch_normalization_1/beta']);
    expect(model.summary(() => {})).toMatch(/Trainable params: 6\s+Non-trainable params: 6/);
  });

  test('training normalizes with the batch statistics and moves the moving ones; inference uses the moving ones', () => {
    const model = bp.sequential({
      layers: [bp.layers.batchNormalization({ momentum: 0.75, epsilon: 0.01, inputShape: [2] })],
    });
    model.compile({ optimizer: bp.optimizers.sgd({ learningRate: 0 }), loss: 'meanSquaredError' });
    const x = bp.tensor(new Float32Array([1, 10, 3, 20, 5, 30, 7, 40]), [4, 2]);
    model.trainOnBatch(x, bp.tensor(new Float32Array(8), [4, 2]));
    const [, , mean, variance] = model.getWeights();
    // Batch mean [4, 25], biased variance [5, 125]; m ← m − (m − stat)·(1 − 0.75) from 0 and 1.
    expect(Array.from(mean.data)).toEqual([1, 6.25]);
    expect(Array.from(variance.data)).toEqual([2, 32]);
    const y = model.predict(x).data;
    expect(y[0]).toBeCloseTo((1 - 1) / Math.sqrt(2 + 0.01), 6);
    expect(y[3]).toBeCloseTo((20 - 6.25) / Math.sqrt(32 + 0.01), 5);
  });

  test('moving statistics after a training step equal TF.js', async () => {
    await tf.setBackend('cpu');
    const ours = bp.sequential({
      seed: 3,
      layers: [
        bp.layers.conv2d({ filters: 3, kernelSize: 2, inputShape: [5, 5, 2], biasInitializer: 'randomNormal' }),
        bp.layers.batchNormalization({ momentum: 0.8 }),
        bp.layers.flatten(),
        bp.layers.dense({ units: 2 }),
      ],
    });
    ours.compile({ optimizer: bp.optimizers.sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-bn-'));
    await ours.save(dir);
    const theirs = await loadInTfjs(dir);
    theirs.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    const x = randomInput([5, 5, 2], 6, 1);
    const y = randomInput([2], 6, 2);
    ours.trainOnBatch(x, y);
    await theirs.trainOnBatch(tf.tensor(Array.from(x.data), x.shape), tf.tensor(Array.from(y.data), y.shape));
    const tfWeights = theirs.layers[1].getWeights().map((w) => Array.from(w.dataSync()));
    const ourWeights = ours.layers[1].weights().map((p) => Array.from(p.value));
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 3; j++) expect(Math.abs(ourWeights[i][j] - tfWeights[i][j])).toBeLessThan(1e-5);
    }
  });

  test('TF.js parity both ways (TF.js trains its model first, so its moving statistics are not the initial ones)', async () => {
    const ours = bp.sequential({
      seed: 4,
      layers: [
        bp.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', inputShape: [6, 5, 2] }),
        bp.layers.batchNormalization({ momentum: 0.5 }),
        bp.layers.activation({ activation: 'relu' }),
        bp.layers.flatten(),
        bp.layers.batchNormalization({ center: false }),
        bp.layers.dense({ units: 2 }),
      ],
    });
    await expectTfjsParity(ours, () => {
      const m = tf.sequential();
      m.add(tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', inputShape: [6, 5, 2] }));
      m.add(
        tf.layers.batchNormalization({
          momentum: 0.5,
          movingMeanInitializer: 'randomNormal',
          movingVarianceInitializer: 'ones',
        }),
      );
      m.add(tf.layers.activation({ activation: 'relu' }));
      m.add(tf.layers.flatten());
      m.add(tf.layers.batchNormalization({ center: false, gammaInitializer: 'randomUniform' }));
      m.add(tf.layers.dense({ units: 2 }));
      return m;
    }, [6, 5, 2]);
    // A model TF.js trained (moving statistics updated by TF.js) loads here with the same predictions.
    const m = tf.sequential();
    m.add(tf.layers.dense({ units: 4, inputShape: [3] }));
    m.add(tf.layers.batchNormalization({ momentum: 0.5 }));
    m.add(tf.layers.dense({ units: 1 }));
    m.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const x = randomInput([3], 16, 5);
    const tx = tf.tensor(Array.from(x.data), x.shape);
    await m.fit(tx, tf.randomNormal([16, 1], 0, 1, 'float32', 1), { epochs: 3, batchSize: 8, verbose: 0 });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-bn-tf-'));
    await saveFromTfjs(m, dir);
    const loaded = await bp.loadLayersModel(dir);
    const want = (m.predict(tx) as tf.Tensor).dataSync();
    const got = loaded.predict(x).data;
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-5);
    expect(Array.from(loaded.getWeights()[4].data)).not.toEqual([0, 0, 0, 0]);
  });

  test('bad arguments name the option', () => {
    expect(() => bp.layers.batchNormalization({ momentum: 1.5 })).toThrow(/'momentum' must be a number in \[0, 1\]/);
    expect(() => bp.layers.batchNormalization({ epsilon: 0 })).toThrow(/'epsilon' must be a number/);
    expect(() => bp.sequential({ layers: [bp.layers.batchNormalization({ axis: 1, inputShape: [4, 4, 2] })] })).toThrow(
      /only the last axis can be normalized \(axis -1 or 3\), not 1/,
    );
    expect(() => bp.layers.layerFromConfig('BatchNormalization', { renorm: true })).toThrow(/renorm/);
  });
});
