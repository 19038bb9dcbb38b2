/**
 * Conv2D (the template of test/layers/dense.test.ts): gradients in float64 on both backends for every padding,
 * strides 1 and 2, dilation, odd sizes and batch 1; backend agreement; config round trip; TF.js parity both ways;
 * then training end to end and the arguments.
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

const bias = () => bp.initializers.randomUniform({ minval: 0.05, maxval: 0.3 });

describe('Conv2D', () => {
  test('gradients match finite differences: valid/same, strides 1 and 2, odd sizes', () => {
    expectGradientsMatch(
      () => [
        bp.layers.conv2d({
          filters: 3,
          kernelSize: 3,
          activation: 'tanh',
          inputShape: [7, 6, 2],
          biasInitializer: bias(),
        }),
        bp.layers.conv2d({ filters: 2, kernelSize: [2, 3], strides: 2, padding: 'same', activation: 'sigmoid' }),
      ],
      [7, 6, 2],
    );
    expectGradientsMatch(
      () => [
        bp.layers.conv2d({
          filters: 2,
          kernelSize: 3,
          strides: [2, 1],
          padding: 'same',
          inputShape: [6, 5, 3],
          biasInitializer: bias(),
        }),
        bp.layers.conv2d({
          filters: 3,
          kernelSize: 1,
          useBias: false,
          kernelRegularizer: bp.regularizers.l2({ l2: 0.01 }),
        }),
      ],
      [6, 5, 3],
    );
  });

  test('gradients match finite differences: dilation, a 1x1 kernel, softmax over channels', () => {
    expectGradientsMatch(
      () => [
        bp.layers.conv2d({
          filters: 2,
          kernelSize: 3,
          dilationRate: 2,
          activation: 'elu',
          inputShape: [7, 7, 2],
          biasInitializer: bias(),
        }),
        bp.layers.conv2d({ filters: 2, kernelSize: 2, dilationRate: [1, 2], padding: 'same', activation: 'softmax' }),
      ],
      [7, 7, 2],
    );
  });

  test('the backends agree', () => {
    expectBackendsAgree(
      () => [
        bp.layers.conv2d({
          filters: 4,
          kernelSize: 3,
          activation: 'relu',
          inputShape: [9, 8, 3],
          biasInitializer: bias(),
        }),
        bp.layers.conv2d({ filters: 5, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh' }),
      ],
      [9, 8, 3],
    );
  });

  test('config round trip through the registry', () => {
    const model = bp.sequential({
      layers: [
        bp.layers.conv2d({
          filters: 3,
          kernelSize: [3, 2],
          strides: [1, 2],
          padding: 'same',
          activation: 'selu',
          inputShape: [8, 8, 2],
          useBias: false,
          kernelInitializer: bp.initializers.varianceScaling({ scale: 2, mode: 'fan_out', distribution: 'uniform' }),
          kernelRegularizer: bp.regularizers.l1l2({ l1: 0.01, l2: 0.02 }),
        }),
        bp.layers.conv2d({ filters: 2, kernelSize: 2, dilationRate: 2, trainable: false, biasRegularizer: 'l2' }),
      ],
    });
    expectConfigRoundTrip(model.layers);
    expect(model.layers.map((l) => l.name)).toEqual(['conv2d_1', 'conv2d_2']);
  });

  test('TF.js parity both ways', async () => {
    const ours = bp.sequential({
      seed: 2,
      layers: [
        bp.layers.conv2d({
          filters: 4,
          kernelSize: 3,
          strides: 2,
          padding: 'same',
          activation: 'relu',
          inputShape: [11, 12, 2],
        }),
        bp.layers.conv2d({ filters: 3, kernelSize: [2, 3], dilationRate: 2, activation: 'tanh' }),
        bp.layers.flatten(),
        bp.layers.dense({ units: 2 }),
      ],
    });
    await expectTfjsParity(ours, () => {
      const m = tf.sequential();
      m.add(
        tf.layers.conv2d({
          filters: 4,
          kernelSize: 3,
          strides: 2,
          padding: 'same',
          activation: 'relu',
          inputShape: [11, 12, 2],
          biasInitializer: 'randomNormal',
        }),
      );
      m.add(
        tf.layers.conv2d({
          filters: 3,
          kernelSize: [2, 3],
          dilationRate: 2,
          activation: 'tanh',
          biasInitializer: 'randomNormal',
        }),
      );
      m.add(tf.layers.flatten());
      m.add(tf.layers.dense({ units: 2, activation: 'softmax' }));
      return m;
    }, [11, 12, 2]);
  });

  test('a small CNN trains end to end: fit, predict, save, load', async () => {
    // Class: is the bright 2x2 blob in the top half or the bottom half of an 8x8 image?
    const rows = 64;
    const rng = new bp.Rng(5);
    const x = new Float32Array(rows * 64);
    const y = new Int32Array(rows);
    for (let r = 0; r < rows; r++) {
      const top = r % 2 === 0;
      const by = top ? rng.int(3) : 4 + rng.int(3),
        bx = rng.int(7);
      for (const [dy, dx] of [
        [0, 0],
        [0, 1],
        [1, 0],
        [1, 1],
      ])
        x[r * 64 + (by + dy) * 8 + bx + dx] = 1;
      y[r] = top ? 0 : 1;
    }
    const model = bp.sequential({
      seed: 4,
      layers: [
        bp.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [8, 8, 1] }),
        bp.layers.maxPooling2d(),
        bp.layers.flatten(),
        bp.layers.dense({ units: 2, activation: 'softmax' }),
      ],
    });
    model.compile({
      optimizer: bp.optimizers.adam({ learningRate: 0.01 }),
      loss: 'sparseCategoricalCrossentropy',
      metrics: ['accuracy'],
    });
    const xt = bp.tensor(x, [rows, 8, 8, 1]);
    await model.fit(xt, y, { epochs: 40, batchSize: 16, verbose: 0 });
    expect(model.evaluate(xt, y).accuracy).toBe(1);
    expect(model.predict(xt).shape).toEqual([rows, 2]);
    // Flat rows are accepted for a [8, 8, 1] input, as bp.data.digits() gives them.
    expect(Array.from(model.predict(bp.tensor(x, [rows, 64])).data)).toEqual(Array.from(model.predict(xt).data));
    const fs = await import('node:fs');
    const os = await import('node:os');
    const dir = fs.mkdtempSync(`${os.tmpdir()}/bp-conv2d-`);
    await model.save(dir);
    const again = await bp.loadLayersModel(dir);
    expect(Array.from(again.predict(xt).data)).toEqual(Array.from(model.predict(xt).data));
  });

  test('bad arguments name the option', () => {
    expect(() => bp.layers.conv2d({ filters: 0, kernelSize: 3 })).toThrow(/'filters' must be a positive integer/);
    expect(() => bp.layers.conv2d({ filters: 2, kernelSize: [3, 3, 3] })).toThrow(
      /'kernelSize' must be a positive integer or an array of 2/,
    );
    expect(() => bp.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'full' as never })).toThrow(
      /'padding' must be 'valid' or 'same'/,
    );
    expect(() => bp.layers.conv2d({ filters: 2, kernelSize: 3, strides: 2, dilationRate: 2 })).toThrow(
      /strides > 1 cannot be combined/,
    );
    expect(() => bp.layers.conv2d({ filters: 2, kernelSize: 3, dataFormat: 'channelsFirst' as never })).toThrow(
      /'dataFormat' must be 'channelsLast'/,
    );
    expect(() =>
      bp.sequential({ layers: [bp.layers.conv2d({ filters: 2, kernelSize: 3, inputShape: [28, 28] })] }),
    ).toThrow(/cannot take inputs of shape \[28, 28\]: Conv2D takes images \[height, width, channels\]/);
    expect(() =>
      bp.sequential({ layers: [bp.layers.conv2d({ filters: 2, kernelSize: 5, inputShape: [4, 4, 1] })] }),
    ).toThrow(/kernel .* is larger than the input; use padding: 'same'/);
    expect(() => bp.layers.layerFromConfig('Conv2D', { filters: 2, kernelSize: 3, groups: 2 })).toThrow(/groups/);
    expect(() =>
      bp.layers.layerFromConfig('Conv2D', {
        filters: 2,
        kernelSize: 3,
        kernelConstraint: { className: 'MaxNorm', config: {} },
      }),
    ).toThrow(/kernelConstraint: is not supported/);
  });

  test('a long step runs off the main thread with the same result as the synchronous step', async () => {
    const make = () => {
      const m = bp.sequential({
        seed: 8,
        layers: [
          bp.layers.conv2d({ filters: 8, kernelSize: 3, activation: 'relu', inputShape: [12, 12, 3] }),
          bp.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }),
          bp.layers.flatten(),
          bp.layers.dense({ units: 3 }),
        ],
      });
      m.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
      return m;
    };
    const x = randomInput([12, 12, 3], 8, 9);
    const y = randomInput([3], 8, 10);
    const { engineOf } = await import('../../src/model/engine');
    const a = make(),
      b = make();
    const ea = engineOf(a),
      eb = engineOf(b);
    const be = ea.backendFor(8);
    const xs = bp.floatArray('float32', x.data.length);
    xs.set(x.data);
    const ys = bp.floatArray('float32', y.data.length);
    ys.set(y.data);
    for (let i = 0; i < 3; i++) {
      ea.trainStep(be, xs, ys, 8);
      await eb.trainStepAsync(be, xs, ys, 8);
    }
    expect(Array.from(b.predict(x).data)).toEqual(Array.from(a.predict(x).data));
  });
});
