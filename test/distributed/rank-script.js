// One rank of the distributed tests (test/distributed): builds a model, trains it and writes its weights and
// history as JSON to argv[2]. Settings come from BACKPROP_* variables (as `backprop launch` would set them)
// and from TEST_CASE (JSON). Runs the compiled package (dist/), as a user's script would.
const fs = require('node:fs');
const path = require('node:path');
const bp = require(path.resolve(__dirname, '../../dist'));

const tc = JSON.parse(process.env.TEST_CASE || '{}');
// `{rank}` in the output path is replaced by the rank (several ranks started by `backprop launch`).
const out = process.argv[2].replace('{rank}', process.env.BACKPROP_RANK ?? 'single');
const L = bp.layers;

function data(rows, cols, classes) {
  const rng = new bp.Rng(7);
  const x = Float32Array.from({ length: rows * cols }, () => rng.uniform(-1, 1));
  const y = new Float32Array(rows * classes);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += x[r * cols + c] * (c % 3 === 0 ? 1 : -0.5);
    y[r * classes + (s > 0.3 ? 0 : s < -0.3 ? 1 : 2)] = 1;
  }
  return { x: bp.tensor(x, [rows, cols]), y: bp.tensor(y, [rows, classes]) };
}

function build(kind, seed, hidden) {
  if (kind === 'graph') {
    const a = bp.input({ shape: [6] });
    const h = L.dense({ units: hidden, activation: 'tanh' }).apply(a);
    const g = L.dense({ units: hidden, activation: 'relu' }).apply(a);
    const m = L.concatenate().apply([h, g]);
    return bp.model({ inputs: a, outputs: L.dense({ units: 3, activation: 'softmax' }).apply(m), seed });
  }
  const layers = [L.dense({ units: hidden, activation: 'tanh', inputShape: [6] })];
  if (kind === 'dropout') layers.push(L.dropout({ rate: 0.3 }));
  if (kind === 'bn') layers.push(L.batchNormalization());
  layers.push(L.dense({ units: 3, activation: 'softmax' }));
  return bp.sequential({ seed, layers });
}

(async () => {
  const distributed = process.env.BACKPROP_WORLD_SIZE !== undefined;
  if (distributed) await bp.distributed.init({ timeoutMs: tc.timeoutMs ?? 20000, ...(tc.init ?? {}) });
  const rank = distributed ? bp.distributed.rank() : 0;
  if (tc.exitRank === rank) process.exit(3);
  // Each rank starts from other weights: fit must broadcast rank 0's.
  const model = build(
    tc.kind ?? 'mlp',
    (tc.seed ?? 1) + 1000 * rank,
    rank === 1 && tc.otherModel ? 9 : (tc.hidden ?? 8),
  );
  model.compile({
    optimizer: tc.sgd ? bp.optimizers.sgd({ learningRate: 0.1 }) : bp.optimizers.adam({ learningRate: 0.01 }),
    // With nanRow: cross-entropy plus log(2 - yTrue), constant in the weights but -Infinity on the marked row.
    loss:
      tc.nanRow === undefined
        ? 'categoricalCrossentropy'
        : (t, p) => {
            const o = bp.ops;
            const ce = o.neg(o.sum(o.mul(t, o.log(o.clipByValue(p, 1e-7, 1))), -1));
            return o.add(o.mean(ce), o.mean(o.log(o.sub(2, t))));
          },
    metrics: ['accuracy'],
  });
  const { x, y } = data(tc.rows ?? 96, 6, 3);
  if (tc.nanRow !== undefined) y.data[tc.nanRow * 3] = 2; // marks the row whose loss is not finite (below)
  const epochCallback = {
    onEpochEnd(epoch) {
      process.stdout.write(JSON.stringify({ event: 'epoch', epoch, rank }) + '\n');
    },
  };
  const fitting = model.fit(x, y, {
    epochs: tc.epochs ?? 3,
    batchSize: tc.batchSize ?? 8,
    shuffle: tc.shuffle ?? false,
    distributed,
    callbacks: [epochCallback],
    yieldEveryMs: tc.slow ? 0 : 10,
  });
  if (tc.concurrent) {
    // A second distributed fit while the first runs: refused, the first unharmed.
    const second = build(tc.kind ?? 'mlp', 5, 4);
    second.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    await second.fit(x, y, { epochs: 1, distributed }).then(
      () => process.stdout.write('CONCURRENT fit ran\n'),
      (e) => process.stdout.write(`CONCURRENT ${e.message}\n`),
    );
  }
  const history = await fitting;
  let other;
  if (tc.thenOther) {
    // Another model (other weight shapes) in the same group, then the first one again: each fit makes its buckets.
    other = build(tc.kind ?? 'mlp', (tc.seed ?? 1) + 1000 * rank + 1, tc.thenOther);
    other.compile({ optimizer: bp.optimizers.sgd({ learningRate: 0.1 }), loss: 'categoricalCrossentropy' });
    await other.fit(x, y, { epochs: 1, batchSize: tc.batchSize ?? 8, shuffle: false, distributed, verbose: 0 });
    await model.fit(x, y, { epochs: 1, batchSize: tc.batchSize ?? 8, shuffle: false, distributed, verbose: 0 });
  }
  const weights = [model, ...(other ? [other] : [])].flatMap((m, i) =>
    m.getWeights().map((w) => ({ name: `${i}/${w.name}`, data: Array.from(w.data) })),
  );
  const stats = distributed ? bp.distributed.fitStats() : undefined;
  // The CPUs each thread may run on (`backprop launch` binds ranks): one entry per distinct list.
  const allowed = (t) => {
    try {
      return /^Cpus_allowed_list:\s*(\S+)/m.exec(fs.readFileSync(`/proc/self/task/${t}/status`, 'utf8'))[1];
    } catch {
      return null; // the thread ended meanwhile
    }
  };
  const cpus = [...new Set(fs.readdirSync('/proc/self/task').map(allowed))].filter((c) => c !== null);
  fs.writeFileSync(out, JSON.stringify({ rank, weights, history: history.history, stats, cpus }));
  if (distributed) await bp.distributed.destroy();
})().catch((e) => {
  process.stderr.write(`RANK-ERROR ${e.message}\n`);
  process.exit(2);
});
