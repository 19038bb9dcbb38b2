/**
 * @jest-environment ./test/onnx/ort-environment.js
 */
/**
 * The layers real functional models need, exported to ONNX (several configurations each): the file passes ONNX's
 * checker, and ONNX Runtime's outputs equal model.predict (every backend) within 1e-5 at batch 1 and 33.
 */
import * as bp from '../../src';
import type { Layer } from '../../src/layers/layer';
import { decodeModel } from '../../src/onnx/proto';
import { onnxModelBytes } from '../../src/onnx/export';
import { expectGraphOnnxMatchesPredict, expectOnnxMatchesPredict, OnnxChecker, writeParityTable } from './support';
import { unetOurs } from '../support/graph-layers-unet';

const checker = new OnnxChecker();
afterAll(() => {
  checker.close();
  writeParityTable();
});

const uniform = (minval: number, maxval: number) => bp.initializers.randomUniform({ minval, maxval });
const model = (layers: Layer[]) => bp.sequential({ seed: 13, layers });
const check = (label: string, layers: Layer[], scale?: number) =>
  expectOnnxMatchesPredict(model(layers), checker, { label, scale });
const opTypes = (m: bp.Sequential) => decodeModel(onnxModelBytes(m)).graph.node.map((n) => n.opType);

describe('ReLU', () => {
  test('plain, ReLU6 (Clip), a leaky slope, and slope with threshold and maximum (Where)', async () => {
    const m = model([
      bp.layers.reLU({ inputShape: [3, 5] }),
      bp.layers.dense({ units: 6, biasInitializer: uniform(-2, 2) }),
      bp.layers.reLU({ maxValue: 0.5 }),
      bp.layers.dense({ units: 6, biasInitializer: uniform(-2, 2) }),
      bp.layers.reLU({ negativeSlope: 0.2 }),
      bp.layers.reLU({ negativeSlope: 0.3, threshold: 0.1, maxValue: 0.7 }),
      bp.layers.reLU({ threshold: 0.2 }),
    ]);
    expect(opTypes(m).filter((op) => ['Relu', 'Clip', 'LeakyRelu', 'Where'].includes(op))).toEqual([
      'Relu',
      'Clip',
      'LeakyRelu',
      'Where',
      'Where',
    ]);
    await expectOnnxMatchesPredict(m, checker, { label: 'ReLU (maxValue, negativeSlope, threshold)' });
  });
});

describe('Conv2DTranspose', () => {
  test("stride 2 'same' and 'valid', stride 3 with a kernel smaller than the stride, stride 1 (ConvTranspose)", async () => {
    await check('Conv2DTranspose', [
      bp.layers.conv2dTranspose({
        filters: 4,
        kernelSize: 3,
        strides: 2,
        padding: 'same',
        activation: 'relu',
        inputShape: [4, 5, 3],
        biasInitializer: uniform(-1, 1),
      }),
      bp.layers.conv2dTranspose({ filters: 3, kernelSize: 4, strides: 2, activation: 'tanh' }),
      bp.layers.conv2dTranspose({ filters: 2, kernelSize: 2, strides: 3, padding: 'same', useBias: false }),
      bp.layers.conv2dTranspose({ filters: 2, kernelSize: [3, 2], strides: [1, 2], biasInitializer: uniform(-1, 1) }),
    ]);
  });

  test("kernel 1 stride 2 'valid' (output padding) and 'same' with an even kernel, softmax over channels", async () => {
    await check('Conv2DTranspose', [
      bp.layers.conv2dTranspose({ filters: 3, kernelSize: 1, strides: 2, inputShape: [3, 4, 2] }),
      bp.layers.conv2dTranspose({ filters: 4, kernelSize: 4, strides: 2, padding: 'same', activation: 'softmax' }),
    ]);
  });
});

describe('SeparableConv2D', () => {
  test("multiplier 2 stride 2 'same', dilation 2 'valid', no bias (two Convs)", async () => {
    const m = model([
      bp.layers.separableConv2d({
        filters: 5,
        kernelSize: 3,
        depthMultiplier: 2,
        strides: 2,
        padding: 'same',
        activation: 'relu',
        inputShape: [9, 8, 3],
        biasInitializer: uniform(-1, 1),
      }),
      bp.layers.separableConv2d({ filters: 3, kernelSize: 2, dilationRate: 2, useBias: false, activation: 'selu' }),
    ]);
    expect(opTypes(m).filter((op) => op === 'Conv')).toHaveLength(4);
    await expectOnnxMatchesPredict(m, checker, { label: 'SeparableConv2D' });
  });
});

