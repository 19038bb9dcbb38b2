/**
 * A small two-headed U-Net built from every layer real functional models need (issue 21), in backprop and the same
 * in TF.js: Rescaling, Conv2D, a strided SeparableConv2D, ReLU6-style ReLU, Conv2DTranspose and bilinear
 * UpSampling2D back to full size, a skip Concatenate, PReLU with shared axes, Cropping2D, the three noise layers,
 * RepeatVector; a per-pixel head and a class head. Used by the TF.js (test/io) and ONNX (test/onnx) tests.
 */
import * as tf from '@tensorflow/tfjs';
import * as bp from '../../src';

const L = bp.layers;
export const UNET_INPUT = [8, 8, 3];

/** Deterministic initial biases away from 0, so ReLU and PReLU see both signs. */
const bias = () => bp.initializers.randomUniform({ minval: -0.3, maxval: 0.3, seed: 5 });

export function unetOurs(dtype: 'float32' | 'float64' = 'float32', depthMultiplier = 2): bp.LayersModel {
  const x = bp.input({ shape: UNET_INPUT, name: 'image' });
  const r = L.rescaling({ scale: 1 / 2, offset: -0.25 }).apply(x);
  const c1 = L.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(r);
  const noisy = L.gaussianNoise({ stddev: 0.1 }).apply(c1);
  const down = L.separableConv2d({
    filters: 6,
    kernelSize: 3,
    strides: 2,
    padding: 'same',
    depthMultiplier,
    biasInitializer: bias(),
  }).apply(noisy);
  const capped = L.reLU({ maxValue: 0.5 }).apply(down);
  const up1 = L.conv2dTranspose({ filters: 4, kernelSize: 3, strides: 2, padding: 'same' }).apply(capped);
  const up2 = L.upSampling2d({ size: 2, interpolation: 'bilinear' }).apply(capped);
  const cat = L.concatenate().apply([c1, up1, up2]);
  const p = L.pReLU({ sharedAxes: [1, 2], alphaInitializer: bp.initializers.constant({ value: 0.2 }) }).apply(cat);
  const dropped = L.gaussianDropout({ rate: 0.2 }).apply(p);
  const mask = L.conv2d({ filters: 1, kernelSize: 1, activation: 'sigmoid', name: 'mask' }).apply(dropped);
  const crop = L.cropping2d({
    cropping: [
      [1, 2],
      [2, 1],
    ],
  }).apply(dropped);
  const pooled = L.globalAveragePooling2d().apply(crop);
  const seq = L.repeatVector({ n: 3 }).apply(L.alphaDropout({ rate: 0.1 }).apply(pooled));
  const cls = L.dense({ units: 3, activation: 'softmax', name: 'cls' }).apply(L.flatten().apply(seq));
  return bp.model({ inputs: x, outputs: [mask, cls], seed: 7, dtype });
}

/**
 * The same in TF.js. TF.js 4's SeparableConv2D.getConfig leaves out depthMultiplier, so a file TF.js saves with a
 * multiplier above 1 cannot be loaded again (by TF.js or backprop: the kernels in the file do not match the
 * config); the TF.js-built direction uses 1.
 */
export function unetTfjs(depthMultiplier = 1): tf.LayersModel {
  const T = tf.layers;
  const sym = (t: tf.SymbolicTensor | tf.SymbolicTensor[] | tf.Tensor | tf.Tensor[]) => t as tf.SymbolicTensor;
  const x = tf.input({ shape: UNET_INPUT, name: 'image' });
  const r = sym(T.rescaling({ scale: 1 / 2, offset: -0.25 }).apply(x));
  const c1 = sym(T.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(r));
  const noisy = sym(T.gaussianNoise({ stddev: 0.1 }).apply(c1));
  const down = sym(
    T.separableConv2d({
      filters: 6,
      kernelSize: 3,
      strides: 2,
      padding: 'same',
      depthMultiplier,
      biasInitializer: tf.initializers.randomUniform({ minval: -0.3, maxval: 0.3, seed: 5 }),
    }).apply(noisy),
  );
  const capped = sym(T.reLU({ maxValue: 0.5 }).apply(down));
  const up1 = sym(T.conv2dTranspose({ filters: 4, kernelSize: 3, strides: 2, padding: 'same' }).apply(capped));
  const up2 = sym(T.upSampling2d({ size: [2, 2], interpolation: 'bilinear' }).apply(capped));
  const cat = sym(T.concatenate().apply([c1, up1, up2]));
  const p = sym(T.prelu({ sharedAxes: [1, 2], alphaInitializer: tf.initializers.constant({ value: 0.2 }) }).apply(cat));
  const dropped = sym(T.gaussianDropout({ rate: 0.2 }).apply(p));
  const mask = sym(T.conv2d({ filters: 1, kernelSize: 1, activation: 'sigmoid', name: 'mask' }).apply(dropped));
  const crop = sym(
    T.cropping2D({
      cropping: [
        [1, 2],
        [2, 1],
      ],
    }).apply(dropped),
  );
  const pooled = sym(T.globalAveragePooling2d({}).apply(crop));
  const seq = sym(T.repeatVector({ n: 3 }).apply(sym(T.alphaDropout({ rate: 0.1 }).apply(pooled))));
  const cls = sym(T.dense({ units: 3, activation: 'softmax', name: 'cls' }).apply(sym(T.flatten().apply(seq))));
  return tf.model({ inputs: x, outputs: [mask, cls] });
}
