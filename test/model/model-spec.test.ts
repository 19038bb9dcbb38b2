/** Models from JSON specs: any registry layer by class name, the short dense form, full checks before allocating. */
import * as bp from '../../src';

describe('model specs', () => {
  test('registry layers by TF.js class name (snake_case or camelCase config) and the short dense form', () => {
    const model = bp.modelFromSpec({
      seed: 3,
      layers: [
        { className: 'Reshape', config: { target_shape: [2, 3], input_shape: [6] } },
        { className: 'Dense', config: { units: 4, activation: 'relu' } },
        { className: 'Flatten' },
        { type: 'dropout', rate: 0.1 },
        { units: 2, activation: 'softmax' },
      ],
      compile: {
        optimizer: { name: 'adam', learningRate: 0.01 },
        loss: 'sparseCategoricalCrossentropy',
        metrics: ['acc'],
      },
    });
    expect(model.layers.map((l) => l.className)).toEqual(['Reshape', 'Dense', 'Flatten', 'Dropout', 'Dense']);
    expect(model.outputShape).toEqual([2]);
    expect(model.optimizer!.learningRate).toBe(0.01);
    expect(model.metricNames).toEqual(['acc']);
    // the same seed gives the same weights as the model built by hand
    const byHand = bp.sequential({
      seed: 3,
      layers: [
        bp.layers.reshape({ targetShape: [2, 3], inputShape: [6] }),
        bp.layers.dense({ units: 4, activation: 'relu' }),
        bp.layers.flatten(),
        bp.layers.dropout({ rate: 0.1 }),
        bp.layers.dense({ units: 2, activation: 'softmax' }),
      ],
    });
    expect(model.getWeights().map((w) => Array.from(w.data))).toEqual(
      byHand.getWeights().map((w) => Array.from(w.data)),
    );
  });

  test('every problem is an error naming where, before anything is allocated', () => {
    const spec = (layers: unknown[], compile: unknown = { loss: 'mse' }) => ({ layers, compile }) as bp.ModelSpec;
    expect(() => bp.checkModelSpec(spec([{ className: 'Conv9D', config: {} }]))).toThrow(
      /model spec.layers\[0\]: unsupported layer 'Conv9D'; supported: Dense/,
    );
    // without an input shape, a dense stack too large for any input is refused; the rest waits for the data
    expect(bp.checkModelSpec(spec([{ units: 4 }]))).toBe(8);
    expect(() => bp.checkModelSpec(spec([{ units: 200_000_000 }, { units: 100 }]))).toThrow(
      /20,400,000,100 parameters/,
    );
    expect(() => bp.checkModelSpec(spec([{ units: -1, inputShape: [2] }]))).toThrow(
      /layers\[0\].units: expected an integer in \[1/,
    );
    expect(() => bp.checkModelSpec(spec([{ type: 'lstm', units: 3 } as never]))).toThrow(
      /layers\[0\].type: must be 'dense', 'dropout' or 'activation'/,
    );
    expect(() => bp.checkModelSpec(spec([{ units: 2, inputShape: [3] }], { loss: 'mse', optimizer: 'lion' }))).toThrow(
      /compile.optimizer: unknown optimizer "lion"/,
    );
    expect(() => bp.checkModelSpec(spec([{ units: 2, inputShape: [3] }], { optimizer: 'adam' }))).toThrow(
      /compile.loss: is required/,
    );
    expect(() => bp.checkModelSpec({ layers: [{ units: 2, inputShape: [3] }] })).toThrow(
      /model spec.compile: expected \{ optimizer, loss/,
    );
    expect(() =>
      bp.checkModelSpec(spec([{ units: 2, inputShape: [3] }], { loss: 'mse', optimizer: '__proto__' })),
    ).toThrow(/unknown optimizer "__proto__"/);
    // 20000×20000 weights: refused by size without allocating them (a 4 GiB limit, whatever this machine has)
    const limits = bp.getLimits();
    bp.setLimits({ maxModelBytes: 4 * 2 ** 30 });
    const before = process.memoryUsage().arrayBuffers;
    expect(() => bp.checkModelSpec(spec([{ units: 20000, inputShape: [20000] }, { units: 20000 }]))).toThrow(
      /the model has 800,040,000 parameters and 140,000 activation values per batch .*, which need about 11\.9 GiB/,
    );
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 2 ** 20);
    bp.setLimits(limits);
  });
});
