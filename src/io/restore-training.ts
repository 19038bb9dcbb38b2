/**
 * Restores what `save({ includeOptimizer: true })` wrote beyond the weights: the optimizer (class and
 * config from a closed list, and its state arrays), the loss and metrics, and the training position
 * (epoch, step count, learning rate, RNG state), so fit can resume bit for bit.
 */
import type { Sequential } from '../model/sequential';
import * as optimizers from '../optimizers';
import type { Optimizer } from '../training/contracts';
import type { Obj, Reader } from './safe-json';
import { decodeWeights, type ManifestEntry } from './weights';

const OPTIMIZERS: Record<string, (config: Record<string, unknown>) => Optimizer> = {
  SGD: (c) => optimizers.sgd(c as never),
  Momentum: (c) => optimizers.sgd(c as never),
  RMSProp: (c) => optimizers.rmsprop(c as never),
  Adagrad: (c) => optimizers.adagrad(c as never),
  Adam: (c) => optimizers.adam(c as never),
  AdamW: (c) => optimizers.adamw(c as never),
};
const LOSSES = [
  'meanSquaredError',
  'meanAbsoluteError',
  'huber',
  'binaryCrossentropy',
  'categoricalCrossentropy',
  'sparseCategoricalCrossentropy',
] as const;
const METRICS = ['accuracy', 'acc', 'precision', 'recall', 'mse', 'mae'] as const;

export function restoreTraining(
  model: Sequential,
  r: Reader,
  bp: Obj,
  root: Obj,
  entries: ManifestEntry[],
  buffers: Uint8Array[],
): void {
  if (bp.optimizer === undefined) return;
  const where = 'userDefinedMetadata.backprop';
  const o = r.obj(bp.optimizer, `${where}.optimizer`);
  const cls = r.oneOf(o.className, `${where}.optimizer.className`, Object.keys(OPTIMIZERS));
  const rawConfig = r.obj(o.config ?? {}, `${where}.optimizer.config`);
  const config: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rawConfig)) {
    if (!/^[A-Za-z][A-Za-z0-9]{0,63}$/.test(k)) r.fail(`${where}.optimizer.config`, `bad key '${k}'`);
    if (v !== null && typeof v !== 'number' && typeof v !== 'boolean')
      r.fail(`${where}.optimizer.config.${k}`, `must be a number or boolean`);
    if (v !== null) config[k] = v;
  }
  const loss = r.oneOf(bp.loss, `${where}.loss`, LOSSES);
  const tc = root.trainingConfig === undefined ? {} : r.obj(root.trainingConfig, 'trainingConfig');
  const metrics =
    tc.metrics === undefined || tc.metrics === null
      ? []
      : r
          .arr(tc.metrics, 'trainingConfig.metrics', 16)
          .map((m, i) => r.oneOf(m, `trainingConfig.metrics[${i}]`, METRICS));
  let optimizer: Optimizer;
  try {
    optimizer = OPTIMIZERS[cls](config);
    model.compile({ optimizer, loss, metrics });
  } catch (err) {
    r.fail(`${where}.optimizer`, (err as Error).message);
  }

  const params = model.params();
  const state: { name: string; value: Float32Array | Float64Array }[] = [];
  let iterations = 0;
  entries.forEach((e, i) => {
    if (e.group !== 'optimizer') return;
    if (e.name === 'iter') {
      if (e.size !== 1 || e.dtype !== 'int32') r.fail('weightsManifest', `optimizer 'iter' must be one int32`);
      const v = new Int32Array(1);
      decodeWeights(e, buffers[i], v);
      iterations = v[0];
      return;
    }
    const value = model.dtype === 'float64' ? new Float64Array(e.size) : new Float32Array(e.size);
    decodeWeights(e, buffers[i], value);
    state.push({ name: e.name, value });
  });
  if (state.length) {
    try {
      optimizer.setWeights(params, state);
    } catch (err) {
      r.fail('weightsManifest (optimizer group)', (err as Error).message);
    }
  }
  optimizer.iterations = iterations;
  if (bp.training !== undefined) {
    const t = r.obj(bp.training, `${where}.training`);
    model.trainingState.epoch = r.int(t.epoch, `${where}.training.epoch`, 0, 2 ** 31);
    optimizer.iterations = r.int(t.iterations, `${where}.training.iterations`, 0, 2 ** 53);
    const lr = r.num(t.learningRate, `${where}.training.learningRate`);
    if (lr < 0) r.fail(`${where}.training.learningRate`, `must be >= 0, got ${lr}`);
    optimizer.learningRate = lr;
    const rs = r.obj(t.rngState, `${where}.training.rngState`);
    const words = r
      .arr(rs.words, `${where}.training.rngState.words`, 4)
      .map((w, i) => r.int(w, `${where}.training.rngState.words[${i}]`, 0, 2 ** 32 - 1));
    if (words.length !== 4) r.fail(`${where}.training.rngState.words`, 'expected 4 words');
    const spare =
      rs.spareNormal === null || rs.spareNormal === undefined
        ? null
        : r.num(rs.spareNormal, `${where}.training.rngState.spareNormal`);
    model.rng.setState({ words: words as [number, number, number, number], spareNormal: spare });
  }
}
