/**
 * A Keras-style GRU with reset_after: true (Keras' default, which TF.js refuses to load) loads here: a file
 * built by hand the way the TF.js converter writes a Keras model (InputLayer, snake_case config, weights named
 * layer/cell/weight, the [2, 3·units] bias), checked against an independent float64 implementation of the
 * Keras formulas. Our own saves of such a GRU load back bit for bit.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as bp from '../../src';

const T = 5,
  F = 3,
  U = 4,
  C = 2;

function values(seed: number, n: number, scale = 0.5): Float32Array {
  const rng = new bp.Rng(seed);
  return Float32Array.from({ length: n }, () => rng.uniform(-scale, scale));
}

const weights = {
  'gru/gru_cell/kernel': { shape: [F, 3 * U], data: values(1, F * 3 * U) },
  'gru/gru_cell/recurrent_kernel': { shape: [U, 3 * U], data: values(2, U * 3 * U) },
  'gru/gru_cell/bias': { shape: [2, 3 * U], data: values(3, 6 * U, 0.3) },
  'dense/kernel': { shape: [U, C], data: values(4, U * C) },
  'dense/bias': { shape: [C], data: values(5, C, 0.1) },
};

function kerasModelJson(): Record<string, unknown> {
  const init = (className: string, config: Record<string, unknown> = {}) => ({ class_name: className, config });
  return {
    format: 'layers-model',
    generatedBy: 'keras v2.13.1',
    convertedBy: 'TensorFlow.js Converter v4.22.0',
    modelTopology: {
      keras_version: '2.13.1',
      backend: 'tensorflow',
      model_config: {
        class_name: 'Sequential',
        config: {
          name: 'sequential',
          layers: [
            {
              class_name: 'InputLayer',
              config: {
                batch_input_shape: [null, T, F],
                dtype: 'float32',
                sparse: false,
                ragged: false,
                name: 'gru_input',
              },
            },
            {
              class_name: 'GRU',
              config: {
                name: 'gru',
                trainable: true,
                dtype: 'float32',
                return_sequences: false,
                return_state: false,
                go_backwards: false,
                stateful: false,
                unroll: false,
                time_major: false,
                units: U,
                activation: 'tanh',
                recurrent_activation: 'sigmoid',
                use_bias: true,
                kernel_initializer: init('GlorotUniform', { seed: null }),
                recurrent_initializer: init('Orthogonal', { gain: 1.0, seed: null }),
                bias_initializer: init('Zeros'),
                kernel_regularizer: null,
                recurrent_regularizer: null,
                bias_regularizer: null,
                activity_regularizer: null,
                kernel_constraint: null,
                recurrent_constraint: null,
                bias_constraint: null,
                dropout: 0.0,
                recurrent_dropout: 0.0,
                implementation: 2,
                reset_after: true,
              },
            },
            {
              class_name: 'Dense',
              config: {
                name: 'dense',
                trainable: true,
                dtype: 'float32',
                units: C,
                activation: 'softmax',
                use_bias: true,
                kernel_initializer: init('GlorotUniform', { seed: null }),
                bias_initializer: init('Zeros'),
                kernel_regularizer: null,
                bias_regularizer: null,
                activity_regularizer: null,
                kernel_constraint: null,
                bias_constraint: null,
              },
            },
          ],
        },
      },
    },
    weightsManifest: [
      {
        paths: ['group1-shard1of1.bin'],
        weights: Object.entries(weights).map(([name, w]) => ({ name, shape: w.shape, dtype: 'float32' })),
      },
    ],
  };
}

function writeKerasFiles(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-keras-gru-'));
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(kerasModelJson()));
  const bytes = Buffer.concat(Object.values(weights).map((w) => Buffer.from(w.data.buffer)));
  fs.writeFileSync(path.join(dir, 'group1-shard1of1.bin'), bytes);
  return dir;
}

/** Keras' GRU (reset_after) then a softmax Dense, in plain float64 loops. */
function kerasReference(x: Float32Array, rows: number): Float64Array {
  const W = weights['gru/gru_cell/kernel'].data,
    R = weights['gru/gru_cell/recurrent_kernel'].data,
    B = weights['gru/gru_cell/bias'].data;
  const Wd = weights['dense/kernel'].data,
    bd = weights['dense/bias'].data;
  const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
  const out = new Float64Array(rows * C);
  for (let r = 0; r < rows; r++) {
    let h = new Float64Array(U);
    for (let t = 0; t < T; t++) {
      const xi = (k: number) => x[(r * T + t) * F + k];
      const gx = new Float64Array(3 * U),
        gh = new Float64Array(3 * U);
      for (let j = 0; j < 3 * U; j++) {
        gx[j] = B[j];
        gh[j] = B[3 * U + j];
        for (let k = 0; k < F; k++) gx[j] += xi(k) * W[k * 3 * U + j];
        for (let k = 0; k < U; k++) gh[j] += h[k] * R[k * 3 * U + j];
      }
      const next = new Float64Array(U);
      for (let j = 0; j < U; j++) {
        const z = sigmoid(gx[j] + gh[j]);
        const rg = sigmoid(gx[U + j] + gh[U + j]);
        const hh = Math.tanh(gx[2 * U + j] + rg * gh[2 * U + j]);
        next[j] = z * h[j] + (1 - z) * hh;
      }
      h = next;
    }
    const logits = Array.from({ length: C }, (_, c) => bd[c] + h.reduce((s, v, k) => s + v * Wd[k * C + c], 0));
    const m = Math.max(...logits);
    const e = logits.map((v) => Math.exp(v - m));
    const sum = e.reduce((a, b) => a + b, 0);
    e.forEach((v, c) => (out[r * C + c] = v / sum));
  }
  return out;
}

