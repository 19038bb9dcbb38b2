/**
 * model.json as the TF.js converter writes it today from Keras 3 (tensorflowjs 4.22 `save_keras_model`, which
 * saves Keras 3's legacy .h5 and copies its config): a separate InputLayer with `batch_shape`, `dtype` as a
 * DTypePolicy object, initializers and regularizers as `{ module, class_name, config, registered_name }`,
 * Keras 3 layer options (`quantization_config`, LeakyReLU's `negative_slope`), the `sequential/` prefix on
 * weight names, and `keras_version` 3.x. The files are built by hand following that output.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as bp from '../../src';

type Json = Record<string, unknown>;
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'bp-keras3-'));

const policy = (name = 'float32'): Json => ({
  module: 'keras',
  class_name: 'DTypePolicy',
  config: { name },
  registered_name: null,
});
const kerasObject = (module: string, className: string, config: Json = {}): Json => ({
  module,
  class_name: className,
  config,
  registered_name: null,
});

function denseConfig(name: string, units: number, activation: string, extra: Json = {}): Json {
  return {
    class_name: 'Dense',
    config: {
      name,
      trainable: true,
      dtype: policy(),
      units,
      activation,
      use_bias: true,
      kernel_initializer: kerasObject('keras.initializers', 'GlorotUniform', { seed: null }),
      bias_initializer: kerasObject('keras.initializers', 'Zeros'),
      kernel_regularizer: kerasObject('keras.regularizers', 'L2', { l2: 0.01 }),
      bias_regularizer: null,
      kernel_constraint: null,
      bias_constraint: null,
      quantization_config: null,
      ...extra,
    },
  };
}

const inputLayer = (shape: number[], extra: Json = {}): Json => ({
  class_name: 'InputLayer',
  config: {
    batch_shape: [null, ...shape],
    dtype: 'float32',
    sparse: false,
    ragged: false,
    name: 'input_layer',
    optional: false,
    ...extra,
  },
});

/** The converter's model.json around `layers`, with its weights manifest (names prefixed by the model name). */
function keras3ModelJson(layers: Json[], weights: { name: string; shape: number[] }[], prefix = 'sequential/'): Json {
  return {
    format: 'layers-model',
    generatedBy: 'keras v3.10.0',
    convertedBy: 'TensorFlow.js Converter v4.22.0',
    modelTopology: {
      keras_version: '3.10.0',
      backend: 'tensorflow',
      model_config: {
        class_name: 'Sequential',
        config: { name: 'sequential', trainable: true, dtype: policy(), layers, build_input_shape: [null, 4] },
      },
      training_config: {
        loss: 'categorical_crossentropy',
        loss_weights: null,
        metrics: ['accuracy'],
        weighted_metrics: null,
        run_eagerly: false,
        steps_per_execution: 1,
        jit_compile: false,
        optimizer_config: { class_name: 'Adam', config: { name: 'adam', learning_rate: 0.001 } },
      },
    },
    weightsManifest: [
      {
        paths: ['group1-shard1of1.bin'],
        weights: weights.map((w) => ({ name: `${prefix}${w.name}`, shape: w.shape, dtype: 'float32' })),
      },
    ],
  };
}

const MLP_WEIGHTS = [
  { name: 'dense/kernel', shape: [4, 3] },
  { name: 'dense/bias', shape: [3] },
  { name: 'dense_1/kernel', shape: [3, 2] },
  { name: 'dense_1/bias', shape: [2] },
];

function mlpLayers(): Json[] {
  return [
    inputLayer([4]),
    denseConfig('dense', 3, 'relu'),
    {
      class_name: 'Dropout',
      config: { name: 'dropout', trainable: true, dtype: policy(), rate: 0.2, seed: null, noise_shape: null },
    },
    denseConfig('dense_1', 2, 'softmax'),
  ];
}

/** Writes model.json and a weights file whose values are 0.01·i (i counting across all weights). */
function writeModel(json: Json, weights: { shape: number[] }[]): { dir: string; values: Float32Array } {
  const dir = tmp();
  const n = weights.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1), 0);
  const values = Float32Array.from({ length: n }, (_, i) => ((i % 17) - 8) * 0.05);
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
  fs.writeFileSync(path.join(dir, 'group1-shard1of1.bin'), Buffer.from(values.buffer));
  return { dir, values };
}

async function loadError(dir: string): Promise<Error> {
  const err = await bp.loadLayersModel(dir).then(
    () => undefined,
    (e: Error) => e,
  );
  if (!err) throw new Error('loaded');
  return err;
}

