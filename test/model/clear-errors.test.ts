/**
 * Clear errors (naming the argument and the fix) instead of TypeErrors from inside the library, for the calls
 * the hostile review tried: fit(x, y, null), predict(x, null), setWeights with a null entry, gradcheck without
 * a model, compile with a metrics string, NaN optimizer and loss options.
 */
import * as bp from '../../src';

function model() {
  const m = bp.sequential({ seed: 1, layers: [bp.layers.dense({ units: 2, inputShape: [3] })] });
  m.compile({ optimizer: 'sgd', loss: 'mse' });
  return m;
}
const x = [[1, 2, 3]];
const y = [[1, 0]];

test('every bad call is an Error with a message, never a TypeError from inside', async () => {
  const cases: [string, () => unknown, RegExp][] = [
    [
      'fit(x, y, null)',
      () => model().fit(x, y, null as never),
      /fit\(\): the third argument must be an options object/,
    ],
    ['fit unknown option', () => model().fit(x, y, { epoch: 3 } as never), /fit\(\): unknown option 'epoch'/],
    [
      'predict(x, null)',
      () => model().predict(x, null as never),
      /predict\(\): the options argument must be an object, got null/,
    ],
    [
      'evaluate(x, y, 5)',
      () => model().evaluate(x, y, 5 as never),
      /evaluate\(\): the options argument must be an object, got number/,
    ],
    [
      'setWeights null entry',
      () =>
        model().setWeights([
          [
            [1, 2],
            [3, 4],
            [5, 6],
          ],
          null as never,
        ]),
      /setWeights\(\): weight 1 \(dense_1\/bias\) must be an array/,
    ],
    [
      'setWeights not an array',
      () => model().setWeights(null as never),
      /setWeights\(\): expected 2 arrays .* got null/,
    ],
    [
      'gradcheck() with no model',
      () => bp.gradcheck(undefined as never, x, y),
      /gradcheck\(\): the first argument must be a model/,
    ],
    [
      'compile metrics string',
      () => model().compile({ optimizer: 'sgd', loss: 'mse', metrics: 'acc' as never }),
      /compile\(\): 'metrics' must be an array of names, e.g. metrics: \['accuracy'\]/,
    ],
    [
      'compile unknown metric',
      () => model().compile({ optimizer: 'sgd', loss: 'mse', metrics: ['__proto__'] }),
      /unknown metric "__proto__"/,
    ],
    ['adam epsilon NaN', () => bp.optimizers.adam({ epsilon: NaN }), /'epsilon' must be a finite number > 0, got NaN/],
    [
      'sgd weightDecay NaN',
      () => bp.optimizers.sgd({ weightDecay: NaN }),
      /'weightDecay' must be a finite number >= 0, got NaN/,
    ],
    ['huber delta NaN', () => bp.losses.huber({ delta: NaN }), /'delta' must be a finite number > 0, got NaN/],
    [
      'bce fromLogits string',
      () => bp.losses.binaryCrossentropy({ fromLogits: 'yes' as never }),
      /'fromLogits' must be true or false/,
    ],
    ['sequential seed string', () => bp.sequential({ seed: 'x' as never }), /'seed' must be an integer/],
    ['add a non-layer', () => bp.sequential().add({} as never), /model.add\(\): expected a layer/],
    [
      'labels 2**32 + 1',
      () => {
        const m = bp.sequential({ layers: [bp.layers.dense({ units: 3, activation: 'softmax', inputShape: [1] })] });
        m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
        return m.trainOnBatch([[1]], [2 ** 32 + 1]);
      },
      /'y'\[0\] = 4294967297 is outside \[0, 3\)/,
    ],
    [
      'labels 1.5',
      () => {
        const m = bp.sequential({ layers: [bp.layers.dense({ units: 3, activation: 'softmax', inputShape: [1] })] });
        m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
        return m.trainOnBatch([[1]], [1.5]);
      },
      /'y'\[0\] = 1.5 is not an integer class label/,
    ],
  ];
  for (const [label, call, message] of cases) {
    let error: unknown;
    try {
      await call();
    } catch (e) {
      error = e;
    }
    expect({
      label,
      error: error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error),
    }).toEqual({
      label,
      error: expect.stringMatching(new RegExp(`^Error: .*${message.source}`)),
    });
  }
});
