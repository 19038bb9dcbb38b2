/**
 * @jest-environment ./test/onnx/ort-environment.js
 */
/**
 * Whole models exported to ONNX and run in ONNX Runtime: a trained MLP, a model over sequences (Dense on the last
 * axis, Permute, Reshape, Flatten), a model saved and loaded back in the TF.js format, a float64 model, and a
 * chain of every activation at opsets 13 to 21. Outputs equal model.predict within 1e-5 at batch 1 and 33.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as bp from '../../src';
import { ACTIVATION_NAMES } from '../../src/backend/ops';
import { MAX_OPSET, MIN_OPSET } from '../../src/onnx/export';
import { expectOnnxMatchesPredict, OnnxChecker, randomBatch, tmpDir, writeParityTable } from './support';

const checker = new OnnxChecker();
afterAll(() => {
  checker.close();
  writeParityTable();
});

function mlp(): bp.Sequential {
  return bp.sequential({
    seed: 3,
    layers: [
      bp.layers.dense({ units: 16, activation: 'relu', inputShape: [10] }),
      bp.layers.dropout({ rate: 0.2 }),
      bp.layers.dense({ units: 12, activation: 'gelu' }),
      bp.layers.dense({ units: 4, activation: 'softmax' }),
    ],
  });
}

async function trained(model: bp.Sequential): Promise<bp.Sequential> {
  const x = randomBatch(model.inputShape!, 64, 9, 1);
  const labels = Array.from({ length: 64 }, (_, i) => i % model.outputShape![0]);
  model.compile({ optimizer: bp.optimizers.adam({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy' });
  await model.fit(x, labels, { epochs: 3, batchSize: 16, verbose: 0 });
  return model;
}

describe('whole models', () => {
  test('a trained MLP (Dense relu, Dropout, Dense gelu, Dense softmax)', async () => {
    await expectOnnxMatchesPredict(await trained(mlp()), checker, { label: 'model: MLP (trained)' });
  });

  test('a model over sequences: Dense on the last axis, Permute, Reshape, Flatten, Dense', async () => {
    const model = bp.sequential({
      seed: 4,
      layers: [
        bp.layers.dense({ units: 6, activation: 'tanh', inputShape: [5, 3] }),
        bp.layers.permute({ dims: [2, 1] }),
        bp.layers.dense({ units: 4, activation: 'swish' }),
        bp.layers.reshape({ targetShape: [4, 6] }),
        bp.layers.activation({ activation: 'softmax' }),
        bp.layers.flatten(),
        bp.layers.dense({ units: 2, activation: 'sigmoid' }),
      ],
    });
    await expectOnnxMatchesPredict(model, checker, { label: 'model: sequence (Dense/Permute/Reshape/Flatten)' });
  });

  test('a model saved in the TF.js format and loaded back', async () => {
    const dir = tmpDir();
    await (await trained(mlp())).save(dir);
    const loaded = await bp.loadLayersModel(dir);
    await expectOnnxMatchesPredict(loaded, checker, { label: 'model: loaded from model.json' });
  });

  test('a float64 model is written in float32', async () => {
    const model = bp.sequential({
      seed: 6,
      dtype: 'float64',
      layers: [
        bp.layers.dense({ units: 8, activation: 'elu', inputShape: [6] }),
        bp.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    await expectOnnxMatchesPredict(model, checker, { label: 'model: float64 weights' });
  });

  const opsets = [MIN_OPSET, 17, 20, MAX_OPSET];
  test.each(opsets.map((o) => [o]))('every activation in one model at opset %d', async (opset) => {
    const layers = ACTIVATION_NAMES.map((activation, i) =>
      bp.layers.dense({ units: 8, activation, ...(i === 0 ? { inputShape: [5] } : {}) }),
    );
    const model = bp.sequential({ seed: 8, layers });
    await expectOnnxMatchesPredict(model, checker, { opset, label: `model: every activation, opset ${opset}` });
  });
});

test('the exported file is what exportOnnx resolves with, and nothing else is left in its directory', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'sub', 'model.onnx');
  const bytes = await bp.exportOnnx(mlp(), file);
  expect(Buffer.from(fs.readFileSync(file)).equals(Buffer.from(bytes))).toBe(true);
  expect(fs.readdirSync(path.dirname(file))).toEqual(['model.onnx']);
});
