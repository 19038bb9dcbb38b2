/**
 * RepeatVector (template: test/layers/dense.test.ts): values, gradients (the n copies' gradients summed, through a
 * Dense before it), backend agreement, config round trip, TF.js parity both ways, bad arguments.
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

describe('RepeatVector', () => {
  test('repeats each sample n times', () => {
    const m = bp.sequential({ layers: [bp.layers.repeatVector({ n: 3, inputShape: [2] })] });
    expect(m.outputShape).toEqual([3, 2]);
    expect(Array.from(m.predict(bp.tensor([1, 2, 3, 4], [2, 2])).data)).toEqual([1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4]);
  });

  test('gradients match finite differences', () => {
    expectGradientsMatch(
      () => [
        bp.layers.dense({ units: 3, inputShape: [4], activation: 'tanh', biasInitializer: 'randomNormal' }),
        bp.layers.repeatVector({ n: 4 }),
        bp.layers.simpleRNN({ units: 2, returnSequences: true }),
      ],
      [4],
    );
  });

  test('the backends agree', () => {
    expectBackendsAgree(
      () => [
        bp.layers.dense({ units: 3, inputShape: [4] }),
        bp.layers.repeatVector({ n: 5 }),
        bp.layers.lstm({ units: 2 }),
      ],
      [4],
    );
  });

  test('config round trip through the registry', () => {
    const model = bp.sequential({ layers: [bp.layers.repeatVector({ n: 7, inputShape: [3] })] });
    expectConfigRoundTrip(model.layers);
    expect(model.layers[0].getConfig()).toEqual({ name: 'repeat_vector_1', trainable: true, n: 7 });
  });

  test('TF.js parity both ways', async () => {
    const ours = bp.sequential({
      seed: 3,
      layers: [
        bp.layers.dense({ units: 3, inputShape: [4], biasInitializer: 'randomNormal' }),
        bp.layers.repeatVector({ n: 3 }),
        bp.layers.lstm({ units: 2, returnSequences: true }),
      ],
    });
    await expectTfjsParity(ours, () => {
      const m = tf.sequential();
      m.add(tf.layers.dense({ units: 3, inputShape: [4], biasInitializer: 'randomNormal' }));
      m.add(tf.layers.repeatVector({ n: 3 }));
      m.add(tf.layers.lstm({ units: 2, returnSequences: true }));
      return m;
    }, [4]);
  });

  test('bad arguments name the option', () => {
    expect(() => bp.layers.repeatVector({ n: 0 })).toThrow(/'n' must be a positive integer/);
    expect(() => layerFromConfig('RepeatVector', { n: 2.5 })).toThrow(/n: expected an integer/);
    expect(() => bp.sequential({ layers: [bp.layers.repeatVector({ n: 2, inputShape: [3, 4] })] })).toThrow(
      /RepeatVector takes vectors/,
    );
  });
});
