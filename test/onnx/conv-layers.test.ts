/**
 * @jest-environment ./test/onnx/ort-environment.js
 */
/**
 * Convolution, pooling and normalisation layers exported to ONNX (several configurations each: strides 1 to 3,
 * 'valid'/'same'/'causal' padding with odd and even totals, dilation, odd sizes, fused activations): the file
 * passes ONNX's checker, and ONNX Runtime's outputs equal model.predict (every backend) within 1e-5 at batch 1
 * and 33. The graph has one transpose into channels-first before a run of such layers and one out after it.
 */
import * as bp from '../../src';
import type { Layer } from '../../src/layers/layer';
import { decodeModel } from '../../src/onnx/proto';
import { onnxModelBytes } from '../../src/onnx/export';
import { expectOnnxMatchesPredict, OnnxChecker, writeParityTable } from './support';

const checker = new OnnxChecker();
afterAll(() => {
  checker.close();
  writeParityTable();
});

const uniform = (minval: number, maxval: number) => bp.initializers.randomUniform({ minval, maxval });
const model = (layers: Layer[]) => bp.sequential({ seed: 11, layers });
const check = (label: string, layers: Layer[]) => expectOnnxMatchesPredict(model(layers), checker, { label });
const opTypes = (m: bp.Sequential) => decodeModel(onnxModelBytes(m)).graph.node.map((n) => n.opType);

describe('Conv2D', () => {
  test('3×3 stride 1 valid with relu, and 1×1 without bias', async () => {
    await check('Conv2D', [
      bp.layers.conv2d({
        filters: 4,
        kernelSize: 3,
        activation: 'relu',
        inputShape: [7, 9, 3],
        biasInitializer: uniform(-1, 1),
      }),
      bp.layers.conv2d({ filters: 2, kernelSize: 1, useBias: false }),
    ]);
  });

  test("stride 2 'same' on 10×9 (asymmetric pads on the even side) and stride 3 'valid' with leftovers", async () => {
    const conv = bp.layers.conv2d({ filters: 5, kernelSize: 3, strides: 2, padding: 'same', inputShape: [10, 9, 2] });
    const m = model([conv, bp.layers.conv2d({ filters: 3, kernelSize: [2, 3], strides: 3, activation: 'tanh' })]);
    const node = decodeModel(onnxModelBytes(m)).graph.node.find((n) => n.opType === 'Conv')!;
    // TF 'same': height 10 needs 1 row (0 before, 1 after); width 9 needs 2 columns (1 each side).
    expect(node.attribute.find((a) => a.name === 'pads')!.ints).toEqual([0, 1, 1, 1]);
    await expectOnnxMatchesPredict(m, checker, { label: 'Conv2D' });
  });

  test("even kernels 'same' ([2, 4], strides [1, 2]), 1×1 stride 2 'same', softmax over channels", async () => {
    await check('Conv2D', [
      bp.layers.conv2d({ filters: 3, kernelSize: [2, 4], strides: [1, 2], padding: 'same', inputShape: [6, 11, 2] }),
      bp.layers.conv2d({ filters: 4, kernelSize: 1, strides: 2, padding: 'same', activation: 'softmax' }),
    ]);
  });

  test("dilation 2 'same' and dilation [2, 3] 'valid' (gelu, elu)", async () => {
    await check('Conv2D', [
      bp.layers.conv2d({
        filters: 4,
        kernelSize: 3,
        dilationRate: 2,
        padding: 'same',
        activation: 'gelu',
        inputShape: [9, 10, 3],
      }),
      bp.layers.conv2d({ filters: 3, kernelSize: [3, 2], dilationRate: [2, 3], activation: 'elu' }),
    ]);
  });
});