describe('the converter’s Keras 3 output loads', () => {
  test('an MLP: InputLayer + batch_shape, policies, nested initializers/regularizers, prefixed weight names', async () => {
    const { dir, values } = writeModel(keras3ModelJson(mlpLayers(), MLP_WEIGHTS), MLP_WEIGHTS);
    const model = await bp.loadLayersModel(dir);
    expect(model.name).toBe('sequential');
    expect(model.inputShape).toEqual([4]);
    expect(model.layers.map((l) => [l.className, l.name])).toEqual([
      ['Dense', 'dense'],
      ['Dropout', 'dropout'],
      ['Dense', 'dense_1'],
    ]);
    const dense = model.layers[0] as unknown as {
      kernelRegularizer?: { l2: number };
      kernelInitializer: { className: string };
    };
    expect(dense.kernelRegularizer?.l2).toBeCloseTo(0.01, 12);
    expect(dense.kernelInitializer.className).toBe('GlorotUniform');
    const weights = model.getWeights();
    expect(weights.map((w) => w.name)).toEqual(MLP_WEIGHTS.map((w) => w.name));
    expect(Array.from(weights.flatMap((w) => Array.from(w.data)))).toEqual(Array.from(values));

    // The same weights set by hand into an equal model give the same predictions.
    const same = bp.sequential({
      layers: [
        bp.layers.dense({ units: 3, activation: 'relu', inputShape: [4] }),
        bp.layers.dense({ units: 2, activation: 'softmax' }),
      ],
    });
    same.setWeights(weights.map((w) => w.data));
    const x = bp.tensor([0.5, -1, 2, 0.25, 1, 1, -1, 0], [2, 4]);
    expect(Array.from(model.predict(x).data)).toEqual(Array.from(same.predict(x).data));
  });

  test('weight names without the model prefix (earlier Keras 3) load too', async () => {
    const { dir } = writeModel(keras3ModelJson(mlpLayers(), MLP_WEIGHTS, ''), MLP_WEIGHTS);
    expect((await bp.loadLayersModel(dir)).getWeights().map((w) => w.name)).toEqual(MLP_WEIGHTS.map((w) => w.name));
  });

  test('Keras 3 activation layers: LeakyReLU negative_slope, ReLU negative_slope, ELU, Softmax axis -1', async () => {
    const layers = [
      inputLayer([4]),
      {
        class_name: 'LeakyReLU',
        config: { name: 'leaky_re_lu', trainable: true, dtype: policy(), negative_slope: 0.1 },
      },
      {
        class_name: 'ReLU',
        config: {
          name: 're_lu',
          trainable: true,
          dtype: policy(),
          max_value: null,
          negative_slope: 0.5,
          threshold: 0.0,
        },
      },
      { class_name: 'ELU', config: { name: 'elu', trainable: true, dtype: policy() } },
      { class_name: 'Softmax', config: { name: 'softmax', trainable: true, dtype: policy(), axis: -1 } },
    ];
    const { dir } = writeModel(keras3ModelJson(layers, []), []);
    const model = await bp.loadLayersModel(dir);
    const x = [-2, -0.5, 0.5, 2];
    const leaky = x.map((v) => (v < 0 ? 0.1 * v : v)).map((v) => (v < 0 ? 0.5 * v : v));
    const elu = leaky.map((v) => (v > 0 ? v : Math.expm1(v)));
    const e = elu.map((v) => Math.exp(v));
    const sum = e.reduce((a, b) => a + b, 0);
    const got = Array.from(model.predict(bp.tensor(x, [1, 4])).data);
    got.forEach((v, i) => expect(v).toBeCloseTo(e[i] / sum, 6));
  });

  test('the Flatten / Reshape / Permute configs Keras 3 writes', async () => {
    const layers = [
      inputLayer([2, 3]),
      { class_name: 'Permute', config: { name: 'permute', trainable: true, dtype: policy(), dims: [2, 1] } },
      { class_name: 'Reshape', config: { name: 'reshape', trainable: true, dtype: policy(), target_shape: [6, 1] } },
      {
        class_name: 'Flatten',
        config: { name: 'flatten', trainable: true, dtype: policy(), data_format: 'channels_last' },
      },
    ];
    const { dir } = writeModel(keras3ModelJson(layers, []), []);
    const model = await bp.loadLayersModel(dir);
    expect(Array.from(model.predict(bp.tensor([1, 2, 3, 4, 5, 6], [1, 2, 3])).data)).toEqual([1, 4, 2, 5, 3, 6]);
  });

  test('mixed-precision policies load (computed in the model’s float32)', async () => {
    const layers = mlpLayers().map((l, i) =>
      i === 0 ? l : { ...l, config: { ...(l.config as Json), dtype: policy('mixed_float16') } },
    );
    const { dir } = writeModel(keras3ModelJson(layers, MLP_WEIGHTS), MLP_WEIGHTS);
    expect((await bp.loadLayersModel(dir)).dtype).toBe('float32');
  });
});

