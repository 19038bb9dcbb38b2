/**
 * The training worker: builds (or loads, or resumes) the model, trains with progress messages, checks
 * the cancel flag after every batch, checkpoints every epoch, and fails with a clear error on a
 * non-finite loss. Runs inside a worker_thread started by the jobs API.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as bp from '../index';
import type { JobData, JobDataInfo, SharedMatrix, StartMessage, StoreFileRead, WorkerMessage } from './protocol';
import { modelArtifacts } from '../io/save';
import { readDescriptorSync } from '../io/read-files';
import { checkModelSpec, functionalSpecModel, modelFromSpec, type FunctionalSpec } from '../model-spec';
import { checkGuard } from './store-open';
import { addEpochs, checkJobRecord, HistoryLog, recordJob, type SavedHistory } from './checkpoint-record';
import { MemoryWatch } from './memory-watch';
import { agreeWithRankZero, joinQueueGroup } from '../distributed/group';
// data larger than memory
import { streamDatasets, streamInfo, type Streamed } from './stream-data';
// models with several inputs and outputs
import { checkDataMap, checkStreamable, signatureOf } from './data-map';
import { loadMappedCsv, mappedStreams } from './mapped-csv';
import { mappedArrays } from './mapped-arrays';

const post = (m: WorkerMessage, transfer: ArrayBuffer[] = []) => parentPort!.postMessage(m, transfer);

function view(m: SharedMatrix): Float32Array | Float64Array | Int32Array {
  const C = m.kind === 'float64' ? Float64Array : m.kind === 'int32' ? Int32Array : Float32Array;
  return new C(m.buffer as ArrayBuffer, m.byteOffset, m.length);
}

/**
 * A file opened in a queue's store, read whole through `p` (the opened file's own path: store-open.ts), at
 * most `store.maxBytes`; `name` (its key) names it in errors.
 */