describe('Conv1D', () => {
  test("'valid' stride 1 and 'same' stride 2 on an odd length", async () => {
    await check('Conv1D', [
      bp.layers.conv1d({
        filters: 5,
        kernelSize: 3,
        activation: 'relu',
        inputShape: [13, 4],
        biasInitializer: uniform(-1, 1),
      }),
      bp.layers.conv1d({ filters: 3, kernelSize: 4, strides: 2, padding: 'same', activation: 'sigmoid' }),
    ]);
  });

  test("'causal' with dilation 2, 'causal' stride 2, 'same' dilation 3 without bias", async () => {
    await check('Conv1D', [
      bp.layers.conv1d({ filters: 4, kernelSize: 3, dilationRate: 2, padding: 'causal', inputShape: [12, 3] }),
      bp.layers.conv1d({ filters: 4, kernelSize: 2, strides: 2, padding: 'causal', activation: 'swish' }),
      bp.layers.conv1d({ filters: 2, kernelSize: 2, dilationRate: 3, padding: 'same', useBias: false }),
    ]);
  });
});

describe('DepthwiseConv2D', () => {
  test("3×3 'same' (multiplier 1) and [3, 2] stride 2 'valid' (multiplier 2)", async () => {
    await check('DepthwiseConv2D', [
      bp.layers.depthwiseConv2d({
        kernelSize: 3,
        padding: 'same',
        inputShape: [8, 7, 3],
        biasInitializer: uniform(-1, 1),
      }),
      bp.layers.depthwiseConv2d({ kernelSize: [3, 2], depthMultiplier: 2, strides: 2, activation: 'relu' }),
    ]);
  });

  test("dilation 2 'same', multiplier 3, stride 2 'same' on odd sizes", async () => {
    await check('DepthwiseConv2D', [
      bp.layers.depthwiseConv2d({
        kernelSize: 3,
        dilationRate: 2,
        depthMultiplier: 3,
        padding: 'same',
        inputShape: [9, 8, 2],
      }),
      bp.layers.depthwiseConv2d({ kernelSize: 2, strides: 2, padding: 'same', useBias: false, activation: 'tanh' }),
    ]);
  });
});

describe.each([
  ['MaxPooling2D', bp.layers.maxPooling2d],
  ['AveragePooling2D', bp.layers.averagePooling2d],
] as const)('%s', (label, pool) => {
  test("default 2×2 'valid' on odd sizes, 3×3 stride 2 'same'", async () => {
    await check(label, [pool({ inputShape: [9, 7, 3] }), pool({ poolSize: 3, strides: 2, padding: 'same' })]);
  });

  test("[2, 3] strides [1, 2] 'same' (asymmetric pads), 3×3 stride 1 'same', window larger than the input", async () => {
    await check(label, [
      pool({ poolSize: [2, 3], strides: [1, 2], padding: 'same', inputShape: [5, 8, 2] }),
      pool({ poolSize: 3, strides: 1, padding: 'same' }),
      pool({ poolSize: [6, 5], padding: 'same' }),
    ]);
  });

  test('after a convolution, no transpose between them', async () => {
    const m = model([
      bp.layers.conv2d({ filters: 3, kernelSize: 2, padding: 'same', inputShape: [6, 6, 2] }),
      pool({ poolSize: 3, strides: 2, padding: 'same' }),
    ]);
    expect(opTypes(m)).toEqual([
      'Transpose',
      'Conv',
      label === 'MaxPooling2D' ? 'MaxPool' : 'AveragePool',
      'Transpose',
    ]);
    await expectOnnxMatchesPredict(m, checker, { label });
  });
});

describe.each([
  ['MaxPooling1D', bp.layers.maxPooling1d],
  ['AveragePooling1D', bp.layers.averagePooling1d],
] as const)('%s', (label, pool) => {
  test("default 2 'valid' on an odd length, 3 stride 2 'same', 4 stride 1 'same' (pads 1 and 2)", async () => {
    await check(label, [
      pool({ inputShape: [15, 3] }),
      pool({ poolSize: 3, strides: 2, padding: 'same' }),
      pool({ poolSize: 4, strides: 1, padding: 'same' }),
    ]);
  });
});