describe('UpSampling2D', () => {
  test("'nearest' [2, 3] and 'bilinear' 2 and [3, 1] between convolutions (Resize)", async () => {
    await check('UpSampling2D (nearest, bilinear)', [
      bp.layers.conv2d({ filters: 3, kernelSize: 2, inputShape: [5, 4, 2] }),
      bp.layers.upSampling2d({ size: [2, 3] }),
      bp.layers.upSampling2d({ interpolation: 'bilinear' }),
      bp.layers.conv2d({ filters: 2, kernelSize: 3 }),
      bp.layers.upSampling2d({ size: [3, 1], interpolation: 'bilinear' }),
    ]);
  });

  test('on the model input (channels last in, channels last out)', async () => {
    await check('UpSampling2D (nearest, bilinear)', [
      bp.layers.upSampling2d({ size: 3, interpolation: 'bilinear', inputShape: [3, 4, 2] }),
    ]);
  });
});

describe('Cropping2D, RepeatVector, PReLU, Rescaling, and the noise layers', () => {
  test('Cropping2D on the input and between convolutions (Slice in either layout)', async () => {
    await check('Cropping2D', [
      bp.layers.cropping2d({
        cropping: [
          [1, 2],
          [0, 1],
        ],
        inputShape: [8, 7, 2],
      }),
      bp.layers.conv2d({ filters: 3, kernelSize: 2 }),
      bp.layers.cropping2d({ cropping: 1 }),
      bp.layers.conv2d({ filters: 2, kernelSize: 2 }),
    ]);
  });

  test('RepeatVector before a recurrent layer (Unsqueeze + Tile)', async () => {
    await check('RepeatVector', [
      bp.layers.dense({ units: 3, inputShape: [4], biasInitializer: uniform(-1, 1) }),
      bp.layers.repeatVector({ n: 5 }),
      bp.layers.simpleRNN({ units: 2, returnSequences: true }),
    ]);
  });

  test('PReLU per value, and shared over the image axes after a convolution (PRelu)', async () => {
    await check('PReLU', [
      bp.layers.conv2d({ filters: 3, kernelSize: 2, inputShape: [5, 4, 2], biasInitializer: uniform(-1, 1) }),
      bp.layers.pReLU({ sharedAxes: [1, 2], alphaInitializer: uniform(0.05, 0.5) }),
      bp.layers.conv2d({ filters: 2, kernelSize: 2 }),
      bp.layers.flatten(),
      bp.layers.pReLU({ alphaInitializer: uniform(0.05, 0.5) }),
    ]);
  });

  test('Rescaling, and GaussianNoise, GaussianDropout, AlphaDropout (no node at inference)', async () => {
    const layers = [
      bp.layers.rescaling({ scale: 1 / 3, offset: -0.5, inputShape: [4, 3, 2] }),
      bp.layers.gaussianNoise({ stddev: 0.5 }),
      bp.layers.conv2d({ filters: 3, kernelSize: 2 }),
      bp.layers.gaussianDropout({ rate: 0.3 }),
      bp.layers.rescaling({ scale: 2 }),
      bp.layers.alphaDropout({ rate: 0.2 }),
    ];
    const m = model(layers);
    expect(opTypes(m).filter((op) => op === 'Mul' || op === 'Add')).toHaveLength(4);
    await expectOnnxMatchesPredict(m, checker, { label: 'Rescaling, GaussianNoise, GaussianDropout, AlphaDropout' });
  });
});

describe('opsets', () => {
  test.each([13, 21])('every graph-model layer at opset %i', async (opset) => {
    const m = model([
      bp.layers.rescaling({ scale: 0.5, inputShape: [5, 4, 2] }),
      bp.layers.conv2dTranspose({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
      bp.layers.cropping2d({ cropping: 1 }),
      bp.layers.separableConv2d({ filters: 4, kernelSize: 3, depthMultiplier: 2, padding: 'same' }),
      bp.layers.pReLU({ sharedAxes: [1, 2], alphaInitializer: uniform(0.05, 0.5) }),
      bp.layers.upSampling2d({ interpolation: 'bilinear' }),
      bp.layers.reLU({ maxValue: 1, negativeSlope: 0.1, threshold: 0.05 }),
      bp.layers.gaussianNoise({ stddev: 0.1 }),
      bp.layers.alphaDropout({ rate: 0.1 }),
      bp.layers.gaussianDropout({ rate: 0.1 }),
      bp.layers.flatten(),
      bp.layers.repeatVector({ n: 2 }),
    ]);
    await expectOnnxMatchesPredict(m, checker, { opset });
  });
});

describe('in a functional model', () => {
  test('a two-headed U-Net of these layers with a skip concatenation (channels-first runs between them)', async () => {
    await expectGraphOnnxMatchesPredict(unetOurs(), checker, { label: 'graph: U-Net of the graph-model layers' });
  });
});
