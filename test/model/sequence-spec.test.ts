/**
 * Sequence models through the rest of the house: JSON model specs (nested wrapper configs, snake_case too),
 * the summary, and the batch memory check, which counts the recurrent workspaces.
 */
import * as bp from '../../src';

describe('sequence models in specs, summaries and memory checks', () => {
  test('a spec with Embedding → Bidirectional(LSTM) → TimeDistributed(Dense) builds, trains and predicts', async () => {
    const model = bp.modelFromSpec({
      seed: 2,
      layers: [
        { className: 'Embedding', config: { input_dim: 30, output_dim: 8, input_length: 6, mask_zero: true } },
        {
          className: 'Bidirectional',
          config: { merge_mode: 'sum', layer: { class_name: 'LSTM', config: { units: 5, return_sequences: true } } },
        },
        {
          className: 'TimeDistributed',
          config: { layer: { className: 'Dense', config: { units: 3, activation: 'softmax' } } },
        },
      ],
      compile: { optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] },
    });
    expect(model.outputShape).toEqual([6, 3]);
    const x = bp.tensor(
      [
        [1, 2, 3, 0, 0, 0],
        [4, 5, 6, 7, 8, 9],
      ],
      [2, 6],
    );
    await model.fit(x, [0, 1, 2, 0, 0, 0, 1, 1, 2, 2, 0, 1], { epochs: 2, verbose: 0 });
    expect(model.predict(x).shape).toEqual([2, 6, 3]);
    expect(() =>
      bp.checkModelSpec(
        {
          layers: [{ className: 'GRU', config: { units: 4, input_shape: [5, 2], return_state: true } }],
          compile: { loss: 'mse' },
        },
        'spec',
      ),
    ).toThrow(/spec.layers\[0\]\.returnState: is not supported/);
  });

  test('the summary lists wrapped layers with their parameters', () => {
    const model = bp.sequential({
      layers: [
        bp.layers.bidirectional({ layer: bp.layers.gru({ units: 4 }), inputShape: [5, 3] }),
        bp.layers.dense({ units: 2 }),
      ],
    });
    const text = model.summary(() => {});
    // Each direction: kernel 3·12 + recurrent 4·12 + bias 12 = 96.
    expect(text).toMatch(/bidirectional_1 \(Bidirectional\)\s+\[null, 8\]\s+192/);
  });

  test('the batch memory check counts the recurrent workspaces (not only the output)', async () => {
    const before = bp.getLimits();
    const model = bp.sequential({ layers: [bp.layers.lstm({ units: 8, inputShape: [1000, 4] })] });
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    try {
      // Parameters: 4·32 + 8·32 + 32 = 416 values; one batch of 100 sequences needs ~5.6 million workspace values.
      bp.setLimits({ maxModelBytes: 20e6 });
      const x = bp.tensor(new Float32Array(100 * 1000 * 4), [100, 1000, 4]);
      const y = bp.tensor(new Float32Array(100 * 8), [100, 8]);
      await expect(model.fit(x, y, { batchSize: 100, verbose: 0 })).rejects.toThrow(/activation values per batch/);
    } finally {
      bp.setLimits(before);
    }
  });
});
