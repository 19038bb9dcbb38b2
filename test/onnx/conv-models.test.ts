/**
 * @jest-environment ./test/onnx/ort-environment.js
 */
/**
 * Whole convolutional models exported to ONNX and run in ONNX Runtime: the Keras MNIST CNN, the TF.js examples'
 * MNIST CNN, a trained CNN with BatchNormalization (moving statistics), ZeroPadding2D and GlobalAveragePooling2D,
 * and a Conv1D model. Outputs equal model.predict within 1e-5 at batch 1 and 33; each graph transposes into
 * channels-first once and back once, before Flatten/Dense, so Flatten sees the Keras (channels-last) order.
 */
import * as bp from '../../src';
import { MAX_OPSET, MIN_OPSET, onnxModelBytes } from '../../src/onnx/export';
import { decodeModel } from '../../src/onnx/proto';
import { expectOnnxMatchesPredict, OnnxChecker, randomBatch, tmpDir, writeParityTable } from './support';

const checker = new OnnxChecker();
afterAll(() => {
  checker.close();
  writeParityTable();
});

const opTypes = (m: bp.Sequential) => decodeModel(onnxModelBytes(m)).graph.node.map((n) => n.opType);

async function trained(model: bp.Sequential): Promise<bp.Sequential> {
  const x = randomBatch(model.inputShape!, 48, 21, 1);
  const labels = Array.from({ length: 48 }, (_, i) => i % model.outputShape![0]);
  model.compile({ optimizer: bp.optimizers.adam({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy' });
  await model.fit(x, labels, { epochs: 2, batchSize: 16, verbose: 0 });
  return model;
}

test('the Keras MNIST CNN (conv32 relu, conv64 relu, maxpool, flatten, dense128 relu, dense10 softmax)', async () => {
  const model = bp.sequential({
    seed: 1,
    layers: [
      bp.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
      bp.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
      bp.layers.maxPooling2d({ poolSize: 2 }),
      bp.layers.flatten(),
      bp.layers.dense({ units: 128, activation: 'relu' }),
      bp.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  expect(opTypes(model)).toEqual([
    ...['Transpose', 'Conv', 'Relu', 'Conv', 'Relu', 'MaxPool', 'Transpose'],
    ...['Flatten', 'Gemm', 'Relu', 'Gemm', 'Softmax'],
  ]);
  await expectOnnxMatchesPredict(model, checker, { label: 'model: Keras MNIST CNN', scale: 1 });
});

function tfjsExamplesCnn(): bp.Sequential {
  const varianceScaling = () => 'varianceScaling'; // as tfjs-examples/mnist writes it
  return bp.sequential({
    seed: 2,
    layers: [
      bp.layers.conv2d({
        inputShape: [28, 28, 1],
        kernelSize: 5,
        filters: 8,
        strides: 1,
        activation: 'relu',
        kernelInitializer: varianceScaling(),
      }),
      bp.layers.maxPooling2d({ poolSize: [2, 2], strides: [2, 2] }),
      bp.layers.conv2d({ kernelSize: 5, filters: 16, activation: 'relu', kernelInitializer: varianceScaling() }),
      bp.layers.maxPooling2d({ poolSize: [2, 2], strides: [2, 2] }),
      bp.layers.flatten(),
      bp.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: varianceScaling() }),
    ],
  });
}

test('the TF.js examples MNIST CNN (conv8 5×5, maxpool, conv16 5×5, maxpool, flatten, dense10)', async () => {
  const model = await trained(tfjsExamplesCnn());
  expect(opTypes(model).filter((op) => op === 'Transpose')).toHaveLength(2);
  await expectOnnxMatchesPredict(model, checker, { label: 'model: TF.js examples MNIST CNN (trained)', scale: 1 });
  // The same model saved in the TF.js format and loaded back exports the same way.
  const dir = tmpDir();
  await model.save(dir);
  const loaded = await bp.loadLayersModel(dir);
  await expectOnnxMatchesPredict(loaded, checker, { label: 'model: CNN loaded from model.json', scale: 1 });
});

function bnCnn(): bp.Sequential {
  return bp.sequential({
    seed: 3,
    layers: [
      bp.layers.zeroPadding2d({ padding: 1, inputShape: [12, 12, 3] }),
      bp.layers.conv2d({ filters: 8, kernelSize: 3, useBias: false }),
      bp.layers.batchNormalization({ momentum: 0.5 }),
      bp.layers.activation({ activation: 'relu' }),
      bp.layers.maxPooling2d(),
      bp.layers.zeroPadding2d({
        padding: [
          [0, 1],
          [1, 0],
        ],
      }),
      bp.layers.conv2d({ filters: 16, kernelSize: 3, strides: 2, padding: 'same' }),
      bp.layers.batchNormalization({ momentum: 0.5, center: false, epsilon: 0.01 }),
      bp.layers.activation({ activation: 'relu' }),
      bp.layers.spatialDropout2d({ rate: 0.2 }),
      bp.layers.globalAveragePooling2d(),
      bp.layers.dense({ units: 5, activation: 'softmax' }),
    ],
  });
}

test('a trained CNN with BatchNormalization, ZeroPadding2D and GlobalAveragePooling2D', async () => {
  const model = await trained(bnCnn());
  // Training moved the statistics away from their initial 0 and 1: the export reads the moving ones.
  const stat = (name: string) => Array.from(model.layers[2].weights().find((w) => w.name.endsWith(name))!.value);
  expect(Math.max(...stat('moving_mean').map(Math.abs))).toBeGreaterThan(0.01);
  expect(Math.max(...stat('moving_variance').map((v) => Math.abs(v - 1)))).toBeGreaterThan(0.01);
  expect(opTypes(model)).toEqual([
    ...['Pad', 'Transpose', 'Conv', 'BatchNormalization', 'Relu', 'MaxPool', 'Pad', 'Conv'],
    ...['BatchNormalization', 'Relu', 'GlobalAveragePool', 'Flatten', 'Gemm', 'Softmax'],
  ]);
  await expectOnnxMatchesPredict(model, checker, { label: 'model: CNN with BatchNormalization (trained)' });
});

test.each([[MIN_OPSET], [MAX_OPSET]])('the BatchNormalization CNN at opset %d', async (opset) => {
  await expectOnnxMatchesPredict(bnCnn(), checker, { opset, label: `model: BatchNormalization CNN, opset ${opset}` });
});

test('a Conv1D model (causal, dilated, strided; pooling; GlobalMaxPooling1D)', async () => {
  const model = bp.sequential({
    seed: 4,
    layers: [
      bp.layers.conv1d({ filters: 16, kernelSize: 5, padding: 'causal', activation: 'relu', inputShape: [40, 6] }),
      bp.layers.maxPooling1d({ poolSize: 2 }),
      bp.layers.conv1d({ filters: 16, kernelSize: 3, dilationRate: 2, padding: 'same', activation: 'relu' }),
      bp.layers.spatialDropout1d({ rate: 0.2 }),
      bp.layers.averagePooling1d({ poolSize: 3, strides: 2, padding: 'same' }),
      bp.layers.conv1d({ filters: 8, kernelSize: 3, strides: 2, activation: 'elu' }),
      bp.layers.globalMaxPooling1d(),
      bp.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  expect(opTypes(model).filter((op) => op === 'Transpose')).toHaveLength(1);
  await expectOnnxMatchesPredict(await trained(model), checker, { label: 'model: Conv1D (trained)' });
});

test('a model with Flatten and Dense on channels-first values in the middle transposes back only there', async () => {
  const model = bp.sequential({
    seed: 5,
    layers: [
      bp.layers.conv2d({ filters: 4, kernelSize: 3, inputShape: [7, 6, 2] }),
      bp.layers.dense({ units: 3, activation: 'tanh' }),
      bp.layers.conv2d({ filters: 2, kernelSize: 2 }),
      bp.layers.flatten(),
      bp.layers.dense({ units: 2 }),
    ],
  });
  expect(opTypes(model)).toEqual([
    ...['Transpose', 'Conv', 'Transpose', 'MatMul', 'Add', 'Tanh', 'Transpose', 'Conv', 'Transpose'],
    ...['Flatten', 'Gemm'],
  ]);
  await expectOnnxMatchesPredict(model, checker, { label: 'model: Dense on the channels of a feature map' });
});
