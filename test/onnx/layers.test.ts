/**
 * @jest-environment ./test/onnx/ort-environment.js
 */
/**
 * Every layer type and every activation, exported to ONNX: the file passes ONNX's checker, and ONNX Runtime's
 * outputs equal model.predict (every backend) within 1e-5 at batch 1 and 33.
 */
import * as bp from '../../src';
import { ACTIVATION_NAMES } from '../../src/backend/ops';
import type { Layer } from '../../src/layers/layer';
import { layerFromConfig } from '../../src/layers/registry';
import { expectOnnxMatchesPredict, OnnxChecker, writeParityTable } from './support';

const checker = new OnnxChecker();
afterAll(() => {
  checker.close();
  writeParityTable();
});

const bias = () => bp.initializers.randomUniform({ minval: -0.5, maxval: 0.5 });
const model = (layers: Layer[]) => bp.sequential({ seed: 5, layers });

describe('Dense', () => {
  test('on feature vectors (Gemm), with and without bias', async () => {
    const m = model([
      bp.layers.dense({ units: 7, activation: 'relu', inputShape: [5], biasInitializer: bias() }),
      bp.layers.dense({ units: 3, useBias: false }),
    ]);
    await expectOnnxMatchesPredict(m, checker, { label: 'Dense, rank-2 input (Gemm)' });
  });

  test('on the last axis of rank-3 and rank-4 inputs (MatMul + Add)', async () => {
    const m3 = model([bp.layers.dense({ units: 4, activation: 'tanh', inputShape: [6, 5], biasInitializer: bias() })]);
    await expectOnnxMatchesPredict(m3, checker, { label: 'Dense, rank > 2 input (MatMul + Add)' });
    const m4 = model([
      bp.layers.dense({ units: 3, inputShape: [2, 3, 5], useBias: false }),
      bp.layers.dense({ units: 2, activation: 'sigmoid', biasInitializer: bias() }),
    ]);
    await expectOnnxMatchesPredict(m4, checker, { label: 'Dense, rank > 2 input (MatMul + Add)' });
  });
});

describe.each(ACTIVATION_NAMES.map((a) => [a]))('activation %s', (act) => {
  test('in a Dense layer', async () => {
    const m = model([bp.layers.dense({ units: 6, activation: act, inputShape: [4], biasInitializer: bias() })]);
    await expectOnnxMatchesPredict(m, checker, { label: `activation ${act}` });
  });

  test('as an Activation layer on rank-3 inputs (softmax over the last axis)', async () => {
    const m = model([bp.layers.activation({ activation: act, inputShape: [3, 5] })]);
    await expectOnnxMatchesPredict(m, checker, { label: `activation ${act}`, scale: 6 });
  });
});

describe('activation layers with parameters', () => {
  test("LeakyReLU (alpha 0.1 and Keras' default 0.3) and ELU (alpha 0.5)", async () => {
    const m = model([
      bp.layers.leakyReLU({ alpha: 0.1, inputShape: [8] }),
      bp.layers.dense({ units: 5, activation: 'leakyRelu', biasInitializer: bias() }),
      layerFromConfig('ELU', { alpha: 0.5 }),
    ]);
    await expectOnnxMatchesPredict(m, checker, { label: 'Activation layer (LeakyReLU, ELU, ReLU, Softmax)' });
  });

  test('ReLU and Softmax layers as TF.js files name them', async () => {
    const m = model([layerFromConfig('ReLU', { inputShape: [2, 4] }), layerFromConfig('Softmax', { axis: -1 })]);
    await expectOnnxMatchesPredict(m, checker, { label: 'Activation layer (LeakyReLU, ELU, ReLU, Softmax)' });
  });

  test('softplus stays finite and exact for large inputs', async () => {
    const m = model([bp.layers.activation({ activation: 'softplus', inputShape: [16] })]);
    await expectOnnxMatchesPredict(m, checker, { label: 'activation softplus', scale: 40 });
  });
});

describe('shape layers', () => {
  test('Dropout is the identity at inference (no node)', async () => {
    const m = model([
      bp.layers.dense({ units: 6, activation: 'relu', inputShape: [4] }),
      bp.layers.dropout({ rate: 0.5 }),
      bp.layers.dense({ units: 2 }),
      bp.layers.dropout({ rate: 0.3 }),
    ]);
    await expectOnnxMatchesPredict(m, checker, { label: 'Dropout' });
  });

  test('Flatten of a rank-4 input', async () => {
    const m = model([bp.layers.flatten({ inputShape: [2, 3, 4] }), bp.layers.dense({ units: 3 })]);
    await expectOnnxMatchesPredict(m, checker, { label: 'Flatten' });
  });

  test('Reshape (with an inferred -1) keeps the batch dynamic', async () => {
    const m = model([
      bp.layers.reshape({ targetShape: [-1, 4], inputShape: [12] }),
      bp.layers.dense({ units: 2, biasInitializer: bias() }),
      bp.layers.reshape({ targetShape: [2, 3] }),
    ]);
    await expectOnnxMatchesPredict(m, checker, { label: 'Reshape' });
  });

  test('Permute of 2 and 3 axes', async () => {
    const m = model([
      bp.layers.permute({ dims: [3, 1, 2], inputShape: [2, 3, 4] }),
      bp.layers.dense({ units: 2 }),
      bp.layers.permute({ dims: [1, 3, 2] }),
    ]);
    await expectOnnxMatchesPredict(m, checker, { label: 'Permute' });
  });
});
