/**
 * imageFolderDataset: a folder of PNG/JPEG images (one subfolder per class, as loadImageFolder and Keras'
 * `image_dataset_from_directory`) streamed as `{ xs: [batch, height, width, channels], ys }` batches. Worker
 * threads read, decode and resize each batch's images straight into a batch slot in shared memory; the main
 * thread only hands out file names. Only the file list is held in memory, never the images. The folder is
 * walked and checked once (links, counts, limits), the split is loadImageFolder's (the same files), and the
 * training order is reshuffled every pass from the seed.
 */
import * as os from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { BatchTensor } from '../../fit/dataset-protocol';
import { Rng } from '../../random';
import { planImageFolder, type Found, type ImageFolderOptions, type ImageFolderPlan } from '../image-folder';
import { channelsOf } from '../image-pixels';
import { derived, type Dataset } from './dataset';
import type { ImageDone, ImageJob } from './image-worker';
import type { Pass } from './ops';
import { passSeed, randomSeed } from './seeds';
import { floatView, int32View } from './shared-memory';
import { acquireWorkers, discardWorkers, releaseWorkers } from './worker-pool';

export interface ImageFolderDatasetOptions extends Omit<ImageFolderOptions, 'maxBytes'> {
  /** Images per batch (default 32, as Keras). */
  batchSize?: number;
  /** With validationSplit: which part this dataset yields. */
  subset?: 'training' | 'validation';
  /** Batches prepared ahead of training (default 2; each decoding thread also fills one). */
  prefetch?: number;
  /** Decoding threads (default: the cores but one, 1 to 4). */
  workers?: number;
}

/** A batch of an image folder: xs [n, height, width, channels] in [0, 1]; ys as labelMode says. */
export interface ImageBatch {
  xs: BatchTensor;
  ys?: BatchTensor;
}

const WHO = 'imageFolderDataset()';

/** A pass: batches dispatched to decoding threads ahead of the consumer, yielded in order. */
async function* imagePass(
  plan: ImageFolderPlan,
  files: Found[],
  o: Required<Pick<ImageFolderDatasetOptions, 'batchSize' | 'prefetch' | 'workers'>>,
): Pass<ImageBatch> {
  const { height, width, mode } = plan;
  const per = height * width * channelsOf(mode);
  const B = o.batchSize;
  const nBatches = Math.ceil(files.length / B);
  const threads = Math.max(1, Math.min(o.workers, nBatches));
  const slots = o.prefetch + threads;
  const x = new SharedArrayBuffer(slots * B * per * 4);
  const xs = floatView('float32', x) as Float32Array;
  const classes = plan.classNames.length;
  const yPer = !plan.labelled ? 0 : plan.labelMode === 'categorical' ? classes : 1;
  const yBuf = yPer ? new SharedArrayBuffer(slots * B * yPer * 4) : null;
  const ys = !yBuf ? null : plan.labelMode === 'int' ? int32View(yBuf) : (floatView('float32', yBuf) as Float32Array);
  const workers: Worker[] = acquireWorkers(threads);
  const done = new Map<number, ImageDone>();
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  const onMessage = (m: ImageDone) => {
    done.set(m.id, m);
    wake?.();
  };
  const onError = (e: Error) => {
    failure ??= new Error(`${WHO}: an image decoding thread failed: ${e.message}`);
    wake?.();
  };
  const onExit = (code: number) => {
    failure ??= new Error(`${WHO}: an image decoding thread exited (code ${code})`);
    wake?.();
  };
  for (const w of workers) w.on('message', onMessage).on('error', onError).on('exit', onExit);
  let dispatched = 0,
    released = 0,
    clean = false; // every batch decoded: the threads are idle and can be reused
  const dispatch = () => {
    while (dispatched < nBatches && dispatched - released < slots) {
      const k = dispatched++;
      const s = k % slots;
      const batch = files.slice(k * B, Math.min(files.length, (k + 1) * B));
      const job: ImageJob = {
        type: 'image-batch',
        id: k,
        files: batch.map((f) => f.file),
        offset: s * B * per,
        x,
        height,
        width,
        mode,
        maxPixels: plan.maxPixels,
        maxFileBytes: plan.maxFileBytes,
      };
      workers[k % threads].postMessage(job);
      if (ys) {
        const base = s * B * yPer;
        if (plan.labelMode === 'categorical') ys.fill(0, base, base + batch.length * yPer);
        batch.forEach((f, i) => {
          if (plan.labelMode === 'categorical') ys[base + i * yPer + f.label] = 1;
          else ys[base + i] = f.label;
        });
      }
    }
  };
  try {
    dispatch();
    for (let k = 0; k < nBatches; k++) {
      while (!done.has(k) && !failure) {
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
      }
      if (failure) throw failure;
      const m = done.get(k)!;
      done.delete(k);
      if (m.error) throw new Error(`${WHO}: ${m.error.file}: ${m.error.message}; remove or replace the file`);
      const s = k % slots;
      const rows = Math.min(B, files.length - k * B);
      const el: ImageBatch = {
        xs: {
          data: xs.subarray(s * B * per, (s * B + rows) * per),
          shape: [rows, height, width, per / (height * width)],
          dtype: 'float32',
        },
      };
      if (ys)
        el.ys = {
          data: ys.subarray(s * B * yPer, (s * B + rows) * yPer),
          shape: plan.labelMode === 'int' ? [rows] : [rows, yPer],
          dtype: plan.labelMode === 'int' ? 'int32' : 'float32',
        };
      let gone = false;
      yield {
        value: el,
        borrowed: true,
        release: () => {
          if (gone) return;
          gone = true;
          released++;
          dispatch();
        },
        progress: (k + 1) / nBatches,
      };
    }
    clean = true;
  } finally {
    for (const w of workers) w.off('message', onMessage).off('error', onError).off('exit', onExit);
    // Threads still decoding a batch nobody will read are stopped, not reused.
    if (clean) releaseWorkers(workers);
    else discardWorkers(workers);
  }
}

