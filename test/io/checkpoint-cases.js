// The cases of test/io/checkpoint-config.test.ts, in plain JS so that a fresh `node` process (the resume side)
// runs exactly the same definitions against the compiled package. Each case: a model, compile settings with
// the option under test, and the callbacks of its fit (fresh ones on every call).
'use strict';

const N = 2; // epochs before the checkpoint, and after it

function data(bp, kind) {
  const rng = new bp.Rng(42);
  const rows = 48;
  const x = bp.tensor(
    Float32Array.from({ length: rows * 4 }, () => rng.uniform(-1, 1)),
    [rows, 4],
  );
  if (kind === 'labels')
    return {
      x,
      y: Int32Array.from({ length: rows }, (_, r) => (x.data[r * 4] > 0 ? 1 : x.data[r * 4 + 1] > 0 ? 2 : 0)),
    };
  if (kind === 'onehot') {
    const y = new Float32Array(rows * 3);
    for (let r = 0; r < rows; r++) y[r * 3 + (x.data[r * 4] > 0 ? 1 : x.data[r * 4 + 1] > 0 ? 2 : 0)] = 1;
    return { x, y: bp.tensor(y, [rows, 3]) };
  }
  if (kind === 'binary')
    return {
      x,
      y: bp.tensor(
        Float32Array.from({ length: rows }, (_, r) => (x.data[r * 4] + x.data[r * 4 + 2] > 0 ? 1 : 0)),
        [rows, 1],
      ),
    };
  return {
    x,
    y: bp.tensor(
      Float32Array.from({ length: rows * 2 }, (_, i) => Math.sin(i)),
      [rows, 2],
    ),
  };
}

function model(bp, out, activation, dropout) {
  const layers = [bp.layers.dense({ units: 8, activation: 'tanh', inputShape: [4] })];
  if (dropout) layers.push(bp.layers.dropout({ rate: 0.25 }));
  layers.push(bp.layers.dense({ units: out, activation }));
  return bp.sequential({ seed: 7, layers });
}