function readStoreFile(p: string, store: StoreFileRead, name: string): Uint8Array {
  let fd: number;
  try {
    fd = fs.openSync(p, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw new Error(`${name}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    return readDescriptorSync(fd, name, { what: 'the file', maxBytes: store.maxBytes });
  } finally {
    fs.closeSync(fd);
  }
}

/** The training arrays: views of the shared ones, or a CSV file parsed here, off the caller's thread. */
function loadData(data: Exclude<JobData, { kind: 'csvMap' | 'arraysMap' }>): {
  x: bp.Tensor2D;
  y: bp.Tensor2D | Int32Array;
  info?: JobDataInfo;
} {
  if (data.kind === 'idx') {
    const options = { normalize: data.normalize };
    const s = data.store;
    const names: [string, string] = s ? [s.names[0], s.names[1]] : [data.images, data.labels];
    const d = s
      ? bp.data.loadIdx(readStoreFile(data.images, s, names[0]), readStoreFile(data.labels, s, names[1]), {
          ...options,
          names,
        })
      : bp.data.loadIdx(data.images, data.labels, options);
    return { x: d.x, y: d.y, info: undefined };
  }
  if (data.kind === 'csv') {
    const options = { ...data.options, target: data.target };
    const name = data.options.name ?? data.store?.names[0] ?? data.path;
    // A store's file: read through the opened file, and messages (they go to other machines) quote none of it.
    const d = data.store
      ? bp.data.parseCsv(
          Buffer.from(readStoreFile(data.path, data.store, name)).toString('utf8'),
          { ...options, quoteContent: false },
          name,
        )
      : bp.data.loadCsv(data.path, options);
    const info = { featureNames: d.featureNames, targetName: d.targetName, task: d.task, classes: d.classes };
    return { x: d.x, y: d.y!, info };
  }
  const dtype = (m: SharedMatrix) => (m.kind === 'float64' ? 'float64' : 'float32');
  const x = bp.tensor2d(view(data.x) as Float32Array, data.x.shape, dtype(data.x));
  const yView = view(data.y);
  const y = yView instanceof Int32Array ? yView : bp.tensor2d(yView, data.y.shape, dtype(data.y));
  return { x, y, info: undefined };
}

/** The text of a mapped job's CSV: a store file through its opened path (bounded), else the regular file. */
function csvText(data: Extract<JobData, { kind: 'csvMap' }>, name: string): string {
  if (data.store) return Buffer.from(readStoreFile(data.path, data.store, name)).toString('utf8');
  try {
    if (!fs.statSync(data.path).isFile()) throw new Error(`${name}: not a regular file; give the path of a CSV file`);
    return fs.readFileSync(data.path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (!code) throw e;
    throw new Error(`${name}: cannot read the file (${code})`);
  }
}

/**
 * A mapped job's data (data-map.ts), its map checked against `model`'s inputs and outputs (again: the worker
 * trusts no message) before the file is read: arrays by name, or streamed batches by name.
 */
async function readMapped(
  data: Extract<JobData, { kind: 'csvMap' | 'arraysMap' }>,
  model: bp.LayersModel,
  msg: StartMessage,
) {
  const where = 'jobs.train()';
  const signature = signatureOf(model);
  if (data.kind === 'arraysMap')
    return { ...mappedArrays(data, signature), rows: data.rows, info: undefined, streams: undefined };
  const map = checkDataMap(data.map.inputs, data.map.targets, signature, where, data.options.maxColumns);
  const units = new Map(signature.outputs.map((o) => [o.name, o.shape[o.shape.length - 1]]));
  const name = data.options.name ?? data.store?.names[0] ?? data.path;
  const options = { ...data.options, name, quoteContent: !data.store };
  if (data.stream) {
    checkStreamable(map, where);
    const s = await mappedStreams(
      data.path,
      map,
      { ...options, stream: data.stream },
      msg.fit,
      model.seed,
      where,
      units,
    );
    const streams = { train: s.train, val: undefined, batches: s.trainMapped, valBatches: s.valMapped };
    return { x: undefined, y: undefined, rows: undefined, info: s.info, streams };
  }
  const d = loadMappedCsv(csvText(data, name), map, options, name, where, units);
  const rows = Object.values(d.x)[0].shape[0];
  return { ...d, rows, streams: undefined };
}

async function main(msg: StartMessage): Promise<void> {
  // Linux nice values are per thread: this lowers the job's thread only, never the caller's.
  if (msg.priority && process.platform === 'linux') os.setPriority(msg.priority);
  bp.setLimits(msg.limits);
  bp.setThreads(msg.blasThreads);
  if (msg.backend) bp.setBackend(msg.backend);
  const cancel = new Int32Array(msg.cancelFlag);
  const ckpt = msg.checkpointDir;
  // The job's memory limit counts its typed arrays too (memory-watch.ts): checked once the data is in, and the
  // model's whole need (model/step-memory.ts) must fit in what is left before anything is allocated for it.
  const memory = msg.memoryLimitBytes ? new MemoryWatch(msg.memoryLimitBytes) : undefined;
  let overLimit: Error | undefined;
  const watch = memory
    ? setInterval(() => {
        try {
          memory.check('while training');
        } catch (e) {
          overLimit = e as Error; // thrown by the next batch's end
        }
      }, 100)
    : undefined;
  watch?.unref();
  const resuming = !!ckpt && fs.existsSync(path.join(ckpt, 'model.json'));
  const loadSaved = async () => {
    if (!resuming) return bp.loadLayersModel((msg.model as { path: string }).path);
    const m = await bp.loadLayersModel(ckpt); // resume
    checkJobRecord(m.metadata, msg.specDigest, `the checkpoint directory ${msg.checkpointGuard?.key ?? ckpt}`);
    return m;
  };
  let model: bp.LayersModel | undefined;
  // Data mapped by name is checked against the model's inputs and outputs before the file is read: a saved
  // model is loaded for that first, a spec's is read unbuilt.
  const mapped = msg.data.kind === 'csvMap' || msg.data.kind === 'arraysMap' ? msg.data : undefined;
  if (mapped && (resuming || 'path' in msg.model)) model = await loadSaved();
  const mappedRead = mapped
    ? await readMapped(mapped, model ?? functionalSpecModel(msg.model as FunctionalSpec, 'jobs.train(): model'), msg)
    : undefined;
  const streamed = msg.data.kind === 'csv' && msg.data.stream ? (msg.data as Streamed) : undefined;
  const streamedInfo = streamed ? await streamInfo(streamed) : undefined;
  const { x, y, info } = mappedRead
    ? { x: mappedRead.x, y: mappedRead.y, info: mappedRead.info }
    : streamed
      ? { x: undefined, y: undefined, info: streamedInfo }
      : (loadData(msg.data as Exclude<JobData, { kind: 'csvMap' | 'arraysMap' }>) as Partial<
          ReturnType<typeof loadData>
        >);
  const rowsLoaded = mappedRead ? mappedRead.rows : x ? (x as bp.Tensor2D).shape[0] : undefined;
  if (memory) {
    memory.check('once its data is loaded');
    bp.setLimits({ maxModelBytes: Math.max(1, Math.min(bp.getLimits().maxModelBytes, memory.left())) });
  }
  if (model) {
    // loaded above, for its inputs' names
  } else if (resuming || 'path' in msg.model) model = await loadSaved();
  else {
    // Sized for the data's width (a functional spec: its declared inputs) before any weight is allocated, then built.
    const rows = Math.min(msg.fit.batchSize ?? 32, rowsLoaded ?? Infinity);
    const inputShape = mapped
      ? undefined
      : [streamedInfo ? streamedInfo.featureNames.length : (x as bp.Tensor2D).shape[1]];
    checkModelSpec(msg.model, 'jobs.train(): model', {
      inputShape,
      batchRows: Math.max(rows, 1),
      maxParameters: msg.maxParameters,
      singleInputOutput: mapped ? undefined : 'jobs.train()',
    });
    model = modelFromSpec(msg.model, 'jobs.train(): model');
    if (!model.built) model.build(inputShape);
  }
  if (!model.optimizer)
    throw new Error(
      `jobs: the model at ${'path' in msg.model ? msg.model.path : ckpt} has no training config; save it with ` +
        `includeOptimizer or give a model spec`,
    );
  // A rank of a multi-rank job joins its group once its data and model are in (a slow loader does not make
  // the others wait inside Gloo's timeout), and every rank must resume from rank 0's checkpoint epoch.
  const dist = msg.distributed;
  if (dist) {
    await joinQueueGroup(dist);
    await agreeWithRankZero('the checkpoint epoch to resume from', model.trainingState.epoch);
  }
  // Distributed, only rank 0 writes (checkpoints, history, the model); the others read the checkpoint only.
  const writer = !dist || dist.rank === 0;

  const epochs = msg.fit.epochs ?? 1;
  const batchSize = msg.fit.batchSize ?? 32;
  const single = streamed ? streamDatasets(streamed, streamedInfo!, msg.fit, model.seed) : undefined;
  const streams = mappedRead?.streams ?? (single && { ...single, batches: undefined, valBatches: undefined });
  // A stream's rows are known once its first pass has counted them: until then progress events say 0
  // batches and an ETA of -1.
  let trainRows: number | undefined = streams
    ? undefined
    : Math.floor(rowsLoaded! * (1 - (msg.fit.validationSplit ?? 0)));
  const batchesOf = (rows: number | undefined) =>
    rows === undefined ? (streams?.train.size ?? 0) : Math.ceil(rows / Math.min(batchSize, rows));
  let batches = batchesOf(trainRows);
  let cancelled = false;
  let epochStart = 0,
    lastPost = 0,
    epochNow = 0,
    seen = 0;
  const t0 = performance.now();
  // Every save of this job records it (atomically with the weights: the checkpoint record).
  recordJob(model.metadata, msg.specDigest);
  const initialEpoch = model.trainingState.epoch;
  if (ckpt && msg.checkpointGuard) checkGuard(msg.checkpointGuard);
  else if (ckpt && writer) fs.mkdirSync(ckpt, { recursive: true }); // a local job's directory (the store's exist)
  const log = ckpt && writer ? new HistoryLog(ckpt, resuming ? initialEpoch : 0) : undefined;
  post({ type: 'started', initialEpoch });
  const eta = (overall: number) =>
    trainRows === undefined ? -1 : +(((epochs - initialEpoch) * trainRows - doneSamples) / overall).toFixed(1);
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
      if (overLimit) throw overLimit;
      memory?.checkSometimes('while training');
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
            etaSeconds: eta(overall),
          },
        });
      }
    },
    onEpochEnd: async (e, logs = {}) => {
      if (!Number.isFinite(logs.loss))
        throw new Error(`training diverged: the loss is ${logs.loss} after epoch ${e + 1}`);
      const seconds = (performance.now() - epochStart) / 1000;
      if (streams && trainRows === undefined && streams.train.lastPass) {
        trainRows = streams.train.lastPass.rows;
        batches = batchesOf(trainRows);
      }
      const { loss, ...metrics } = logs;
      log?.add(e, logs);
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
          etaSeconds: eta(overall),
        },
      });
      const due = (e + 1) % msg.checkpointEvery === 0 || e + 1 === epochs;
      // Distributed, a stop takes effect at the epoch's end, so the epoch is whole and its checkpoint is kept.
      if (ckpt && writer && (!cancelled || dist) && due) {
        if (msg.checkpointGuard) checkGuard(msg.checkpointGuard);
        log!.flush(e + 1); // the epochs' logs are durable before the model.json that counts them
        await model.save(ckpt, { includeOptimizer: true });
        post({ type: 'checkpoint', epoch: e + 1, dir: ckpt });
      }
    },
  };
  // Distributed, callbacks run on rank 0 only: the other ranks see a cancel (their worker closing) through the
  // signal, which every rank agrees on at the end of the epoch.
  const abort = new AbortController();
  const cancelWatch = dist
    ? setInterval(() => {
        if (Atomics.load(cancel, 0) === 1) abort.abort();
      }, 50)
    : undefined;
  cancelWatch?.unref();
  const history = streams
    ? await model.fitDataset(streams.batches ?? streams.train, {
        epochs,
        initialEpoch,
        validationData: streams.valBatches ?? streams.val,
        verbose: 0,
        callbacks: [callbacks],
      })
    : await model.fit(x!, y as never, {
        epochs,
        batchSize,
        shuffle: msg.fit.shuffle,
        validationSplit: msg.fit.validationSplit,
        initialEpoch,
        verbose: 0,
        callbacks: [callbacks],
        ...(dist ? { distributed: true, signal: abort.signal } : {}),
      });
  clearInterval(watch);
  clearInterval(cancelWatch);
  // Distributed, a stop of another rank ends fit early on this one too: the job is not finished.
  const stoppedByGroup = !!dist && !cancelled && model.trainingState.epoch < epochs;
  if (dist) {
    if (abort.signal.aborted) cancelled = true;
    await bp.distributed.destroy();
  }
  // A cancelled epoch is incomplete: the checkpoint stays at the last complete epoch.
  if (msg.outputDir && writer) {
    if (msg.outputGuard) checkGuard(msg.outputGuard);
    await model.save(msg.outputDir, { includeOptimizer: true });
  }
  // The history of every epoch: those of earlier runs (from the checkpoint's log) and this run's.
  const all: SavedHistory = log?.past ?? { epochs: [], history: {} };
  addEpochs(
    all,
    history.epoch.map((epoch, i) => ({
      epoch,
      logs: Object.fromEntries(Object.entries(history.history).map(([k, v]) => [k, v[i]])),
    })),
  );
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
      cancelled: cancelled || stoppedByGroup,
      ...(stoppedByGroup ? { stoppedByGroup } : {}),
      batchesDone: Atomics.load(cancel, 1),
      history: all.history,
      epochs: all.epochs,
      weights,
      modelJson: json,
      dataInfo: info,
    },
    weights.map((w) => w.data),
  );
}

if (parentPort && workerData?.backpropJobWorker) {
  parentPort.once('message', (msg: StartMessage) => {
    main(msg).catch(async (e: Error) => {
      // A failed rank leaves its group first: its connections close and its rendezvous entries go.
      await bp.distributed.destroy().catch(() => undefined);
      post({ type: 'error', message: e.message });
    });
  });
}