describe('a Keras GRU with reset_after: true', () => {
  const x = values(9, 6 * T * F, 1);

  test('TF.js refuses the file (the reason this test exists)', async () => {
    const json = kerasModelJson();
    const group = (json.weightsManifest as { weights: unknown[] }[])[0];
    const data = Buffer.concat(Object.values(weights).map((w) => Buffer.from(w.data.buffer)));
    await expect(
      tf.loadLayersModel(
        tf.io.fromMemory({
          modelTopology: json.modelTopology as tf.io.ModelJSON['modelTopology'],
          weightSpecs: group.weights as tf.io.WeightsManifestEntry[],
          weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
        }),
      ),
    ).rejects.toThrow(/reset_after/);
  });

  test.each(['js', 'native'].filter((n) => n === 'js' || bp.nativeBackend().backend))(
    'loads here and predicts what the Keras formulas give (%s)',
    async (name) => {
      bp.setBackend(name as 'js' | 'native');
      try {
        const model = await bp.loadLayersModel(writeKerasFiles());
        expect(model.layers.map((l) => l.className)).toEqual(['GRU', 'Dense']);
        const got = model.predict(bp.tensor(x, [6, T, F])).data;
        const want = kerasReference(x, 6);
        got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(1e-5));
      } finally {
        bp.setBackend('auto');
      }
    },
  );

  test('trains, saves and loads back exactly (also inside Bidirectional)', async () => {
    const model = await bp.loadLayersModel(writeKerasFiles());
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    await model.fit(bp.tensor(x, [6, T, F]), [0, 1, 1, 0, 1, 0], { epochs: 2, verbose: 0 });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-gru-save-'));
    await model.save(dir);
    const again = await bp.loadLayersModel(dir);
    expect(Array.from(again.predict(bp.tensor(x, [6, T, F])).data)).toEqual(
      Array.from(model.predict(bp.tensor(x, [6, T, F])).data),
    );
    const bi = bp.sequential({
      layers: [bp.layers.bidirectional({ layer: bp.layers.gru({ units: 3, resetAfter: true }), inputShape: [T, F] })],
    });
    const dir2 = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-bigru-save-'));
    await bi.save(dir2);
    const bi2 = await bp.loadLayersModel(dir2);
    expect(bi2.getWeights().map((w) => [w.name, w.shape])).toEqual(bi.getWeights().map((w) => [w.name, w.shape]));
    expect(Array.from(bi2.predict(bp.tensor(x, [6, T, F])).data)).toEqual(
      Array.from(bi.predict(bp.tensor(x, [6, T, F])).data),
    );
  });
});
