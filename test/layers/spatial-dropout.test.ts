/**
 * SpatialDropout1D and SpatialDropout2D (template: test/layers/dense.test.ts): gradients (the mask is drawn from
 * the seeded RNG, the same for every evaluation), backend agreement, config round trip, TF.js parity both ways for
 * SpatialDropout1D (TF.js 4 has no SpatialDropout2D); whole channels are dropped, identity at inference.
 */
import * as tf from '@tensorflow/tfjs';
import * as bp from '../../src';
import {
  expectBackendsAgree,
  expectConfigRoundTrip,
  expectGradientsMatch,
  expectTfjsParity,
} from '../support/layer-checks';

describe('spatial dropout', () => {
  test('gradients match finite differences', () => {
    expectGradientsMatch(
      () => [
        bp.layers.conv2d({ filters: 4, kernelSize: 2, inputShape: [4, 4, 2], biasInitializer: 'randomNormal' }),
        bp.layers.spatialDropout2d({ rate: 0.5 }),
        bp.layers.dense({ units: 2 }),
      ],
      [4, 4, 2],
    );
    expectGradientsMatch(
      () => [bp.layers.spatialDropout1d({ rate: 0.3, inputShape: [5, 4] }), bp.layers.dense({ units: 2 })],
      [5, 4],
    );
  });

  test('the backends agree', () => {
    expectBackendsAgree(
      () => [
        bp.layers.conv2d({ filters: 4, kernelSize: 2, inputShape: [5, 5, 2] }),
        bp.layers.spatialDropout2d({ rate: 0.25 }),
      ],
      [5, 5, 2],
    );
  });

  test('config round trip through the registry', () => {
    const model = bp.sequential({
      layers: [
        bp.layers.spatialDropout2d({ rate: 0.2, inputShape: [3, 3, 2] }),
        bp.layers.reshape({ targetShape: [9, 2] }),
        bp.layers.spatialDropout1d({ rate: 0.1 }),
      ],
    });
    expectConfigRoundTrip(model.layers);
  });

  test('TF.js parity both ways (SpatialDropout1D)', async () => {
    const ours = bp.sequential({
      seed: 1,
      layers: [bp.layers.spatialDropout1d({ rate: 0.3, inputShape: [6, 3] }), bp.layers.dense({ units: 2 })],
    });
    await expectTfjsParity(ours, () => {
      const m = tf.sequential();
      m.add(tf.layers.spatialDropout1d({ rate: 0.3, inputShape: [6, 3] }));
      m.add(tf.layers.dense({ units: 2 }));
      return m;
    }, [6, 3]);
  });

  test('training drops whole channels of each sample and scales the rest; inference is the identity', () => {
    const model = bp.sequential({
      seed: 7,
      layers: [bp.layers.spatialDropout2d({ rate: 0.5, inputShape: [3, 3, 8] })],
    });
    const layer = model.layers[0];
    const x = new Float32Array(2 * 72).fill(1);
    const y = layer.forward(bp.jsReference(), x, 2, true, model.rng);
    let dropped = 0;
    for (let n = 0; n < 2; n++) {
      for (let c = 0; c < 8; c++) {
        const v = y[n * 72 + c];
        expect(v === 0 || v === 2).toBe(true);
        for (let p = 1; p < 9; p++) expect(y[n * 72 + p * 8 + c]).toBe(v); // the whole feature map
        if (v === 0) dropped++;
      }
    }
    expect(dropped).toBeGreaterThan(0);
    expect(dropped).toBeLessThan(16);
    expect(layer.forward(bp.jsReference(), x, 2, false, model.rng)).toBe(x);
  });

  test('bad arguments name the option', () => {
    expect(() => bp.layers.spatialDropout2d({ rate: 1 })).toThrow(/'rate' must be a number in \[0, 1\)/);
    expect(() => bp.sequential({ layers: [bp.layers.spatialDropout2d({ rate: 0.1, inputShape: [4, 4] })] })).toThrow(
      /SpatialDropout2D takes \[height, width, channels\]/,
    );
  });
});
