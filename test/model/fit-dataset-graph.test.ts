/**
 * fitDataset / evaluateDataset on a functional model with two inputs (one of int32 token ids) and two outputs:
 * batches are `{ xs: { inputName: … }, ys: { outputName: … } }`; training equals fit on the same batches bit
 * for bit (per-output losses and metrics in the logs), evaluation equals evaluate, and a batch whose records
 * miss, add or misshape an entry is refused naming it.
 */
import * as bp from '../../src';

const L = bp.layers;
const ROWS = 72;
const B = 16;

function twoHeads(seed = 1) {
  const a = bp.input({ shape: [12], name: 'features' });
  const b = bp.input({ shape: [6], dtype: 'int32', name: 'tokens' });
  const h = L.dense({ units: 16, activation: 'relu' }).apply(a);
  const t = L.globalAveragePooling1d().apply(L.embedding({ inputDim: 50, outputDim: 4 }).apply(b));
  const m = L.concatenate().apply([h, t]);
  const cls = L.dense({ units: 3, activation: 'softmax', name: 'cls' }).apply(m);
  const reg = L.dense({ units: 1, name: 'price' }).apply(m);
  const model = bp.model({ inputs: [a, b], outputs: [cls, reg], seed });
  model.compile({
    optimizer: bp.optimizers.adam({ learningRate: 0.01 }),
    loss: { cls: 'sparseCategoricalCrossentropy', price: 'mse' },
    lossWeights: { cls: 1, price: 0.3 },
    metrics: { cls: ['accuracy'] },
  });
  return model;
}

function data() {
  const rng = new bp.Rng(2);
  const X = Float32Array.from({ length: ROWS * 12 }, () => rng.uniform(-1, 1));
  const T = Int32Array.from({ length: ROWS * 6 }, () => rng.int(50));
  const cls = Int32Array.from({ length: ROWS }, (_, i) => (X[i * 12] > 0 ? 1 : X[i * 12 + 1] > 0 ? 2 : 0));
  const price = Float32Array.from({ length: ROWS }, (_, i) => X[i * 12 + 2] + T[i * 6] / 50);
  return { X, T, cls, price };
}

/** Rows [start, end) as a batch element of named tensors (views, no copy). */
function batchOf(d: ReturnType<typeof data>, start: number, end: number) {
  const n = end - start;
  return {
    xs: {
      features: bp.tensor(d.X.subarray(start * 12, end * 12), [n, 12]),
      tokens: { data: d.T.subarray(start * 6, end * 6), shape: [n, 6], dtype: 'int32' as const },
    },
    ys: { cls: d.cls.subarray(start, end), price: bp.tensor(d.price.subarray(start, end), [n, 1]) },
  };
}

function batches(d: ReturnType<typeof data>, size = B) {
  return bp.data.generator(function* () {
    for (let s = 0; s < ROWS; s += size) yield batchOf(d, s, Math.min(ROWS, s + size));
  });
}

const weights = (m: bp.LayersModel) => m.getWeights().map((w) => Array.from(w.data));

describe('fitDataset on a model with several inputs and outputs', () => {
  test('named batches train as fit does on the same batches, bit for bit; evaluateDataset as evaluate', async () => {
    const d = data();
    const x = { features: bp.tensor(d.X, [ROWS, 12]), tokens: bp.tensor(d.T, [ROWS, 6]) };
    const y = { cls: d.cls, price: bp.tensor(d.price, [ROWS, 1]) };
    const a = twoHeads();
    const ha = await a.fit(x, y, { epochs: 3, batchSize: B, shuffle: false, validationData: [x, y], verbose: 0 });
    const b = twoHeads();
    const hb = await b.fitDataset(batches(d), { epochs: 3, validationData: [x, y], verbose: 0 });
    expect(weights(b)).toEqual(weights(a));
    expect(hb.history).toEqual(ha.history);
    expect(Object.keys(hb.history).sort()).toEqual(
      [
        'loss',
        'cls_loss',
        'price_loss',
        'cls_accuracy',
        'val_loss',
        'val_cls_loss',
        'val_price_loss',
        'val_cls_accuracy',
      ].sort(),
    );
    // One batch of every row: the same sums as evaluate's single batch.
    const viaDataset = await b.evaluateDataset(batches(d, ROWS));
    expect(viaDataset).toEqual(b.evaluate(x, y, { batchSize: ROWS }));
  });

  test('a batch missing, adding or misshaping an entry is refused with its name', async () => {
    const d = data();
    const good = batchOf(d, 0, 8);
    const cases: [unknown, RegExp][] = [
      [
        { xs: good.xs.features, ys: good.ys },
        /this model has 2 inputs \('features', 'tokens'\): 'xs' must be a record/,
      ],
      [{ xs: { features: good.xs.features }, ys: good.ys }, /'xs' has no entry for the input 'tokens'/],
      [{ xs: { ...good.xs, extra: good.xs.features }, ys: good.ys }, /'xs' has an entry 'extra'/],
      [{ xs: good.xs, ys: { cls: good.ys.cls } }, /'ys' has no entry for the output 'price'/],
      [
        { xs: { ...good.xs, features: bp.tensor(d.X.subarray(0, 7 * 12), [7, 12]) }, ys: good.ys },
        /'xs.tokens' has 8 rows but 'features' has 7/,
      ],
      [
        {
          xs: {
            ...good.xs,
            tokens: bp.tensor(
              Float32Array.from({ length: 48 }, () => 0.5),
              [8, 6],
            ),
          },
          ys: good.ys,
        },
        /'xs.tokens' has 0.5 in row 0; this input takes integer ids/,
      ],
      [{ xs: good.xs, ys: { ...good.ys, cls: Int32Array.from({ length: 8 }, () => 3) } }, /'ys.cls' value 3/],
    ];
    for (const [el, message] of cases) {
      const m = twoHeads();
      await expect(m.fitDataset(bp.data.array([el]), { epochs: 1, verbose: 0 })).rejects.toThrow(message);
    }
  });
});
