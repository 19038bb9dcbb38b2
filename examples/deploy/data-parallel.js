#!/usr/bin/env node
/**
 * One model trained by several processes (data-parallel over Gloo): each rank trains on its share of the
 * MNIST digits, gradients are averaged over the ranks every step, rank 0 prints progress and saves the model.
 *
 * On one machine (2 ranks, loopback, a temporary rendezvous directory):
 *   npx backprop launch --nproc 2 examples/deploy/data-parallel.js --out digits-model
 * On two machines sharing /mnt/shared (run on each, with --node-rank 0 and 1, the same --run-id):
 *   npx backprop launch --nproc 2 --nnodes 2 --node-rank 0 --store /mnt/shared/rendezvous --iface eth0 \
 *     --run-id digits-1 examples/deploy/data-parallel.js --out /mnt/shared/digits-model
 * Needs libgloo-dev when backprop is built (apt-get install libgloo-dev).
 * Through the job queue instead (no script: a JSON spec, workers started with --iface; see README):
 *   npx backprop submit --spec job.json --ranks 2 --wait
 */
const { parseArgs } = require('node:util');
const bp = require('../..');

const { values: args } = parseArgs({
  options: {
    out: { type: 'string' },
    epochs: { type: 'string', default: '5' },
    batch: { type: 'string', default: '64' },
  },
});

async function main() {
  await bp.distributed.init(); // BACKPROP_RANK, BACKPROP_WORLD_SIZE, BACKPROP_STORE, BACKPROP_IFACE from launch
  const rank = bp.distributed.rank();
  const { train, test } = bp.data.digits({ seed: 0 });
  const L = bp.layers;
  const model = bp.sequential({
    seed: 1,
    layers: [
      L.dense({ units: 256, activation: 'relu', inputShape: [784] }),
      L.dense({ units: 128, activation: 'relu' }),
      L.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  // batchSize is per rank: the global batch is batchSize × worldSize. Callbacks run on rank 0 only.
  await model.fit(train.x, train.y, {
    epochs: Number(args.epochs),
    batchSize: Number(args.batch),
    validationData: [test.x, test.y],
    distributed: true,
    callbacks: {
      onEpochEnd: (epoch, logs) =>
        console.log(`epoch ${epoch + 1}: loss ${logs.loss.toFixed(4)}, val_accuracy ${logs.val_accuracy.toFixed(4)}`),
    },
  });
  if (rank === 0 && args.out) await model.save(args.out);
  await bp.distributed.destroy();
}

main().catch((e) => {
  console.error(`rank ${process.env.BACKPROP_RANK}: ${e.message}`);
  process.exit(1);
});
