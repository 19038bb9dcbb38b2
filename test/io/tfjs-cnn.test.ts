/**
 * A CNN with every image layer TF.js has in common with backprop (Conv2D, BatchNormalization, MaxPooling2D,
 * ZeroPadding2D, AveragePooling2D, DepthwiseConv2D, GlobalAveragePooling2D, Flatten, Dense), built and trained in
 * TF.js and saved with TF.js's own IO handler, loads here and predicts the same; trained further here and saved,
 * it loads back in TF.js and predicts the same (max abs difference ≤ 1e-5 both ways).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as bp from '../../src';
import { loadInTfjs, randomInput, saveFromTfjs } from '../support/layer-checks';

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('a CNN trained in TF.js loads here with its predictions; trained here, it loads back in TF.js with ours', async () => {
  await tf.setBackend('cpu');
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ inputShape: [12, 12, 1], filters: 6, kernelSize: 3, activation: 'relu' }));
  m.add(tf.layers.batchNormalization({ momentum: 0.8 }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.zeroPadding2d({ padding: 1 }));
  m.add(tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh' }));
  m.add(tf.layers.depthwiseConv2d({ kernelSize: 2, depthMultiplier: 2, padding: 'same' }));
  m.add(tf.layers.averagePooling2d({ poolSize: 2, padding: 'same' }));
  m.add(tf.layers.conv2d({ filters: 4, kernelSize: 1 }));
  m.add(tf.layers.globalAveragePooling2d({}));
  m.add(tf.layers.dense({ units: 3, activation: 'softmax' }));
  m.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
  const x = randomInput([12, 12, 1], 32, 1, 0, 1);
  const labels = Int32Array.from({ length: 32 }, (_, i) => i % 3);
  const tx = tf.tensor(Array.from(x.data), x.shape);
  await m.fit(tx, tf.oneHot(tf.tensor1d(Array.from(labels), 'int32'), 3), { epochs: 2, batchSize: 16, verbose: 0 });

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-tfjs-cnn-'));
  await saveFromTfjs(m, dir);
  const ours = await bp.loadLayersModel(dir);
  expect(ours.layers.map((l) => l.className)).toEqual([
    'Conv2D',
    'BatchNormalization',
    'MaxPooling2D',
    'ZeroPadding2D',
    'Conv2D',
    'DepthwiseConv2D',
    'AveragePooling2D',
    'Conv2D',
    'GlobalAveragePooling2D',
    'Dense',
  ]);
  expect(maxAbsDiff(ours.predict(x).data, (m.predict(tx) as tf.Tensor).dataSync())).toBeLessThanOrEqual(1e-5);

  ours.compile({ optimizer: bp.optimizers.adam({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy' });
  await ours.fit(x, labels, { epochs: 2, batchSize: 8, verbose: 0 });
  const dir2 = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-cnn-tfjs-'));
  await ours.save(dir2);
  const back = await loadInTfjs(dir2);
  expect(maxAbsDiff(ours.predict(x).data, (back.predict(tx) as tf.Tensor).dataSync())).toBeLessThanOrEqual(1e-5);
});
