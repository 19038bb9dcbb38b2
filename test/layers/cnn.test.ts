/**
 * Whole CNNs: float64 gradients of every layer of a CNN that mixes the convolution layers (both backends,
 * batch 1 and 3), backend agreement over training steps, and a CNN learning the built-in digits from the flat
 * [rows, 784] rows bp.data.digits() gives (a [28, 28, 1] input takes them as they are).
 */
import * as bp from '../../src';
import { ASYNC_STEP_MACS, engineOf } from '../../src/model/engine';
import { backendNames } from '../support/backends';
import { expectBackendsAgree, expectGradientsMatch, randomInput } from '../support/layer-checks';

const cnn = () => [
  bp.layers.conv2d({
    filters: 4,
    kernelSize: 3,
    activation: 'relu',
    inputShape: [9, 8, 2],
    biasInitializer: 'randomNormal',
  }),
  bp.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', strides: 2, activation: 'tanh' }),
  bp.layers.batchNormalization({ momentum: 0.9 }),
  bp.layers.maxPooling2d({ poolSize: 2, padding: 'same' }),
  bp.layers.depthwiseConv2d({ kernelSize: 2, padding: 'same', depthMultiplier: 2 }),
  bp.layers.globalAveragePooling2d(),
  bp.layers.dense({ units: 5, activation: 'relu', biasInitializer: 'randomNormal' }),
  bp.layers.dense({ units: 3, activation: 'softmax' }),
];

describe('CNNs', () => {
  test('gradients of a whole CNN match finite differences on every backend', () => {
    expectGradientsMatch(cnn, [9, 8, 2]);
    expectGradientsMatch(
      () => [
        bp.layers.zeroPadding2d({ padding: 1, inputShape: [6, 6, 1] }),
        bp.layers.conv2d({
          filters: 3,
          kernelSize: 3,
          dilationRate: 2,
          activation: 'elu',
          biasInitializer: 'randomNormal',
        }),
        bp.layers.averagePooling2d({ poolSize: 2, strides: 1 }),
        bp.layers.spatialDropout2d({ rate: 0.3 }),
        bp.layers.flatten(),
        bp.layers.dense({ units: 2 }),
      ],
      [6, 6, 1],
    );
  });

  test('the backends agree over training steps of a whole CNN', () => {
    expectBackendsAgree(cnn, [9, 8, 2]);
  });

  test('a CNN learns the digits from their flat rows', async () => {
    const { train, test } = bp.data.digits({ seed: 3, limit: 1500, testFraction: 0.2 });
    const model = bp.sequential({
      seed: 2,
      layers: [
        bp.layers.conv2d({ filters: 8, kernelSize: 5, activation: 'relu', inputShape: [28, 28, 1] }),
        bp.layers.maxPooling2d({ poolSize: 2 }),
        bp.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }),
        bp.layers.maxPooling2d({ poolSize: 2 }),
        bp.layers.flatten(),
        bp.layers.dense({ units: 10, activation: 'softmax' }),
      ],
    });
    model.compile({
      optimizer: bp.optimizers.adam({ learningRate: 0.003 }),
      loss: 'sparseCategoricalCrossentropy',
      metrics: ['accuracy'],
    });
    await model.fit(train.x, train.y, { epochs: 4, batchSize: 32, verbose: 0 });
    expect(model.evaluate(test.x, test.y).accuracy).toBeGreaterThan(0.85);
  });

  // As test/model/event-loop.test.ts for dense steps: counts, not times, so a slow machine cannot make it flake.
  (backendNames().includes('native') ? test : test.skip)(
    'a fit of the Keras CNN (long steps) keeps a 2 ms timer firing during every step (native, off the main thread)',
    async () => {
      bp.setBackend('native');
      try {
        const model = bp.sequential({
          seed: 1,
          layers: [
            bp.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
            bp.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
            bp.layers.maxPooling2d(),
            bp.layers.flatten(),
            bp.layers.dense({ units: 128, activation: 'relu' }),
            bp.layers.dense({ units: 10, activation: 'softmax' }),
          ],
        });
        model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
        expect(engineOf(model).macsPerSample() * 64).toBeGreaterThan(10 * ASYNC_STEP_MACS);
        const x = randomInput([28, 28, 1], 256, 4, 0, 1);
        const y = Int32Array.from({ length: 256 }, (_, i) => i % 10);
        let ticks = 0,
          atBatchStart = 0;
        const batchTicks: number[] = [];
        const timer = setInterval(() => ticks++, 2);
        await model.fit(x, y, {
          epochs: 1,
          batchSize: 64,
          verbose: 0,
          callbacks: [
            {
              onBatchBegin: () => void (atBatchStart = ticks),
              onBatchEnd: () => void batchTicks.push(ticks - atBatchStart),
            },
          ],
        });
        clearInterval(timer);
        expect(batchTicks).toHaveLength(4);
        // A step blocking the main thread (~40 ms here) would give about one tick per batch.
        for (const t of batchTicks) expect(t).toBeGreaterThanOrEqual(5);
      } finally {
        bp.setBackend('auto');
      }
    },
  );
});
