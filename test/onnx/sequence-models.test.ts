/**
 * @jest-environment ./test/onnx/ort-environment.js
 */
/**
 * Whole sequence models exported to ONNX and run in ONNX Runtime: Embedding → LSTM → Dense (trained, and with
 * maskZero on padded ids), GRU → Dense, Bidirectional(LSTM) → Dense, LSTM(returnSequences) →
 * TimeDistributed(Dense), a LayerNormalization model, and one saved and loaded back in the TF.js format.
 * Outputs equal model.predict within 1e-5 at batch 1 and 33; the files pass ONNX's checker.
 */
import * as bp from '../../src';
import { OnnxChecker, randomBatch, tmpDir, writeParityTable } from './support';
import { expectSequenceOnnxMatchesPredict as expectParity, paddedTokenIds, tokenIds } from './sequence-support';

const checker = new OnnxChecker();
afterAll(() => {
  checker.close();
  writeParityTable();
});

function textClassifier(maskZero: boolean): bp.Sequential {
  return bp.sequential({
    seed: 11,
    layers: [
      bp.layers.embedding({ inputDim: 20, outputDim: 8, maskZero, inputShape: [10] }),
      bp.layers.lstm({ units: 6 }),
      bp.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
}

async function trained(model: bp.Sequential, x: bp.Tensor): Promise<bp.Sequential> {
  const classes = model.outputShape![0];
  const labels = Array.from({ length: x.shape[0] }, (_, i) => i % classes);
  model.compile({ optimizer: bp.optimizers.adam({ learningRate: 0.02 }), loss: 'sparseCategoricalCrossentropy' });
  await model.fit(x, labels, { epochs: 2, batchSize: 16, verbose: 0 });
  return model;
}

describe('whole sequence models', () => {
  test('Embedding → LSTM → Dense softmax, trained', async () => {
    const model = await trained(textClassifier(false), tokenIds(20)([10], 48, 3));
    await expectParity(model, checker, { label: 'model: Embedding → LSTM → Dense', input: tokenIds(20) });
  });

  test('Embedding(maskZero) → LSTM → Dense on padded ids, trained', async () => {
    const model = await trained(textClassifier(true), paddedTokenIds(20)([10], 48, 3));
    await expectParity(model, checker, {
      label: 'model: Embedding(maskZero) → LSTM → Dense',
      input: paddedTokenIds(20),
    });
  });

  test('GRU → Dense', async () => {
    const model = bp.sequential({
      seed: 12,
      layers: [bp.layers.gru({ units: 8, inputShape: [9, 4] }), bp.layers.dense({ units: 2, activation: 'sigmoid' })],
    });
    await expectParity(model, checker, { label: 'model: GRU → Dense' });
  });

  test('Bidirectional(LSTM) → Dense', async () => {
    const model = bp.sequential({
      seed: 13,
      layers: [
        bp.layers.bidirectional({ layer: bp.layers.lstm({ units: 5 }), inputShape: [8, 3] }),
        bp.layers.dense({ units: 4, activation: 'softmax' }),
      ],
    });
    await expectParity(model, checker, { label: 'model: Bidirectional(LSTM) → Dense' });
  });

  test('LSTM(returnSequences) → TimeDistributed(Dense)', async () => {
    const model = bp.sequential({
      seed: 14,
      layers: [
        bp.layers.lstm({ units: 6, returnSequences: true, recurrentActivation: 'sigmoid', inputShape: [7, 3] }),
        bp.layers.timeDistributed({ layer: bp.layers.dense({ units: 3, activation: 'softmax' }) }),
      ],
    });
    await expectParity(model, checker, { label: 'model: LSTM(returnSequences) → TimeDistributed(Dense)' });
  });

  test('LayerNormalization model: Dense → LayerNormalization → GRU → LayerNormalization → Dense', async () => {
    const model = bp.sequential({
      seed: 15,
      layers: [
        bp.layers.dense({ units: 8, activation: 'gelu', inputShape: [6, 5] }),
        bp.layers.layerNormalization(),
        bp.layers.gru({ units: 6, resetAfter: true, recurrentActivation: 'sigmoid' }),
        bp.layers.layerNormalization({ epsilon: 1e-5 }),
        bp.layers.dense({ units: 2 }),
      ],
    });
    await expectParity(model, checker, { label: 'model: LayerNormalization' });
  });

  test('a sequence model saved in the TF.js format and loaded back', async () => {
    const dir = tmpDir();
    const model = bp.sequential({
      seed: 16,
      layers: [
        bp.layers.embedding({ inputDim: 12, outputDim: 4, inputShape: [6] }),
        bp.layers.bidirectional({ layer: bp.layers.gru({ units: 3, returnSequences: true }), mergeMode: 'ave' }),
        bp.layers.globalAveragePooling1d(),
        bp.layers.dense({ units: 2 }),
      ],
    });
    await model.save(dir);
    const loaded = await bp.loadLayersModel(dir);
    expect(loaded.predict(randomBatch([6], 2, 1, 0)).data).toEqual(model.predict(randomBatch([6], 2, 1, 0)).data);
    await expectParity(loaded, checker, { label: 'model: loaded from model.json (sequence)', input: tokenIds(12) });
  });
});
