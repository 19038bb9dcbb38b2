/**
 * TF.js (pure-JS "cpu" backend) training throughput on the same MLP, in this process, when
 * `@tensorflow/tfjs` is installed (a dev dependency; the bench reports "n/a" without it).
 */
import type { MlpSpec } from './mlp-bench';

export async function tfjsCpuSamplesPerSecond(spec: MlpSpec, steps: number): Promise<number | null> {
  let tf: typeof import('@tensorflow/tfjs');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    tf = require('@tensorflow/tfjs');
  } catch {
    return null;
  }
  await tf.setBackend('cpu');
  await tf.ready();
  const { sizes, batch } = spec;
  const model = tf.sequential();
  for (let i = 1; i < sizes.length; i++) {
    model.add(
      tf.layers.dense({
        units: sizes[i],
        inputShape: i === 1 ? [sizes[0]] : undefined,
        activation: i < sizes.length - 1 ? 'relu' : 'linear',
      }),
    );
  }
  const opt = spec.optimizer === 'adam' ? tf.train.adam(1e-3) : tf.train.sgd(0.01);
  const out = sizes[sizes.length - 1];
  const x = tf.randomUniform([batch, sizes[0]]);
  const y = tf.oneHot(tf.randomUniform([batch], 0, out, 'int32') as import('@tensorflow/tfjs').Tensor1D, out).toFloat();
  const step = () =>
    opt.minimize(
      () =>
        tf.losses.softmaxCrossEntropy(
          y,
          model.apply(x) as import('@tensorflow/tfjs').Tensor,
        ) as import('@tensorflow/tfjs').Scalar,
      false,
    );
  for (let i = 0; i < 3; i++) step();
  const t = performance.now();
  for (let i = 0; i < steps; i++) step();
  await model.getWeights()[0].data();
  const dt = (performance.now() - t) / 1000;
  model.dispose();
  return (steps * batch) / dt;
}
