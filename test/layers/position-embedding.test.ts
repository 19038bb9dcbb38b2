/**
 * PositionEmbedding and TokenAndPositionEmbedding (KerasNLP), on the template of dense.test.ts without TF.js parity
 * (TF.js has no such layers): gradients (float64, both backends, padding masks), agreement, config round trip,
 * save/load, Keras' weight names, what the outputs are, bad arguments.
 */
import * as bp from '../../src';
import { expectBackendsAgree, expectConfigRoundTrip, expectGradientsMatch, randomInput } from '../support/layer-checks';
import { expectSaveLoadRoundTrip, tokenIds } from '../support/transformer-checks';

describe('PositionEmbedding', () => {
  test('gradients match finite differences (every backend)', () => {
    expectGradientsMatch(
      () => [
        bp.layers.dense({ units: 3, inputShape: [4, 2] }),
        bp.layers.positionEmbedding({ sequenceLength: 6 }),
        bp.layers.dense({ units: 2 }),
      ],
      [4, 2],
    );
  });

  test('the backends agree; config round trip', () => {
    const layers = () => [
      bp.layers.positionEmbedding({ sequenceLength: 5, inputShape: [3, 4], initializer: 'randomNormal' }),
      bp.layers.dense({ units: 2 }),
    ];
    expectBackendsAgree(layers, [3, 4]);
    expectConfigRoundTrip(bp.sequential({ layers: layers() }).layers);
  });

  test('outputs the first steps of its table, whatever the input; save and load', async () => {
    const model = bp.sequential({
      seed: 1,
      layers: [bp.layers.positionEmbedding({ name: 'pos', sequenceLength: 5, inputShape: [3, 2] })],
    });
    const [table] = model.getWeights();
    expect(table.name).toBe('pos/embeddings');
    expect(table.shape).toEqual([5, 2]);
    const y = model.predict(randomInput([3, 2], 2, 1)).data;
    expect(Array.from(y)).toEqual([...table.data.subarray(0, 6), ...table.data.subarray(0, 6)]);
    await expectSaveLoadRoundTrip(model, randomInput([3, 2], 2, 1));
  });

  test('bad arguments name the option', () => {
    expect(() => bp.layers.positionEmbedding({ sequenceLength: 0 })).toThrow(/'sequenceLength' must be an integer/);
    expect(() =>
      bp.sequential({ layers: [bp.layers.positionEmbedding({ sequenceLength: 2, inputShape: [3, 4] })] }),
    ).toThrow(/3 steps exceed sequenceLength 2/);
    expect(() =>
      bp.sequential({
        layers: [
          bp.layers.embedding({ inputDim: 5, outputDim: 2, maskZero: true, inputShape: [3] }),
          bp.layers.positionEmbedding({ sequenceLength: 3 }),
        ],
      }),
    ).toThrow(/PositionEmbedding .* cannot take a masked input/);
  });
});

describe('TokenAndPositionEmbedding', () => {
  const ids = (rows: number, seed: number) => tokenIds(5, 9, rows, seed);

  test('gradients match finite differences, with and without a padding mask (every backend)', () => {
    for (const maskZero of [false, true]) {
      expectGradientsMatch(
        () => [
          bp.layers.tokenAndPositionEmbedding({
            vocabularySize: 9,
            sequenceLength: 7,
            embeddingDim: 3,
            maskZero,
            inputShape: [5],
          }),
          bp.layers.dense({ units: 2 }),
        ],
        [5],
        [1, 3],
        7,
        ids,
      );
    }
  });

  test('the backends agree; config round trip', () => {
    const layers = () => [
      bp.layers.tokenAndPositionEmbedding({
        vocabularySize: 9,
        sequenceLength: 5,
        embeddingDim: 4,
        maskZero: true,
        inputShape: [5],
      }),
      bp.layers.dense({ units: 2 }),
    ];
    expectBackendsAgree(layers, [5], 11, ids);
    expectConfigRoundTrip(bp.sequential({ layers: layers() }).layers);
  });

  test('token + position embeddings; a mask where ids are 0; Keras weight names; save and load', async () => {
    const model = bp.sequential({
      seed: 2,
      layers: [
        bp.layers.tokenAndPositionEmbedding({
          name: 'emb',
          vocabularySize: 6,
          sequenceLength: 4,
          embeddingDim: 2,
          maskZero: true,
          inputShape: [3],
        }),
      ],
    });
    const [tok, pos] = model.getWeights();
    expect([tok.name, tok.shape, pos.name, pos.shape]).toEqual([
      'emb/token_embedding/embeddings',
      [6, 2],
      'emb/position_embedding/embeddings',
      [4, 2],
    ]);
    // KerasNLP's default 'uniform' initializer: within ±0.05.
    expect(Math.max(...Array.from(tok.data, Math.abs))).toBeLessThanOrEqual(0.05);
    const y = model.predict(bp.tensor([[5, 2, 0]], [1, 3])).data;
    const want = [5, 2, 0].flatMap((id, t) =>
      [0, 1].map((j) => Math.fround(tok.data[id * 2 + j] + pos.data[t * 2 + j])),
    );
    expect(Array.from(y)).toEqual(want);
    await expectSaveLoadRoundTrip(model, bp.tensor([[5, 2, 0]], [1, 3]));
  });

  test('bad arguments and inputs name the problem', () => {
    const ok = { vocabularySize: 5, sequenceLength: 3, embeddingDim: 2 };
    expect(() => bp.layers.tokenAndPositionEmbedding({ ...ok, vocabularySize: 0 })).toThrow(/'vocabularySize' must be/);
    expect(() => bp.layers.tokenAndPositionEmbedding({ ...ok, embeddingDim: 2.5 })).toThrow(/'embeddingDim' must be/);
    expect(() => bp.layers.tokenAndPositionEmbedding({ ...ok, tieWeights: false })).toThrow(/'tieWeights: false'/);
    expect(() => bp.sequential({ layers: [bp.layers.tokenAndPositionEmbedding({ ...ok, inputShape: [4] })] })).toThrow(
      /4 steps exceed sequenceLength 3/,
    );
    const model = bp.sequential({ layers: [bp.layers.tokenAndPositionEmbedding({ ...ok, inputShape: [3] })] });
    expect(() => model.predict(bp.tensor([[1, 7, 2]], [1, 3]))).toThrow(/input 7 .* is not a token id/);
  });
});
