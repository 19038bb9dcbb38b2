/**
 * PReLU (template: test/layers/dense.test.ts): alpha per value and shared along axes (its shape as TF.js makes
 * it), values, gradients of alpha and through it, backend agreement, config round trip, TF.js parity both ways,
 * the alpha regularizer, bad arguments.
 */
import * as tf from '@tensorflow/tfjs';
import * as bp from '../../src';
import { layerFromConfig } from '../../src/layers/registry';
import {
  expectBackendsAgree,
  expectConfigRoundTrip,
  expectGradientsMatch,
  expectTfjsParity,
} from '../support/layer-checks';

const alphaInit = () => bp.initializers.randomUniform({ minval: 0.05, maxval: 0.5 });

describe('PReLU', () => {
  test('alpha shape per sharedAxes, as TF.js builds it', () => {
    for (const sharedAxes of [undefined, 1, [1, 2], [3]]) {
      const m = bp.sequential({ layers: [bp.layers.pReLU({ sharedAxes, inputShape: [4, 3, 2] })] });
      const t = tf.layers.prelu({ sharedAxes });
      t.build([null, 4, 3, 2]);
      expect(m.getWeights().map((w) => w.shape)).toEqual(t.getWeights().map((w) => w.shape));
      expect(m.getWeights()[0].name).toBe('p_re_lu_1/alpha');
    }
  });

  test('x above 0, alpha·x below, with alpha broadcast over the shared axes', () => {
    const m = bp.sequential({ layers: [bp.layers.pReLU({ sharedAxes: [1], inputShape: [2, 2] })] });
    m.setWeights([new Float32Array([0.5, 0.25])]);
    expect(Array.from(m.predict(bp.tensor([-2, -4, 3, -8], [1, 2, 2])).data)).toEqual([-1, -1, 3, -2]);
  });

  test('gradients match finite differences', () => {
    for (const sharedAxes of [null, [1, 2]]) {
      expectGradientsMatch(
        () => [
          bp.layers.conv2d({ filters: 3, kernelSize: 2, inputShape: [4, 4, 2], biasInitializer: 'randomNormal' }),
          bp.layers.pReLU({ sharedAxes, alphaInitializer: alphaInit() }),
          bp.layers.conv2d({ filters: 2, kernelSize: 2 }),
        ],
        [4, 4, 2],
      );
    }
    expectGradientsMatch(
      () => [
        bp.layers.dense({ units: 5, inputShape: [3], biasInitializer: 'randomNormal' }),
        bp.layers.pReLU({ alphaInitializer: alphaInit(), alphaRegularizer: bp.regularizers.l2({ l2: 0.1 }) }),
      ],
      [3],
    );
  });

  test('the backends agree', () => {
    expectBackendsAgree(
      () => [
        bp.layers.dense({ units: 6, inputShape: [4] }),
        bp.layers.pReLU({ alphaInitializer: alphaInit() }),
        bp.layers.dense({ units: 2 }),
      ],
      [4],
    );
  });

  test('config round trip through the registry', () => {
    const model = bp.sequential({
      layers: [
        bp.layers.pReLU({ sharedAxes: 2, alphaRegularizer: 'l2', inputShape: [3, 4] }),
        bp.layers.pReLU({ alphaInitializer: 'ones' }),
      ],
    });
    expectConfigRoundTrip(model.layers);
    expect(model.layers[0].getConfig().sharedAxes).toEqual([2]);
  });

  test('TF.js parity both ways', async () => {
    const ours = bp.sequential({
      seed: 3,
      layers: [
        bp.layers.conv2d({ filters: 3, kernelSize: 2, inputShape: [5, 4, 2], biasInitializer: 'randomNormal' }),
        bp.layers.pReLU({ sharedAxes: [1, 2], alphaInitializer: alphaInit() }),
        bp.layers.flatten(),
        bp.layers.pReLU({ alphaInitializer: alphaInit() }),
      ],
    });
    await expectTfjsParity(ours, () => {
      const m = tf.sequential();
      m.add(tf.layers.conv2d({ filters: 3, kernelSize: 2, inputShape: [5, 4, 2], biasInitializer: 'randomNormal' }));
      m.add(tf.layers.prelu({ sharedAxes: [1, 2], alphaInitializer: tf.initializers.constant({ value: 0.2 }) }));
      m.add(tf.layers.flatten());
      m.add(tf.layers.prelu({ alphaInitializer: 'randomNormal' }));
      return m;
    }, [5, 4, 2]);
  });

  test('bad arguments name the option', () => {
    expect(() => bp.layers.pReLU({ sharedAxes: [0] })).toThrow(/'sharedAxes' must be a per-sample axis/);
    expect(() => bp.layers.pReLU({ alphaConstraint: 'nonNeg' } as bp.layers.PReLUArgs)).toThrow(
      /'alphaConstraint' is not supported/,
    );
    expect(() => layerFromConfig('PReLU', { alphaConstraint: { className: 'NonNeg', config: {} } })).toThrow(
      /alphaConstraint: is not supported/,
    );
    expect(() => bp.sequential({ layers: [bp.layers.pReLU({ sharedAxes: [3], inputShape: [4, 4] })] })).toThrow(
      /'sharedAxes' names axis 3/,
    );
  });
});
