/**
 * Variable-length sequences: padded steps (Embedding maskZero, Masking) change neither the state nor the loss.
 * - State: a padded sequence gives exactly the prediction of the same sequence unpadded (a model built for
 *   the shorter length, same weights), for LSTM, GRU (both variants), SimpleRNN, going backwards, Bidirectional.
 * - Loss: with a masked sequence output, the loss, its gradient and the metrics see real steps only:
 *   whatever the targets (or the outputs) at padded steps, the loss and the trained weights are the same.
 */
import * as bp from '../../src';
import type { Layer } from '../../src/layers/layer';
import { backendNames } from '../support/backends';

const ALL = backendNames();

function recurrent(kind: string, returnSequences = false): Layer {
  const common = { units: 4, returnSequences, recurrentActivation: 'sigmoid' as const };
  switch (kind) {
    case 'lstm':
      return bp.layers.lstm(common);
    case 'gru':
      return bp.layers.gru(common);
    case 'gruResetAfter':
      return bp.layers.gru({ ...common, resetAfter: true });
    case 'simpleRNN':
      return bp.layers.simpleRNN({ units: 4, returnSequences });
    case 'lstmBackwards':
      return bp.layers.lstm({ ...common, goBackwards: true });
    default:
      return bp.layers.bidirectional({ layer: bp.layers.gru(common) });
  }
}

describe.each(ALL)('%s backend', (name) => {
  beforeAll(() => bp.setBackend(name));
  afterAll(() => bp.setBackend('auto'));

  test.each(['lstm', 'gru', 'gruResetAfter', 'simpleRNN', 'lstmBackwards', 'bidirectional'])(
    '%s: a padded sequence predicts exactly what the unpadded one does',
    (kind) => {
      const make = (steps: number) =>
        bp.sequential({
          seed: 4,
          dtype: 'float64',
          layers: [
            bp.layers.embedding({ inputDim: 9, outputDim: 3, inputLength: steps, maskZero: true }),
            recurrent(kind),
            bp.layers.dense({ units: 2 }),
          ],
        });
      const padded = make(7),
        short = make(4);
      short.setWeights(padded.getWeights());
      const tokens = [3, 1, 8, 5];
      const a = padded.predict(bp.tensor([[...tokens, 0, 0, 0]], [1, 7], 'float64')).data;
      const b = short.predict(bp.tensor([tokens], [1, 4], 'float64')).data;
      expect(Array.from(a)).toEqual(Array.from(b));
      // And the padding's position within the batch does not matter: a second, longer row changes nothing.
      const two = padded.predict(
        bp.tensor(
          [
            [...tokens, 0, 0, 0],
            [1, 2, 3, 4, 5, 6, 7],
          ],
          [2, 7],
          'float64',
        ),
      ).data;
      expect(Array.from(two.subarray(0, 2))).toEqual(Array.from(a));
    },
  );

  /** A sequence-labelling model: per-step softmax over 3 classes after a masked LSTM. */
  function tagger() {
    const model = bp.sequential({
      seed: 6,
      dtype: 'float64',
      layers: [
        bp.layers.embedding({ inputDim: 9, outputDim: 3, inputLength: 5, maskZero: true }),
        bp.layers.lstm({ units: 4, returnSequences: true }),
        bp.layers.timeDistributed({ layer: bp.layers.dense({ units: 3, activation: 'softmax' }) }),
      ],
    });
    model.compile({
      optimizer: bp.optimizers.sgd({ learningRate: 0.5 }),
      loss: 'sparseCategoricalCrossentropy',
      metrics: ['accuracy'],
    });
    return model;
  }
  const x = () =>
    bp.tensor(
      [
        [4, 2, 7, 0, 0],
        [1, 1, 3, 5, 8],
      ],
      [2, 5],
      'float64',
    );
  const labels = (padA: number, padB: number) => [0, 2, 1, padA, padB, 2, 0, 1, 1, 2];

  test('labels at padded steps change neither the loss, nor the metrics, nor the update', () => {
    const a = tagger(),
      b = tagger();
    const ea = a.evaluate(x(), labels(0, 0)),
      eb = b.evaluate(x(), labels(2, 1));
    expect(ea).toEqual(eb);
    a.trainOnBatch(x(), labels(0, 0));
    b.trainOnBatch(x(), labels(2, 1));
    a.getWeights().forEach((w, i) => expect(Array.from(w.data)).toEqual(Array.from(b.getWeights()[i].data)));
  });

  test('the loss is the mean over real steps (8 of 10 here) and accuracy counts real steps only', () => {
    const model = tagger();
    const probs = model.predict(x()).data;
    const y = labels(0, 0);
    let sum = 0,
      right = 0;
    for (const step of [0, 1, 2, 5, 6, 7, 8, 9]) {
      const p = probs.subarray(step * 3, step * 3 + 3);
      sum -= Math.log(p[y[step]]);
      if (p.indexOf(Math.max(...p)) === y[step]) right++;
    }
    const e = model.evaluate(x(), y);
    expect(e.loss).toBeCloseTo(sum / 8, 12);
    expect(e.accuracy).toBeCloseTo(right / 8, 12);
  });

  test('gradients of the masked loss match finite differences', () => {
    const model = tagger();
    const { maxError } = bp.gradcheck(model, x(), labels(1, 2));
    expect(maxError).toBeLessThan(1e-5);
  });
});
