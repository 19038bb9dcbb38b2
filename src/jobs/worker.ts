/**
 * The training worker: builds (or loads, or resumes) the model, trains with progress messages, checks
 * the cancel flag after every batch, checkpoints every epoch, and fails with a clear error on a
 * non-finite loss. Runs inside a worker_thread started by the jobs API.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as bp from '../index';
import type { ModelSpec, SharedMatrix, StartMessage, WorkerMessage } from './protocol';
import { modelArtifacts } from '../io/save';

const post = (m: WorkerMessage, transfer: ArrayBuffer[] = []) => parentPort!.postMessage(m, transfer);

function view(m: SharedMatrix): Float32Array | Float64Array | Int32Array {
  const C = m.kind === 'float64' ? Float64Array : m.kind === 'int32' ? Int32Array : Float32Array;
  return new C(m.buffer as ArrayBuffer, m.byteOffset, m.length);
}

export function buildFromSpec(spec: ModelSpec): bp.Sequential {
  if (!spec || !Array.isArray(spec.layers) || spec.layers.length === 0)
    throw new Error(`jobs: 'model.layers' must be a non-empty array`);
  const model = bp.sequential({ seed: spec.seed ?? 0, dtype: spec.dtype });
  for (const l of spec.layers) {
    const type = l.type ?? 'dense';
    if (type === 'dense')
      model.add(bp.layers.dense({ units: l.units as number, activation: l.activation, inputShape: l.inputShape }));
    else if (type === 'dropout') model.add(bp.layers.dropout({ rate: l.rate as number }));
    else if (type === 'activation') model.add(bp.layers.activation({ activation: l.activation as string }));
    else throw new Error(`jobs: unknown layer type '${type}'; use dense, dropout or activation`);
  }
  const o = spec.compile?.optimizer;
  const optimizer =
    typeof o === 'string' || o === undefined
      ? (o ?? 'adam')
      : bp.optimizers.getOptimizer(o.name) &&
        (
          {
            sgd: bp.optimizers.sgd,
            rmsprop: bp.optimizers.rmsprop,
            adagrad: bp.optimizers.adagrad,
            adam: bp.optimizers.adam,
            adamw: bp.optimizers.adamw,
          } as Record<string, (a: { learningRate?: number }) => bp.Optimizer>
        )[o.name.toLowerCase()]({ learningRate: o.learningRate });
  model.compile({ optimizer, loss: spec.compile.loss, metrics: spec.compile.metrics });
  return model;
}

async function main(msg: StartMessage): Promise<void> {
  bp.setThreads(msg.blasThreads);
  if (msg.backend) bp.setBackend(msg.backend);
  const cancel = new Int32Array(msg.cancelFlag);
  const ckpt = msg.checkpointDir;
  let model: bp.Sequential;
  if (ckpt && fs.existsSync(path.join(ckpt, 'model.json')))
    model = await bp.loadLayersModel(ckpt); // resume
  else if ('path' in msg.model) model = await bp.loadLayersModel(msg.model.path);
  else model = buildFromSpec(msg.model);
  if (!model.optimizer)
    throw new Error(
      `jobs: the model at ${'path' in msg.model ? msg.model.path : ckpt} has no training config; save it with ` +
        `includeOptimizer or give a model spec`,
    );

  const x = bp.tensor2d(view(msg.x) as Float32Array, msg.x.shape, msg.x.kind === 'float64' ? 'float64' : 'float32');
  const yView = view(msg.y);
  const y =
    yView instanceof Int32Array
      ? yView
      : bp.tensor2d(yView, msg.y.shape, msg.y.kind === 'float64' ? 'float64' : 'float32');
  const epochs = msg.fit.epochs ?? 1;
  const batchSize = msg.fit.batchSize ?? 32;
  const trainRows = Math.floor(x.shape[0] * (1 - (msg.fit.validationSplit ?? 0)));
  const batches = Math.ceil(trainRows / Math.min(batchSize, trainRows));
  let cancelled = false;
  let epochStart = 0,
    lastPost = 0,
    epochNow = 0,
    seen = 0;
  const t0 = performance.now();
  const initialEpoch = model.trainingState.epoch;
  const totalSamples = (epochs - initialEpoch) * trainRows;
  let doneSamples = 0;

  const callbacks: bp.callbacks.CallbackHooks = {
    onEpochBegin: (e) => {
      epochNow = e;
      epochStart = performance.now();
      seen = 0;
    },
    onBatchEnd: (b, logs = {}) => {
      if (!Number.isFinite(logs.loss))
        throw new Error(
          `training diverged: the loss is ${logs.loss} at epoch ${epochNow + 1}, batch ${b + 1} (check the data ` +
            `for NaN/Infinity, or lower the learning rate)`,
        );
      seen += logs.size ?? 0;
      doneSamples += logs.size ?? 0;
      Atomics.add(cancel, 1, 1);
      if (Atomics.load(cancel, 0) === 1) {
        cancelled = true;
        model.stopTraining = true;
      }
      const now = performance.now();
      if (now - lastPost >= msg.progressEveryMs) {
        lastPost = now;
        const rate = seen / Math.max((now - epochStart) / 1000, 1e-9);
        const overall = doneSamples / Math.max((now - t0) / 1000, 1e-9);
        post({
          type: 'progress',
          event: {
            kind: 'batch',
            epoch: epochNow + 1,
            epochs,
            batch: b + 1,
            batches,
            loss: logs.loss,
            metrics: {},
            samplesPerSecond: Math.round(rate),
            etaSeconds: +((totalSamples - doneSamples) / overall).toFixed(1),
          },
        });
      }
    },
    onEpochEnd: async (e, logs = {}) => {
      if (!Number.isFinite(logs.loss))
        throw new Error(`training diverged: the loss is ${logs.loss} after epoch ${e + 1}`);
      const seconds = (performance.now() - epochStart) / 1000;
      const { loss, ...metrics } = logs;
      const overall = doneSamples / Math.max((performance.now() - t0) / 1000, 1e-9);
      post({
        type: 'progress',
        event: {
          kind: 'epoch',
          epoch: e + 1,
          epochs,
          batch: batches,
          batches,
          loss,
          metrics,
          samplesPerSecond: Math.round(seen / seconds),
          etaSeconds: +((totalSamples - doneSamples) / overall).toFixed(1),
        },
      });
      if (ckpt && !cancelled) {
        await model.save(ckpt, { includeOptimizer: true });
        post({ type: 'checkpoint', epoch: e + 1, dir: ckpt });
      }
    },
  };
  const history = await model.fit(x, y as never, {
    epochs,
    batchSize,
    shuffle: msg.fit.shuffle,
    validationSplit: msg.fit.validationSplit,
    initialEpoch,
    verbose: 0,
    callbacks: [callbacks],
  });
  if (cancelled && ckpt && model.trainingState.epoch > 0) {
    // the cancelled epoch is incomplete: the checkpoint stays at the last complete epoch
  }
  const weights = model.weights().map((p) => {
    const copy = p.value.slice();
    return {
      data: copy.buffer as ArrayBuffer,
      kind: (copy instanceof Float64Array ? 'float64' : 'float32') as 'float32' | 'float64',
    };
  });
  const { json } = modelArtifacts(model);
  post(
    {
      type: 'done',
      cancelled,
      batchesDone: Atomics.load(cancel, 1),
      history: history.history,
      epochs: history.epoch,
      weights,
      modelJson: json,
    },
    weights.map((w) => w.data),
  );
}

if (parentPort && workerData?.backpropJobWorker) {
  parentPort.once('message', (msg: StartMessage) => {
    main(msg).catch((e: Error) => post({ type: 'error', message: e.message }));
  });
}
