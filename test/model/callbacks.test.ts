/**
 * Callbacks: hook order, earlyStopping (stops at the right epoch, restores the best weights),
 * terminateOnNaN, learningRateScheduler, reduceLROnPlateau; fit's signal and event-loop behaviour.
 */
import { BACKENDS, bp, onBackend } from './support';
import type { Sequential } from '../../src';

function smallModel(seed = 1): Sequential {
  const model = bp.sequential({
    seed,
    layers: [bp.layers.dense({ units: 4, activation: 'tanh', inputShape: [2] }), bp.layers.dense({ units: 1 })],
  });
  model.compile({ optimizer: bp.optimizers.sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
  return model;
}
const X = [
  [0, 0],
  [0, 1],
  [1, 0],
  [1, 1],
  [0.5, 0.5],
  [0.2, 0.9],
];
const Y = [[0], [1], [1], [0], [0.5], [0.7]];

describe.each(BACKENDS)('callbacks on the %s backend', (name) => {
  onBackend(name);

  test('hooks run in order with epoch/batch numbers and logs', async () => {
    const events: string[] = [];
    const model = smallModel();
    await model.fit(X, Y, {
      epochs: 2,
      batchSize: 4,
      verbose: 0,
      callbacks: {
        onTrainBegin: () => {
          events.push('trainBegin');
        },
        onEpochBegin: (e) => {
          events.push(`epochBegin ${e}`);
        },
        onBatchBegin: (b) => {
          events.push(`batchBegin ${b}`);
        },
        onBatchEnd: (b, logs) => {
          events.push(`batchEnd ${b} size=${logs?.size}`);
        },
        onEpochEnd: async (e, logs) => {
          await new Promise((r) => setTimeout(r, 1));
          events.push(`epochEnd ${e} ${typeof logs?.loss}`);
        },
        onTrainEnd: () => {
          events.push('trainEnd');
        },
      },
    });
    expect(events).toEqual([
      'trainBegin',
      'epochBegin 0',
      'batchBegin 0',
      'batchEnd 0 size=4',
      'batchBegin 1',
      'batchEnd 1 size=2',
      'epochEnd 0 number',
      'epochBegin 1',
      'batchBegin 0',
      'batchEnd 0 size=4',
      'batchBegin 1',
      'batchEnd 1 size=2',
      'epochEnd 1 number',
      'trainEnd',
    ]);
  });

  test('earlyStopping stops at the right epoch and restores the best weights', async () => {
    // A monitored value we control: best at epoch 2, then worse; patience 2 → stops after epoch 4.
    const values = [5, 4, 3, 3.5, 3.6, 3.7, 3.8, 3.9];
    const model = smallModel();
    const snapshots: Float32Array[][] = [];
    const es = bp.callbacks.earlyStopping({ monitor: 'score', patience: 2, restoreBestWeights: true });
    const inject = {
      onEpochEnd: (epoch: number, logs?: Record<string, number>) => {
        logs!.score = values[epoch];
        snapshots.push(model.getWeights().map((w) => w.data.slice() as Float32Array));
      },
    };
    const history = await model.fit(X, Y, { epochs: 8, batchSize: 6, verbose: 0, callbacks: [inject, es] });
    expect(history.epoch).toEqual([0, 1, 2, 3, 4]);
    expect(es.stoppedEpoch).toBe(4);
    expect(es.bestEpoch).toBe(2);
    const now = model.getWeights().map((w) => Array.from(w.data));
    expect(now).toEqual(snapshots[2].map((a) => Array.from(a)));
    expect(now).not.toEqual(snapshots[4].map((a) => Array.from(a)));
  });

  test('earlyStopping with minDelta and mode max', async () => {
    const values = [0.5, 0.6, 0.605, 0.61, 0.9];
    const es = bp.callbacks.earlyStopping({ monitor: 'acc_like', mode: 'max', minDelta: 0.05, patience: 2 });
    const history = await smallModel().fit(X, Y, {
      epochs: 5,
      verbose: 0,
      callbacks: [
        {
          onEpochEnd: (e: number, l?: Record<string, number>) => {
            l!.acc_like = values[e];
          },
        },
        es,
      ],
    });
    expect(history.epoch).toEqual([0, 1, 2, 3]); // 0.605 and 0.61 do not beat 0.6 by 0.05
  });

  test('terminateOnNaN stops at the first non-finite batch loss', async () => {
    const model = smallModel();
    model.compile({ optimizer: bp.optimizers.sgd({ learningRate: 1e30 }), loss: 'meanSquaredError' });
    const t = bp.callbacks.terminateOnNaN();
    const history = await model.fit(
      X.map((r) => r.map((v) => v * 1e10)),
      Y,
      { epochs: 50, batchSize: 1, verbose: 0, callbacks: [t] },
    );
    expect(t.stoppedAtBatch).toBeDefined();
    expect(history.epoch.length).toBeLessThan(50);
  });

  test('learningRateScheduler sets the rate from its formula each epoch', async () => {
    const model = smallModel();
    const seen: number[] = [];
    await model.fit(X, Y, {
      epochs: 4,
      verbose: 0,
      callbacks: [
        bp.callbacks.learningRateScheduler((epoch) => 0.1 * Math.pow(0.5, epoch)),
        {
          onEpochEnd: () => {
            seen.push(model.optimizer!.learningRate);
          },
        },
      ],
    });
    expect(seen).toEqual([0.1, 0.05, 0.025, 0.0125]);
  });

  test('reduceLROnPlateau multiplies the rate by factor after patience epochs without improvement', async () => {
    const values = [1, 0.9, 0.95, 0.96, 0.97, 0.98];
    const model = smallModel();
    const seen: number[] = [];
    await model.fit(X, Y, {
      epochs: 6,
      verbose: 0,
      callbacks: [
        {
          onEpochEnd: (e: number, l?: Record<string, number>) => {
            l!.m = values[e];
          },
        },
        bp.callbacks.reduceLROnPlateau({ monitor: 'm', factor: 0.5, patience: 2, minLr: 0.03 }),
        {
          onEpochEnd: () => {
            seen.push(model.optimizer!.learningRate);
          },
        },
      ],
    });
    expect(seen).toEqual([0.1, 0.1, 0.1, 0.05, 0.05, 0.03]);
  });
});

describe('fit and the event loop', () => {
  // No wall-clock bounds here (shared, noisy machines): each batch is made to take at least 1 ms, so a fit of
  // 200 batches lasts at least 200 ms whatever the machine, and a fit that yields every 10 ms must let a
  // re-armed timer run at many different points of the training. A fit that never yields lets it run once, at the end.
  async function batchesSeenByTimer(yieldEveryMs: number | undefined): Promise<{ seen: Set<number>; total: number }> {
    const model = smallModel();
    let batches = 0;
    const seen = new Set<number>();
    let running = true;
    const tick = (): void => {
      seen.add(batches);
      if (running) setTimeout(tick, 0);
    };
    setTimeout(tick, 0);
    const x = Array.from({ length: 200 }, (_, i) => X[i % X.length]);
    const y = Array.from({ length: 200 }, (_, i) => Y[i % Y.length]);
    await model.fit(x, y, {
      epochs: 1,
      batchSize: 1,
      verbose: 0,
      ...(yieldEveryMs === undefined ? {} : { yieldEveryMs }),
      callbacks: [
        {
          onBatchEnd: () => {
            const until = performance.now() + 1;
            while (performance.now() < until) {
              /* a slow batch, by construction */
            }
            batches++;
          },
        },
      ],
    });
    running = false;
    return { seen, total: batches };
  }

  test('timers keep firing while fit trains (default: yields every ~10 ms)', async () => {
    const { seen, total } = await batchesSeenByTimer(undefined);
    expect(total).toBe(200);
    const during = [...seen].filter((b) => b > 0 && b < total);
    expect(during.length).toBeGreaterThanOrEqual(5);
  });

  test('yieldEveryMs: 0 yields after every batch', async () => {
    const { seen, total } = await batchesSeenByTimer(0);
    const during = [...seen].filter((b) => b > 0 && b < total);
    expect(during.length).toBeGreaterThanOrEqual(total / 2);
  });

  test('an AbortSignal stops training after the current batch and leaves a usable model', async () => {
    const model = smallModel();
    const controller = new AbortController();
    let batches = 0;
    const history = await model.fit(X, Y, {
      epochs: 100,
      batchSize: 1,
      verbose: 0,
      signal: controller.signal,
      callbacks: {
        onBatchEnd: () => {
          if (++batches === 9) controller.abort();
        },
      },
    });
    expect(batches).toBe(9);
    expect(history.epoch).toEqual([0]); // one full epoch of 6 batches; the partial second is not recorded
    const p = model.predict(X).data;
    expect(Array.from(p).every(Number.isFinite)).toBe(true);
  });
});