/** [id, data kind, output units, output activation, compile(bp), callbacks(bp), dropout] */
function cases() {
  const c = [];
  const add = (id, kind, out, act, compile, callbacks = () => [], dropout = false) =>
    c.push({ id, kind, out, act, compile, callbacks, dropout });
  // every loss × option
  add('loss mse', 'reg', 2, 'linear', () => ({ optimizer: 'adam', loss: 'meanSquaredError' }));
  add('loss mae', 'reg', 2, 'linear', () => ({ optimizer: 'adam', loss: 'mae' }));
  add('loss huber delta', 'reg', 2, 'linear', (bp) => ({ optimizer: 'adam', loss: bp.losses.huber({ delta: 0.3 }) }));
  add('loss bce', 'binary', 1, 'sigmoid', () => ({ optimizer: 'adam', loss: 'binaryCrossentropy' }));
  add('loss bce fromLogits', 'binary', 1, 'linear', (bp) => ({
    optimizer: 'adam',
    loss: bp.losses.binaryCrossentropy({ fromLogits: true }),
  }));
  add('loss cce', 'onehot', 3, 'softmax', () => ({ optimizer: 'adam', loss: 'categorical_crossentropy' }));
  add('loss cce fromLogits', 'onehot', 3, 'linear', (bp) => ({
    optimizer: 'adam',
    loss: bp.losses.categoricalCrossentropy({ fromLogits: true }),
  }));
  add('loss scce', 'labels', 3, 'softmax', () => ({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' }));
  add('loss scce fromLogits', 'labels', 3, 'linear', (bp) => ({
    optimizer: 'adam',
    loss: bp.losses.sparseCategoricalCrossentropy({ fromLogits: true }),
  }));
  // every metric alias compile accepts
  for (const m of ['accuracy', 'acc', 'precision', 'recall'])
    add(`metric ${m}`, 'binary', 1, 'sigmoid', () => ({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: [m] }));
  for (const m of [
    'mse',
    'meanSquaredError',
    'mean_squared_error',
    'mae',
    'meanAbsoluteError',
    'mean_absolute_error',
  ]) {
    add(`metric ${m}`, 'reg', 2, 'linear', () => ({ optimizer: 'adam', loss: 'huber', metrics: [m] }));
  }
  // every optimizer option
  add('sgd folded', 'reg', 2, 'linear', (bp) => ({
    optimizer: bp.optimizers.sgd({ learningRate: 0.05, weightDecay: 0.01 }),
    loss: 'mse',
  }));
  add('sgd momentum nesterov', 'reg', 2, 'linear', (bp) => ({
    optimizer: bp.optimizers.sgd({ learningRate: 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.001 }),
    loss: 'mse',
  }));
  add('sgd clipValue', 'reg', 2, 'linear', (bp) => ({
    optimizer: bp.optimizers.sgd({ learningRate: 0.1, clipValue: 0.01 }),
    loss: 'mse',
  }));
  add('rmsprop', 'reg', 2, 'linear', (bp) => ({
    optimizer: bp.optimizers.rmsprop({
      learningRate: 0.01,
      rho: 0.8,
      epsilon: 1e-5,
      weightDecay: 0.001,
      clipNorm: 0.5,
    }),
    loss: 'mse',
  }));
  add('adagrad', 'reg', 2, 'linear', (bp) => ({
    optimizer: bp.optimizers.adagrad({ learningRate: 0.05, initialAccumulatorValue: 0.3, epsilon: 1e-6 }),
    loss: 'mse',
  }));
  add('adam options', 'reg', 2, 'linear', (bp) => ({
    optimizer: bp.optimizers.adam({
      learningRate: 0.01,
      beta1: 0.8,
      beta2: 0.95,
      epsilon: 1e-5,
      weightDecay: 0.01,
      clipNorm: 0.2,
    }),
    loss: 'mse',
  }));
  add('adamw', 'reg', 2, 'linear', (bp) => ({
    optimizer: bp.optimizers.adamw({ learningRate: 0.01, weightDecay: 0.1, clipValue: 0.5 }),
    loss: 'mse',
  }));
  // every schedule (its position is the optimizer's step count)
  add('schedule exponential', 'reg', 2, 'linear', (bp) => ({
    optimizer: bp.optimizers.sgd({
      learningRate: bp.optimizers.exponentialDecay({ initialLearningRate: 0.1, decaySteps: 3, decayRate: 0.7 }),
    }),
    loss: 'mse',
  }));
  add('schedule step', 'reg', 2, 'linear', (bp) => ({
    optimizer: bp.optimizers.adam({
      learningRate: bp.optimizers.stepDecay({ initialLearningRate: 0.02, dropEvery: 1, factor: 0.5, stepsPerEpoch: 6 }),
    }),
    loss: 'mse',
  }));
  add('schedule cosine', 'reg', 2, 'linear', (bp) => ({
    optimizer: bp.optimizers.rmsprop({
      learningRate: bp.optimizers.cosineDecay({ initialLearningRate: 0.01, decaySteps: 20, alpha: 0.1 }),
    }),
    loss: 'mse',
  }));
  // callback state and the RNG (dropout masks)
  add(
    'reduceLROnPlateau',
    'reg',
    2,
    'linear',
    () => ({ optimizer: 'adam', loss: 'mse' }),
    (bp) => [bp.callbacks.reduceLROnPlateau({ monitor: 'loss', patience: 1, factor: 0.5, minDelta: 10 })],
  );
  add(
    'earlyStopping',
    'reg',
    2,
    'linear',
    () => ({ optimizer: 'adam', loss: 'mse' }),
    (bp) => [bp.callbacks.earlyStopping({ monitor: 'loss', patience: 3, minDelta: 10 })],
  );
  add(
    'dropout',
    'reg',
    2,
    'linear',
    () => ({ optimizer: 'adam', loss: 'mse' }),
    () => [],
    true,
  );
  return c;
}

/** Trains `epochs` epochs from `initialEpoch` on the case's data (a fixed batch size and fresh callbacks). */
async function train(bp, m, kase, epochs, initialEpoch = 0) {
  const { x, y } = data(bp, kase.kind);
  await m.fit(x, y, { epochs, initialEpoch, batchSize: 8, verbose: 0, callbacks: kase.callbacks(bp) });
}

function build(bp, kase) {
  const m = model(bp, kase.out, kase.act, kase.dropout);
  m.compile(kase.compile(bp));
  return m;
}

function evaluate(bp, m, kase) {
  const { x, y } = data(bp, kase.kind);
  return m.evaluate(x, y);
}

module.exports = { N, cases, build, train, evaluate, data };
