/**
 * GaussianNoise, GaussianDropout and AlphaDropout (template: test/layers/dense.test.ts): the identity at inference;
 * in training, noise from the model's seeded RNG (the same seed gives the same noise, and the moments each layer
 * promises); gradients checked with the noise of one forward held fixed (gradcheck restarts the RNG for every
 * evaluation); backend agreement; config round trip; TF.js parity both ways; AlphaDropout's noiseShape; bad
 * arguments.
 */
import * as tf from '@tensorflow/tfjs';
import * as bp from '../../src';
import { layerFromConfig } from '../../src/layers/registry';
import type { Layer } from '../../src/layers/layer';
import {
  expectBackendsAgree,
  expectConfigRoundTrip,
  expectGradientsMatch,
  expectTfjsParity,
} from '../support/layer-checks';

const SELU_NEG = -1.6732632423543772 * 1.0507009873554805;

const noiseLayers = (): [string, () => Layer][] => [
  ['GaussianNoise', () => bp.layers.gaussianNoise({ stddev: 0.3 })],
  ['GaussianDropout', () => bp.layers.gaussianDropout({ rate: 0.3 })],
  ['AlphaDropout', () => bp.layers.alphaDropout({ rate: 0.3 })],
];

/** One training-mode forward of `layer` (built for [n]) over `x`, with the model's RNG at `seed`. */
function trainForward(make: () => Layer, x: Float32Array, seed: number): Float32Array {
  const m = bp.sequential({ seed, layers: [make()] });
  m.build([x.length]);
  return Float32Array.from(m.layers[0].forward(bp.jsReference(), x, 1, true, m.rng));
}

describe.each(noiseLayers())('%s', (className, make) => {
  test('the identity at inference, seeded and reproducible in training', () => {
    const model = bp.sequential({ seed: 4, layers: [make()] });
    model.build([64]);
    const layer = model.layers[0];
    const x = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i));
    expect(layer.forward(bp.jsReference(), x, 1, false, model.rng)).toBe(x);
    expect(Array.from(model.predict(bp.tensor(Array.from(x), [1, 64])).data)).toEqual(Array.from(x));
    const a = trainForward(make, x, 11),
      b = trainForward(make, x, 11),
      c = trainForward(make, x, 12);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    expect(Array.from(a)).not.toEqual(Array.from(x));
  });

  test('gradients match finite differences (the noise of one forward held fixed)', () => {
    expectGradientsMatch(
      () => [
        bp.layers.dense({ units: 5, inputShape: [4], activation: 'selu', biasInitializer: 'randomNormal' }),
        make(),
        bp.layers.dense({ units: 2 }),
      ],
      [4],
    );
  });

  test('the backends agree (training steps with noise)', () => {
    expectBackendsAgree(
      () => [bp.layers.dense({ units: 6, inputShape: [4] }), make(), bp.layers.dense({ units: 2 })],
      [4],
    );
  });

  test('config round trip through the registry', () => {
    const model = bp.sequential({ layers: [make(), make()] });
    model.build([3]);
    expectConfigRoundTrip(model.layers);
    expect(model.layers[0].className).toBe(className);
  });

  test('TF.js parity both ways', async () => {
    const ours = bp.sequential({
      seed: 3,
      layers: [bp.layers.dense({ units: 4, inputShape: [3] }), make(), bp.layers.dense({ units: 2 })],
    });
    const config = make().getConfig();
    await expectTfjsParity(ours, () => {
      const m = tf.sequential();
      m.add(tf.layers.dense({ units: 4, inputShape: [3] }));
      if (className === 'GaussianNoise') m.add(tf.layers.gaussianNoise({ stddev: config.stddev as number }));
      else if (className === 'GaussianDropout') m.add(tf.layers.gaussianDropout({ rate: config.rate as number }));
      else m.add(tf.layers.alphaDropout({ rate: config.rate as number }));
      m.add(tf.layers.dense({ units: 2 }));
      return m;
    }, [3]);
  });
});

