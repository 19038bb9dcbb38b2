/**
 * A model is used by one training at a time: a second fit or trainOnBatch during fit is refused; predict /
 * evaluate during fit are correct between steps and refused (ModelBusyError) while a step runs off the main
 * thread. Data changed under a running fit stops it with an error naming the cause, before a bad update.
 */
import * as bp from '../../src';
import { engineOf } from '../../src/model/engine';
import { backendNames } from '../support/backends';
import { randomInput } from '../support/layer-checks';

function bigModel() {
  // 784 → 1024 → 10 at batch 128 is ~1e8 multiply-adds per step: above the off-main-thread threshold on native.
  const model = bp.sequential({
    seed: 1,
    layers: [
      bp.layers.dense({ units: 1024, activation: 'relu', inputShape: [784] }),
      bp.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
  return model;
}

function labels(n: number, seed: number): Int32Array {
  const rng = new bp.Rng(seed);
  return Int32Array.from({ length: n }, () => rng.int(10));
}

describe.each(backendNames())('one training at a time (%s backend)', (name) => {
  beforeAll(() => bp.setBackend(name));
  afterAll(() => bp.setBackend('auto'));

  test('a second fit, trainOnBatch and compile during fit are refused; the first fit is unaffected', async () => {
    const model = bigModel();
    const x = randomInput([784], 512, 1, 0, 1);
    const y = labels(512, 2);
    const refusals: string[] = [];
    const first = model.fit(x, y, {
      epochs: 1,
      batchSize: 128,
      verbose: 0,
      callbacks: {
        onBatchEnd: async () => {
          await model
            .fit(x, y, { epochs: 1, verbose: 0 })
            .catch((e: Error) => refusals.push(`${e.name}: ${e.message}`));
          try {
            model.trainOnBatch(randomInput([784], 2, 3), [1, 2]);
          } catch (e) {
            refusals.push(`${(e as Error).name}: ${(e as Error).message}`);
          }
          try {
            model.compile({ optimizer: 'sgd', loss: 'mse' });
          } catch (e) {
            refusals.push(`${(e as Error).name}: ${(e as Error).message}`);
          }
        },
      },
    });
    await first;
    expect(refusals.length).toBe(12);
    for (const r of refusals)
      expect(r).toMatch(/^ModelBusyError: (fit|trainOnBatch|compile)\(\): model is training \(fit is running\)/);
    // The same training without the interfering calls gives the same weights.
    const clean = bigModel();
    await clean.fit(x, y, { epochs: 1, batchSize: 128, verbose: 0 });
    model.getWeights().forEach((w, i) => expect(Array.from(w.data)).toEqual(Array.from(clean.getWeights()[i].data)));
  });

  test('predict during fit: correct between steps, refused while a step runs off the main thread', async () => {
    const model = bigModel();
    const x = randomInput([784], 1024, 4, 0, 1);
    const y = labels(1024, 5);
    const probe = randomInput([784], 3, 6, 0, 1);
    const copy = bigModel();
    let served = 0,
      refused = 0;
    const timer = setInterval(() => {
      const inFlight = engineOf(model).stepInFlight;
      try {
        const out = model.predict(probe);
        expect(inFlight).toBe(false);
        copy.setWeights(model.getWeights());
        expect(Array.from(out.data)).toEqual(Array.from(copy.predict(probe).data));
        served++;
      } catch (e) {
        expect(inFlight).toBe(true);
        expect((e as Error).message).toMatch(/^predict\(\): model is training: a step is running off the main thread/);
        refused++;
      }
    }, 1);
    try {
      await model.fit(x, y, { epochs: 1, batchSize: 128, verbose: 0, yieldEveryMs: 1 });
    } finally {
      clearInterval(timer);
    }
    expect(served + refused).toBeGreaterThan(0);
    if (name === 'native' || name === 'wasm')
      expect(refused).toBeGreaterThan(0); // the steps ran off the main thread
    else expect(refused).toBe(0); // js steps are synchronous: timers only run between them
  });
});

describe('data changed under a running fit', () => {
  test('a transferred input stops fit with an error naming it', async () => {
    const model = bp.sequential({ seed: 1, layers: [bp.layers.dense({ units: 2, inputShape: [3] })] });
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    const x = randomInput([3], 64, 1);
    const y = randomInput([2], 64, 2);
    const fit = model.fit(x, y, {
      epochs: 3,
      batchSize: 8,
      verbose: 0,
      callbacks: {
        onEpochEnd: () => void structuredClone(x.data.buffer, { transfer: [x.data.buffer as ArrayBuffer] }),
      },
    });
    await expect(fit).rejects.toThrow(
      /fit\(\): 'x' was transferred, detached or resized while fit was reading it \(epoch 2, batch 1\)/,
    );
  });

  test('NaN written into the data mid-fit stops it before the bad update, naming epoch and batch', async () => {
    const model = bp.sequential({ seed: 1, layers: [bp.layers.dense({ units: 2, inputShape: [3] })] });
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    const x = randomInput([3], 64, 1);
    const y = randomInput([2], 64, 2);
    let snapshot: number[][] = [];
    const fit = model.fit(x, y, {
      epochs: 2,
      batchSize: 8,
      shuffle: false,
      verbose: 0,
      callbacks: {
        onBatchEnd: (batch) => {
          if (batch !== 3) return;
          snapshot = model.getWeights().map((w) => Array.from(w.data));
          x.data.fill(NaN, 4 * 8 * 3); // rows of batch 5 onwards
        },
      },
    });
    await expect(fit).rejects.toThrow(
      /fit\(\): the loss is NaN at epoch 1, batch 5; training stopped before this batch's update/,
    );
    expect(model.getWeights().map((w) => Array.from(w.data))).toEqual(snapshot);
  });

  test('with terminateOnNaN in the callbacks, a non-finite loss stops fit quietly instead', async () => {
    const model = bp.sequential({ seed: 1, layers: [bp.layers.dense({ units: 2, inputShape: [3] })] });
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    const x = randomInput([3], 64, 1);
    const y = randomInput([2], 64, 2);
    const t = bp.callbacks.terminateOnNaN();
    let snapshot: number[][] = [];
    const history = await model.fit(x, y, {
      epochs: 2,
      batchSize: 8,
      shuffle: false,
      verbose: 0,
      callbacks: [
        t,
        {
          onBatchEnd: (batch) => {
            if (batch !== 3) return;
            snapshot = model.getWeights().map((w) => Array.from(w.data));
            x.data.fill(NaN, 4 * 8 * 3);
          },
        },
      ],
    });
    expect(t.stoppedAtBatch).toBe(4);
    expect(history.epoch).toEqual([0]);
    expect(history.history.loss[0]).toBeNaN();
    expect(model.getWeights().map((w) => Array.from(w.data))).toEqual(snapshot);
  });
});
