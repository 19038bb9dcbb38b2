/**
 * The data of a job that streams its CSV from disk (`data: { csv, target, stream: true }`), in the job's
 * worker thread: the file's columns and classes before the model is built, then the training and
 * validation datasets for fitDataset.
 */
import { csvDataset } from '../data/dataset/csv-dataset';
import type { JobData, JobDataInfo, StartMessage } from './protocol';

/** A CSV job with streaming options. */
export type Streamed = Extract<JobData, { kind: 'csv' }> & {
  stream: NonNullable<Extract<JobData, { kind: 'csv' }>['stream']>;
};

/**
 * The dataset options every pass shares: a store's file is named by its key, and its errors quote nothing
 * of it (they go to other machines), as a loaded store file's.
 */
function baseOptions(data: Streamed) {
  const { maxRows: _, ...options } = data.options;
  return {
    ...options,
    name: data.options.name ?? data.store?.names[0] ?? data.path,
    ...(data.store ? { quoteContent: false } : {}),
    target: data.target,
    skipBadRows: data.stream.skipBadRows,
  };
}

/** The file's columns, task and classes (a scan of the target column finds them unless given). */
export async function streamInfo(data: Streamed): Promise<JobDataInfo> {
  const probe = csvDataset(data.path, baseOptions(data));
  const i = await probe.info();
  return { featureNames: i.featureNames, targetName: data.target, task: i.task, classes: i.classes };
}

/**
 * The streamed training (and validation) batches: validationSplit holds out rows chosen by the model's seed,
 * and the shuffle's order is the seed's too, so a job resumed from its checkpoint reads what the
 * uninterrupted one would have.
 */
export function streamDatasets(data: Streamed, info: JobDataInfo, fit: StartMessage['fit'], seed: number) {
  const known = { ...baseOptions(data), task: info.task, classes: info.classes, columns: info.featureNames };
  const v = fit.validationSplit;
  const split = (subset: 'training' | 'validation') => (v ? { validationSplit: v, subset, seed } : {});
  const train = csvDataset(data.path, {
    ...known,
    batchSize: fit.batchSize ?? 32,
    shuffle: fit.shuffle === false ? false : { buffer: data.stream.shuffleBuffer, seed },
    ...split('training'),
  });
  const val = v ? csvDataset(data.path, { ...known, batchSize: 1024, ...split('validation') }) : undefined;
  return { train, val };
}