describe('the noise each layer promises (training, many values)', () => {
  const n = 40000;
  const x = Float32Array.from({ length: n }, (_, i) => ((i * 7919) % 1000) / 500 - 1);
  const moments = (v: ArrayLike<number>) => {
    let s = 0,
      s2 = 0;
    for (let i = 0; i < v.length; i++) {
      s += v[i];
      s2 += v[i] * v[i];
    }
    return { mean: s / v.length, variance: s2 / v.length - (s / v.length) ** 2 };
  };

  test('GaussianNoise adds N(0, stddev²)', () => {
    const y = trainForward(() => bp.layers.gaussianNoise({ stddev: 0.5 }), x, 1);
    const d = moments(y.map((v, i) => v - x[i]));
    expect(Math.abs(d.mean)).toBeLessThan(0.01);
    expect(Math.abs(d.variance - 0.25)).toBeLessThan(0.01);
  });

  test('GaussianDropout multiplies by N(1, rate/(1 − rate))', () => {
    const ones = new Float32Array(n).fill(1);
    const m = moments(trainForward(() => bp.layers.gaussianDropout({ rate: 0.2 }), ones, 1));
    expect(Math.abs(m.mean - 1)).toBeLessThan(0.01);
    expect(Math.abs(m.variance - 0.25)).toBeLessThan(0.01);
  });

  test("AlphaDropout keeps a standard normal input's mean and variance, dropping to SELU's saturation", () => {
    const rng = new bp.Rng(3);
    const z = Float32Array.from({ length: n }, () => rng.normal(0, 1));
    const rate = 0.2;
    const y = trainForward(() => bp.layers.alphaDropout({ rate }), z, 1);
    const m = moments(y);
    expect(Math.abs(m.mean)).toBeLessThan(0.02);
    expect(Math.abs(m.variance - 1)).toBeLessThan(0.03);
    // Dropped values all land on a·α' + b.
    const a = ((1 - rate) * (1 + rate * SELU_NEG ** 2)) ** -0.5;
    const dropped = Math.fround(a * SELU_NEG - a * SELU_NEG * rate);
    const share = y.filter((v) => v === dropped).length / n;
    expect(Math.abs(share - rate)).toBeLessThan(0.01);
  });

  test("AlphaDropout's noiseShape: one draw per channel shared over positions, or one mask for the batch", () => {
    const shape = [4, 3, 8];
    const perChannel = bp.sequential({
      seed: 2,
      layers: [bp.layers.alphaDropout({ rate: 0.5, noiseShape: [null, 1, 1, 8], inputShape: shape })],
    });
    const ones = new Float32Array(2 * 96).fill(1);
    const y = perChannel.layers[0].forward(bp.jsReference(), ones, 2, true, perChannel.rng);
    for (let r = 0; r < 2; r++) {
      for (let p = 1; p < 12; p++) for (let c = 0; c < 8; c++) expect(y[r * 96 + p * 8 + c]).toBe(y[r * 96 + c]);
    }
    const sharedBatch = bp.sequential({
      seed: 2,
      layers: [bp.layers.alphaDropout({ rate: 0.5, noiseShape: [1, 4, 3, 8], inputShape: shape })],
    });
    const z = sharedBatch.layers[0].forward(bp.jsReference(), ones, 2, true, sharedBatch.rng);
    expect(Array.from(z.subarray(96))).toEqual(Array.from(z.subarray(0, 96)));
    expect(() =>
      bp.sequential({
        layers: [bp.layers.alphaDropout({ rate: 0.5, noiseShape: [null, 2, 3, 8], inputShape: shape })],
      }),
    ).toThrow(/'noiseShape' \[null,2,3,8\] does not broadcast/);
  });
});

test('bad arguments name the option', () => {
  expect(() => bp.layers.gaussianNoise({ stddev: -1 })).toThrow(/'stddev' must be a finite number >= 0/);
  expect(() => bp.layers.gaussianDropout({ rate: 1 })).toThrow(/'rate' must be a number in \[0, 1\)/);
  expect(() => bp.layers.alphaDropout({ rate: -0.1 })).toThrow(/'rate' must be a number in \[0, 1\)/);
  expect(() => bp.layers.alphaDropout({ rate: 0.1, noiseShape: [2, 3] })).toThrow(/'noiseShape' must be/);
  expect(() => bp.layers.gaussianNoise({ stddev: 0.1, seed: 3 } as bp.layers.GaussianNoiseArgs)).toThrow(
    /'seed' is not supported/,
  );
  expect(() => layerFromConfig('GaussianDropout', { rate: 0.1, seed: 7 })).toThrow(/seed: is not supported/);
  expect(() => layerFromConfig('AlphaDropout', { rate: 0.1, noiseShape: 'all' })).toThrow(/noiseShape: expected/);
});
