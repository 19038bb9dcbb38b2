/**
 * The graph-model layers as Keras 3 writes them (through the TF.js converter: snake_case keys, DTypePolicy dtypes,
 * `{ module, class_name, config }` initializers, `seed: null`, `noise_shape: null`, Conv2DTranspose's
 * `output_padding: null` and `dilation_rate`), in a Sequential model.json built by hand: the file loads, its weights
 * land in the right layers and order, and it predicts what the same model built with bp.layers predicts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as bp from '../../src';

type Json = Record<string, unknown>;
const policy: Json = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
const init = (className: string): Json => ({
  module: 'keras.initializers',
  class_name: className,
  config: {},
  registered_name: null,
});
const layer = (className: string, name: string, config: Json): Json => ({
  class_name: className,
  config: { name, trainable: true, dtype: policy, ...config },
});

const LAYERS: Json[] = [
  {
    class_name: 'InputLayer',
    config: { batch_shape: [null, 6, 6, 2], dtype: 'float32', sparse: false, ragged: false, name: 'input_layer' },
  },
  layer('Rescaling', 'rescaling', { scale: 0.5, offset: -0.25 }),
  layer('Conv2DTranspose', 'conv2d_transpose', {
    filters: 3,
    kernel_size: [3, 3],
    strides: [2, 2],
    padding: 'same',
    data_format: 'channels_last',
    dilation_rate: [1, 1],
    output_padding: null,
    activation: 'relu',
    use_bias: true,
    kernel_initializer: init('GlorotUniform'),
    bias_initializer: init('Zeros'),
    kernel_regularizer: null,
    bias_regularizer: null,
    activity_regularizer: null,
    kernel_constraint: null,
    bias_constraint: null,
  }),
  layer('Cropping2D', 'cropping2d', {
    cropping: [
      [1, 1],
      [2, 2],
    ],
    data_format: 'channels_last',
  }),
  layer('SeparableConv2D', 'separable_conv2d', {
    filters: 4,
    kernel_size: [3, 3],
    strides: [1, 1],
    padding: 'valid',
    data_format: 'channels_last',
    dilation_rate: [1, 1],
    depth_multiplier: 2,
    activation: 'linear',
    use_bias: true,
    depthwise_initializer: init('GlorotUniform'),
    pointwise_initializer: init('GlorotUniform'),
    bias_initializer: init('Zeros'),
    depthwise_regularizer: null,
    pointwise_regularizer: null,
    bias_regularizer: null,
    activity_regularizer: null,
    depthwise_constraint: null,
    pointwise_constraint: null,
    bias_constraint: null,
  }),
  layer('PReLU', 'p_re_lu', {
    alpha_initializer: init('Zeros'),
    alpha_regularizer: null,
    alpha_constraint: null,
    shared_axes: [1, 2],
  }),
  layer('UpSampling2D', 'up_sampling2d', { size: [2, 2], data_format: 'channels_last', interpolation: 'bilinear' }),
  layer('ReLU', 're_lu', { max_value: 6.0, negative_slope: 0.0, threshold: 0.0 }),
  layer('GaussianNoise', 'gaussian_noise', { stddev: 0.1, seed: null }),
  layer('GaussianDropout', 'gaussian_dropout', { rate: 0.2, seed: null }),
  layer('AlphaDropout', 'alpha_dropout', { rate: 0.1, noise_shape: null, seed: null }),
  layer('Flatten', 'flatten', { data_format: 'channels_last' }),
  layer('RepeatVector', 'repeat_vector', { n: 2 }),
];

const WEIGHTS = [
  { name: 'conv2d_transpose/kernel', shape: [3, 3, 3, 2] },
  { name: 'conv2d_transpose/bias', shape: [3] },
  { name: 'separable_conv2d/depthwise_kernel', shape: [3, 3, 3, 2] },
  { name: 'separable_conv2d/pointwise_kernel', shape: [1, 1, 6, 4] },
  { name: 'separable_conv2d/bias', shape: [4] },
  { name: 'p_re_lu/alpha', shape: [1, 1, 4] },
];

test('a Keras 3 Sequential of the graph-model layers loads and predicts as the same bp.layers model', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-keras-graph-layers-'));
  const json = {
    format: 'layers-model',
    generatedBy: 'keras v3.10.0',
    convertedBy: 'TensorFlow.js Converter v4.22.0',
    modelTopology: {
      keras_version: '3.10.0',
      backend: 'tensorflow',
      model_config: { class_name: 'Sequential', config: { name: 'sequential', trainable: true, layers: LAYERS } },
    },
    weightsManifest: [
      {
        paths: ['group1-shard1of1.bin'],
        weights: WEIGHTS.map((w) => ({ name: `sequential/${w.name}`, shape: w.shape, dtype: 'float32' })),
      },
    ],
  };
  const sizes = WEIGHTS.map((w) => w.shape.reduce((a, b) => a * b, 1));
  const values = Float32Array.from({ length: sizes.reduce((a, b) => a + b, 0) }, (_, i) => ((i % 13) - 6) * 0.07);
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
  fs.writeFileSync(path.join(dir, 'group1-shard1of1.bin'), Buffer.from(values.buffer));

  const loaded = await bp.loadLayersModel(dir);
  expect(loaded.getWeights().map((w) => [w.name, w.shape])).toEqual(WEIGHTS.map((w) => [w.name, w.shape]));
  const L = bp.layers;
  const same = bp.sequential({
    layers: [
      L.rescaling({ scale: 0.5, offset: -0.25, inputShape: [6, 6, 2] }),
      L.conv2dTranspose({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
      L.cropping2d({
        cropping: [
          [1, 1],
          [2, 2],
        ],
      }),
      L.separableConv2d({ filters: 4, kernelSize: 3, depthMultiplier: 2 }),
      L.pReLU({ sharedAxes: [1, 2] }),
      L.upSampling2d({ interpolation: 'bilinear' }),
      L.reLU({ maxValue: 6 }),
      L.gaussianNoise({ stddev: 0.1 }),
      L.gaussianDropout({ rate: 0.2 }),
      L.alphaDropout({ rate: 0.1 }),
      L.flatten(),
      L.repeatVector({ n: 2 }),
    ],
  });
  let offset = 0;
  same.setWeights(
    sizes.map((n) => {
      offset += n;
      return values.subarray(offset - n, offset);
    }),
  );
  const rng = new bp.Rng(1);
  const x = bp.tensor(
    Array.from({ length: 2 * 72 }, () => rng.uniform(-2, 2)),
    [2, 6, 6, 2],
  );
  expect(loaded.outputShape).toEqual([2, 16 * 12 * 4]);
  expect(Array.from(loaded.predict(x).data)).toEqual(Array.from(same.predict(x).data));
});