describe('global pooling', () => {
  test('GlobalAveragePooling2D after a convolution and on the input', async () => {
    await check('GlobalAveragePooling2D', [bp.layers.globalAveragePooling2d({ inputShape: [5, 7, 3] })]);
    await check('GlobalAveragePooling2D', [
      bp.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, inputShape: [9, 8, 2] }),
      bp.layers.globalAveragePooling2d(),
      bp.layers.dense({ units: 2 }),
    ]);
  });

  test('GlobalMaxPooling2D after a convolution and on the input', async () => {
    await check('GlobalMaxPooling2D', [bp.layers.globalMaxPooling2d({ inputShape: [5, 7, 3] })]);
    await check('GlobalMaxPooling2D', [
      bp.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', inputShape: [6, 5, 2] }),
      bp.layers.globalMaxPooling2d(),
    ]);
  });

  test('GlobalMaxPooling1D after a convolution and on the input', async () => {
    await check('GlobalMaxPooling1D', [bp.layers.globalMaxPooling1d({ inputShape: [9, 4] })]);
    await check('GlobalMaxPooling1D', [
      bp.layers.conv1d({ filters: 3, kernelSize: 3, inputShape: [11, 2] }),
      bp.layers.globalMaxPooling1d(),
    ]);
  });
});

describe('ZeroPadding2D', () => {
  test('on the input (channels-last Pad) and between convolutions (channels-first Pad), asymmetric', async () => {
    const m = model([
      bp.layers.zeroPadding2d({ padding: 1, inputShape: [5, 4, 2] }),
      bp.layers.conv2d({ filters: 3, kernelSize: 3 }),
      bp.layers.zeroPadding2d({
        padding: [
          [1, 2],
          [0, 3],
        ],
      }),
      bp.layers.conv2d({ filters: 2, kernelSize: 2, strides: 2 }),
      bp.layers.zeroPadding2d({ padding: [2, 1] }),
    ]);
    expect(opTypes(m)).toEqual(['Pad', 'Transpose', 'Conv', 'Pad', 'Conv', 'Pad', 'Transpose']);
    await expectOnnxMatchesPredict(m, checker, { label: 'ZeroPadding2D' });
  });
});

describe('BatchNormalization (moving statistics)', () => {
  const stats = {
    gammaInitializer: uniform(0.5, 2),
    betaInitializer: uniform(-1, 1),
    movingMeanInitializer: uniform(-1, 1),
    movingVarianceInitializer: uniform(0.2, 3),
  };

  test('after a convolution, and with center and scale false (epsilon 0.01)', async () => {
    await check('BatchNormalization', [
      bp.layers.conv2d({ filters: 4, kernelSize: 3, inputShape: [6, 7, 2] }),
      bp.layers.batchNormalization(stats),
      bp.layers.activation({ activation: 'relu' }),
      bp.layers.batchNormalization({ ...stats, center: false, scale: false, epsilon: 0.01 }),
    ]);
  });

  test('on sequences [steps, channels] and on feature vectors (center only, scale only)', async () => {
    await check('BatchNormalization', [
      bp.layers.batchNormalization({ ...stats, scale: false, inputShape: [5, 3] }),
      bp.layers.flatten(),
      bp.layers.dense({ units: 4 }),
      bp.layers.batchNormalization({ ...stats, center: false }),
    ]);
  });
});

describe('SpatialDropout (identity at inference)', () => {
  test('SpatialDropout2D between convolutions adds no node', async () => {
    const m = model([
      bp.layers.conv2d({ filters: 3, kernelSize: 2, inputShape: [5, 5, 2] }),
      bp.layers.spatialDropout2d({ rate: 0.5 }),
      bp.layers.conv2d({ filters: 2, kernelSize: 2 }),
    ]);
    expect(opTypes(m)).toEqual(['Transpose', 'Conv', 'Conv', 'Transpose']);
    await expectOnnxMatchesPredict(m, checker, { label: 'SpatialDropout2D' });
  });

  test('SpatialDropout1D on the input and between 1-D convolutions', async () => {
    await check('SpatialDropout1D', [
      bp.layers.spatialDropout1d({ rate: 0.3, inputShape: [8, 3] }),
      bp.layers.conv1d({ filters: 3, kernelSize: 2 }),
      bp.layers.spatialDropout1d({ rate: 0.3 }),
      bp.layers.conv1d({ filters: 2, kernelSize: 2 }),
    ]);
  });
});
