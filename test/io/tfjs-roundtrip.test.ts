/**
 * The TF.js round trip: a model trained and saved by backprop loads in TF.js (through tf.io.fromMemory)
 * and predicts the same; a model built and saved by TF.js loads in backprop and predicts the same.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { BACKENDS, bp, onBackend } from '../model/support';
import { loadInTfjs, saveFromTfjs } from '../support/layer-checks';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'bp-io-'));

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe.each(BACKENDS)('TF.js round trip (%s backend)', (name) => {
  onBackend(name);
  const rng = new bp.Rng(4);
  const x = Array.from({ length: 20 }, () => [0, 1, 2, 3, 4].map(() => rng.uniform(-2, 2)));

  const hiddenActivations = [
    'relu',
    'tanh',
    'sigmoid',
    'elu',
    'selu',
    'softplus',
    'softsign',
    'hardSigmoid',
    'swish',
    'gelu',
    'leakyRelu',
    'linear',
  ];
  test.each(hiddenActivations)(
    'backprop → TF.js: trained model with %s hidden units predicts the same',
    async (act) => {
      const model = bp.sequential({
        seed: 5,
        layers: [
          bp.layers.dense({ units: 7, activation: act, inputShape: [5] }),
          bp.layers.dropout({ rate: 0.1 }),
          bp.layers.dense({ units: 6, activation: 'tanh', kernelRegularizer: bp.regularizers.l2({ l2: 1e-3 }) }),
          bp.layers.dense({ units: 3, activation: 'softmax' }),
        ],
      });
      model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
      await model.fit(
        x,
        x.map((r) => (r[0] > 0 ? 0 : r[1] > 0 ? 1 : 2)),
        { epochs: 3, batchSize: 5, verbose: 0 },
      );
      const dir = tmp();
      await model.save(dir);
      const tfModel = await loadInTfjs(dir);
      const theirs = (tfModel.predict(tf.tensor2d(x)) as tf.Tensor).dataSync();
      const ours = model.predict(x).data;
      expect(maxAbsDiff(ours, theirs)).toBeLessThanOrEqual(1e-5);
    },
  );

  test('TF.js → backprop: a model built and saved by TF.js loads and predicts the same', async () => {
    const tfModel = tf.sequential();
    tfModel.add(tf.layers.dense({ units: 8, activation: 'relu', inputShape: [5] }));
    tfModel.add(tf.layers.dropout({ rate: 0.2 }));
    tfModel.add(tf.layers.dense({ units: 6, activation: 'sigmoid', kernelInitializer: 'heNormal' }));
    tfModel.add(tf.layers.dense({ units: 4, useBias: false }));
    tfModel.add(tf.layers.activation({ activation: 'softmax' }));
    const dir = tmp();
    await saveFromTfjs(tfModel, dir);
    const ours = await bp.loadLayersModel(dir);
    expect(ours.layers.map((l) => l.className)).toEqual(['Dense', 'Dropout', 'Dense', 'Dense', 'Activation']);
    const theirs = (tfModel.predict(tf.tensor2d(x)) as tf.Tensor).dataSync();
    expect(maxAbsDiff(ours.predict(x).data, theirs)).toBeLessThanOrEqual(1e-5);
  });

  test('sharded converter-style weights (group1-shard1of2.bin ...) with a model_config wrapper load', async () => {
    const model = bp.sequential({
      seed: 1,
      layers: [bp.layers.dense({ units: 4, activation: 'relu', inputShape: [5] }), bp.layers.dense({ units: 2 })],
    });
    const dir = tmp();
    await model.save(dir);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    const bytes = fs.readFileSync(path.join(dir, json.weightsManifest[0].paths[0]));
    fs.rmSync(path.join(dir, json.weightsManifest[0].paths[0]));
    fs.writeFileSync(path.join(dir, 'group1-shard1of2.bin'), bytes.subarray(0, 50));
    fs.writeFileSync(path.join(dir, 'group1-shard2of2.bin'), bytes.subarray(50));
    json.weightsManifest[0].paths = ['group1-shard1of2.bin', 'group1-shard2of2.bin'];
    json.modelTopology = {
      keras_version: '2.15',
      backend: 'tensorflow',
      model_config: { class_name: 'Sequential', config: json.modelTopology.config.layers },
    };
    delete json.userDefinedMetadata;
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
    const loaded = await bp.loadLayersModel(`file://${dir}`);
    expect(Array.from(loaded.predict(x).data)).toEqual(Array.from(model.predict(x).data));
  });

  test('uint8 and float16 quantized weights are dequantized', async () => {
    const model = bp.sequential({ seed: 1, layers: [bp.layers.dense({ units: 2, inputShape: [2] })] });
    model.setWeights([
      [
        [0.5, -1],
        [0.25, 2],
      ],
      [1, -1],
    ]);
    const dir = tmp();
    await model.save(dir);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    // kernel as uint8 with min -1, scale 0.25: values 0.5,-1,0.25,2 → 6,0,5,12; bias as float16: 1 → 0x3c00, -1 → 0xbc00
    const buf = Buffer.from([6, 0, 5, 12, 0x00, 0x3c, 0x00, 0xbc]);
    json.weightsManifest[0].paths = ['q.bin'];
    json.weightsManifest[0].weights[0].quantization = { dtype: 'uint8', min: -1, scale: 0.25 };
    json.weightsManifest[0].weights[1].quantization = { dtype: 'float16' };
    // as the converter writes it: no checksums (the edited manifest would not match backprop's)
    delete json.userDefinedMetadata.backprop.checksums;
    delete json.userDefinedMetadata.backprop.manifestChecksum;
    fs.writeFileSync(path.join(dir, 'q.bin'), buf);
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
    const loaded = await bp.loadLayersModel(dir);
    expect(loaded.getWeights().map((w) => Array.from(w.data))).toEqual([
      [0.5, -1, 0.25, 2],
      [1, -1],
    ]);
  });

  test('unsupported layers are named in the error', async () => {
    const dir = tmp();
    await bp.sequential({ layers: [bp.layers.dense({ units: 2, inputShape: [2] })] }).save(dir);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    json.modelTopology.config.layers[0].class_name = 'Conv3D';
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
    await expect(bp.loadLayersModel(dir)).rejects.toThrow(
      /unsupported layer 'Conv3D'; supported: Dense, Activation, .*Dropout/,
    );
  });
});