/**
 * A folder of images as a dataset streamed from disk, decoded in worker threads (see the file comment).
 * Options as loadImageFolder's, plus `batchSize`, `subset` ('training' / 'validation' with
 * validationSplit), `prefetch` and `workers`.
 * @example
 * const opts = { imageSize: [64, 64], validationSplit: 0.2, seed: 1, batchSize: 32 } as const;
 * const train = bp.data.imageFolderDataset('photos', { ...opts, subset: 'training' });
 * const val = bp.data.imageFolderDataset('photos', { ...opts, subset: 'validation' });
 * await model.fitDataset(train, { epochs: 10, validationData: val });
 */
export function imageFolderDataset(
  dir: string,
  options: ImageFolderDatasetOptions = {},
): Dataset<ImageBatch> & {
  classNames: string[];
  files: string[];
  skipped: string[];
} {
  if (!options || typeof options !== 'object') throw new Error(`${WHO}: options must be an object`);
  const { batchSize = 32, subset, prefetch = 2, workers, ...folder } = options;
  for (const [k, v, max] of [
    ['batchSize', batchSize, 2 ** 16],
    ['prefetch', prefetch, 1024],
    ['workers', workers ?? 1, 64],
  ] as const)
    if (!Number.isSafeInteger(v) || v < 1 || v > max)
      throw new Error(`${WHO}: '${k}' must be an integer in [1, ${max}]`);
  if ((subset === undefined) !== (folder.validationSplit === undefined))
    throw new Error(`${WHO}: 'validationSplit' and 'subset' ('training' or 'validation') go together`);
  if (subset !== undefined && subset !== 'training' && subset !== 'validation')
    throw new Error(`${WHO}: 'subset' must be 'training' or 'validation'`);
  const seed = folder.seed ?? randomSeed();
  const plan = planImageFolder(dir, { ...folder, seed }, WHO);
  const files =
    subset === 'validation'
      ? plan.found.slice(plan.found.length - plan.nVal)
      : plan.found.slice(0, plan.found.length - plan.nVal);
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const o = { batchSize, prefetch, workers: workers ?? Math.max(1, Math.min(4, cores - 1)) };
  const reshuffle = folder.shuffle !== false;
  const ds = derived(
    (pass) => imagePass(plan, reshuffle ? new Rng(passSeed(seed, pass)).shuffle(files.slice()) : files, o),
    () => Math.ceil(files.length / batchSize),
  );
  return Object.assign(ds, {
    classNames: [...plan.classNames],
    files: files.map((f) => f.file),
    skipped: plan.skipped,
  });
}
