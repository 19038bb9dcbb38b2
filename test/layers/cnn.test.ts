/**
 * Whole CNNs: float64 gradients of every layer of a CNN that mixes the convolution layers (both backends,
 * batch 1 and 3), backend agreement over training steps, and a CNN learning the built-in digits from the flat
 * [rows, 784] rows bp.data.digits() gives (a [28, 28, 1] input takes them as they are).
 */
import * as bp from '../../src';
import { ASYNC_STEP_MACS, engineOf } from '../../src/model/engine';
import { backendNames } from '../support/backends';
import { nativeBackend } from '../../src/backend/select';
import { expectBackendsAgree, expectGradientsMatch } from '../support/layer-checks';

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
    'a long CNN step runs its convolutions off the main thread, and the event loop turns while they run (native)',
    async () => {
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
      model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
      const engine = engineOf(model);
      const native = nativeBackend().backend!;
      expect(engine.macsPerSample() * 64).toBeGreaterThan(10 * ASYNC_STEP_MACS);
      expect(engine.offThread(native, 64)).toBe(true);
      // The native backend, counting synchronous convolution calls and timer ticks seen during async ones.
      let ticks = 0,
        sync = 0,
        inFlight = 0,
        ticksInFlight = 0;
      const b = Object.create(native) as typeof native;
      for (const op of ['conv2dForward', 'conv2dBackward'] as const) {
        b[op] = ((...args: never[]) => {
          sync++;
          return (native[op] as (...a: never[]) => void)(...args);
        }) as never;
        const asyncOp = `${op}Async` as const;
        b[asyncOp] = (async (...args: never[]) => {
          inFlight++;
          const before = ticks;
          await (native[asyncOp] as (...a: never[]) => Promise<void>)(...args);
          ticksInFlight += ticks - before;
          inFlight--;
        }) as never;
      }
      // Batches in floatArray memory, as fit gives them (a plain array would keep the first layer on the main thread).
      const x = bp.floatArray('float32', 64 * 784),
        y = bp.floatArray('float32', 64 * 10);
      x.forEach((_, i) => (x[i] = (i % 13) / 13));
      for (let r = 0; r < 64; r++) y[r * 10 + (r % 10)] = 1;
      const timer = setInterval(() => ticks++, 1);
      for (let i = 0; i < 4; i++) await engine.trainStepAsync(b, x, y, 64);
      clearInterval(timer);
      expect(sync).toBe(0);
      expect(inFlight).toBe(0);
      // Four steps of four async convolutions each (~40 ms of work): a blocked main thread would see no tick.
      expect(ticksInFlight).toBeGreaterThanOrEqual(4);
    },
  );
});