describe('what Keras 3 files can say that backprop cannot do is refused, naming it', () => {
  const withLayer = (change: (layers: Json[]) => void) => {
    const layers = JSON.parse(JSON.stringify(mlpLayers())) as Json[];
    change(layers);
    return writeModel(keras3ModelJson(layers, MLP_WEIGHTS), MLP_WEIGHTS).dir;
  };
  const denseAt = (layers: Json[]) => layers[1].config as Json;

  test.each([
    [
      "Keras 3's hard_sigmoid (x/6 + 0.5, not TF.js's 0.2x + 0.5)",
      (l: Json[]) => (denseAt(l).activation = 'hard_sigmoid'),
      /layers\[1\]\.config\.activation: Keras 3's hard_sigmoid is relu6\(x \+ 3\) \/ 6/,
    ],
    [
      "Keras 3's leaky_relu activation (slope 0.2)",
      (l: Json[]) => (denseAt(l).activation = 'leaky_relu'),
      /activation: Keras 3's leaky_relu activation has slope 0\.2/,
    ],
    [
      'a quantized layer',
      (l: Json[]) =>
        (denseAt(l).quantization_config = {
          module: 'keras.quantizers',
          class_name: 'Int8QuantizationConfig',
          config: {},
          registered_name: null,
        }),
      /quantizationConfig: is not supported by backprop/,
    ],
    ['a LoRA layer', (l: Json[]) => (denseAt(l).lora_rank = 4), /loraRank: is not supported by backprop/],
    [
      'a quantized dtype policy',
      (l: Json[]) =>
        (denseAt(l).dtype = {
          module: 'keras',
          class_name: 'QuantizedDTypePolicy',
          config: { name: 'int8_from_float32', source_name: 'float32' },
          registered_name: null,
        }),
      /dtype: 'QuantizedDTypePolicy' is not supported/,
    ],
    ['an unknown dtype name', (l: Json[]) => (denseAt(l).dtype = policy('int8')), /dtype: expected one of 'float32'/],
    [
      'a custom (registered) initializer',
      (l: Json[]) =>
        (denseAt(l).kernel_initializer = {
          module: 'my_models',
          class_name: 'GlorotUniform',
          config: {},
          registered_name: 'Custom>GlorotUniform',
        }),
      /kernelInitializer: custom object 'Custom>GlorotUniform' \(module 'my_models'\) is not supported/,
    ],
    [
      'a custom regularizer',
      (l: Json[]) =>
        (denseAt(l).kernel_regularizer = {
          module: 'my_models',
          class_name: 'L2',
          config: { l2: 1 },
          registered_name: 'Custom>L2',
        }),
      /kernelRegularizer: custom object 'Custom>L2'/,
    ],
    [
      'a sparse input',
      (l: Json[]) => ((l[0].config as Json).sparse = true),
      /layers\[0\]\.config\.sparse: only dense inputs/,
    ],
    [
      'a ragged input',
      (l: Json[]) => ((l[0].config as Json).ragged = true),
      /layers\[0\]\.config\.ragged: only dense inputs/,
    ],
    [
      'an optional input',
      (l: Json[]) => ((l[0].config as Json).optional = true),
      /layers\[0\]\.config\.optional: only dense inputs/,
    ],
    [
      'a ReLU with a negative threshold',
      (l: Json[]) =>
        l.splice(2, 0, {
          class_name: 'ReLU',
          config: { name: 'r', max_value: null, negative_slope: 0, threshold: -0.5 },
        }),
      /threshold: must be >= 0/,
    ],
  ])('%s', async (_what, change, message) => {
    const err = await loadError(withLayer(change as (l: Json[]) => void));
    expect(err.name).toBe('ModelFormatError');
    expect(err.message).toMatch(message);
  });

  test("Keras 2 files keep TF.js's hard_sigmoid", async () => {
    const json = keras3ModelJson(mlpLayers(), MLP_WEIGHTS) as { modelTopology: Json };
    json.modelTopology.keras_version = '2.15.0';
    ((json.modelTopology.model_config as Json).config as { layers: Json[] }).layers[1].config = {
      ...(denseConfig('dense', 3, 'hard_sigmoid').config as Json),
    };
    const { dir } = writeModel(json, MLP_WEIGHTS);
    expect(((await bp.loadLayersModel(dir)).layers[0] as unknown as { activation: string }).activation).toBe(
      'hardSigmoid',
    );
  });
});

test('a Sequential without InputLayer or batch_shape takes its input shape from build_input_shape', async () => {
  const layers = mlpLayers().slice(1);
  const { dir } = writeModel(keras3ModelJson(layers, MLP_WEIGHTS), MLP_WEIGHTS);
  expect((await bp.loadLayersModel(dir)).inputShape).toEqual([4]);
});
