/**
 * `backprop train --data big.csv --target y --stream`: training on a CSV streamed from disk (csvDataset +
 * fitDataset) instead of loaded into memory. The test rows are a seeded split of the file's rows (by row,
 * not by position; or --test-data), the scaler is fitted in one pass over the training rows and applied in
 * the loader thread, and the report's confusion matrix comes from a pass over the test rows. Memory is the
 * datasets' buffers whatever the file's size.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as bp from '../index';
import { formatLogs } from '../callbacks/progress';
import { NonFiniteLossError } from '../fit/errors';
import { fail, intOption } from './errors';
import type { Preprocessing } from './dataset';
import { confusionMatrix, renderReport } from './report';
import { buildModel, type ModelChoice } from './train-model';

/** The options of `train` the streamed path reads (train.ts's TrainOptions has them all). */
export interface StreamTrainOptions {
  data?: string;
  target?: string;
  task?: string;
  testSplit?: string;
  testData?: string;
  shuffleBuffer?: string;
  activation?: string;
  out?: string;
  report?: string;
  json?: boolean;
  // What the streamed path refuses.
  dataset?: string;
  dataIdx?: string;
  labelsIdx?: string;
  images?: string;
  sequenceLength?: string;
  text?: string;
  modelSpec?: string;
}

/** Refuses options the streamed path does not take (before anything is read). */
export function checkStreamOptions(o: StreamTrainOptions): void {
  const other = (['dataset', 'dataIdx', 'labelsIdx', 'images', 'sequenceLength', 'text', 'modelSpec'] as const).find(
    (k) => o[k] !== undefined,
  );
  if (other)
    fail(`--stream trains on a numeric CSV (--data file.csv --target column); it does not take --${kebab(other)}`);
  if (!o.data) fail('--stream needs --data file.csv (and --target)');
  if (!o.target) fail(`--data needs --target <column> (the column to predict)`);
}

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function argmax(data: ArrayLike<number>, rows: number, cols: number): Int32Array {
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let j = 1; j < cols; j++) if (data[r * cols + j] > data[r * cols + best]) best = j;
    out[r] = best;
  }
  return out;
}

export async function trainStream(
  o: StreamTrainOptions,
  choice: ModelChoice,
  epochs: number,
  normalize: string,
): Promise<void> {
  const { seed, lr, batchSize } = choice;
  const testSize = o.testSplit === undefined ? 0.2 : Number(o.testSplit);
  if (!(testSize > 0 && testSize < 1)) fail(`--test-split must be a fraction in (0, 1), got '${o.testSplit}'`);
  const task = o.task ?? 'auto';
  if (!['auto', 'classification', 'regression'].includes(task))
    fail(`--task must be 'classification' or 'regression', got '${o.task}'`);
  const buffer = intOption('shuffle-buffer', o.shuffleBuffer, 1, 10000);
  const file = o.data!;
  const target = o.target!;
  const split = (subset: 'training' | 'validation') => (o.testData ? {} : { validationSplit: testSize, subset, seed });
  // The file's columns and classes (a scan when the task is not given as regression).
  const probe = bp.data.csvDataset(file, { target, task: task as 'auto', ...split('training') });
  const info = await probe.info();
  const classification = info.task === 'classification';
  const known = { target, task: info.task, classes: info.classes, columns: info.featureNames };
  let scaler: bp.data.Scaler | undefined;
  if (normalize !== 'none') {
    scaler = normalize === 'standard' ? bp.data.standardScaler() : bp.data.minMaxScaler();
    await scaler.fitDataset(bp.data.csvDataset(file, { ...known, batchSize: 4096, ...split('training') }));
  }
  const train = bp.data.csvDataset(file, {
    ...known,
    batchSize,
    shuffle: { buffer, seed },
    scaler,
    ...split('training'),
  });
  const test = bp.data.csvDataset(o.testData ?? file, { ...known, batchSize: 1024, scaler, ...split('validation') });
  const nf = info.featureNames.length;
  const outUnits = classification ? info.classes!.length : 1;
  const loss = choice.loss ?? (classification ? 'sparseCategoricalCrossentropy' : 'meanSquaredError');
  const metrics = classification ? ['accuracy'] : ['mae'];
  const model = buildModel(choice, [nf], outUnits, classification, batchSize, loss, metrics);
  const pre: Preprocessing = {
    featureNames: info.featureNames,
    targetName: target,
    task: info.task!,
    classes: info.classes,
    scaler: scaler?.toJSON(),
  };
  model.metadata.preprocessing = pre;
  const modelText = `${model.layers.map((l) => l.className).join(' → ')} on [${nf}]`;
  const json = !!o.json;
  const testName = o.testData ? o.testData : `${Math.round(testSize * 100)}% of the rows (seed ${seed})`;
  if (!json)
    process.stdout.write(
      `backprop train: ${file} streamed, test ${testName}, ${info.task}` +
        `${classification ? ` (${info.classes!.length} classes)` : ''}; model ${modelText}; ` +
        `backend ${bp.getBackend().name}\n`,
    );
  const t0 = performance.now();
  let epochStart = t0;
  let rows = 0;
  const jsonLines = {
    onEpochBegin: () => {
      epochStart = performance.now();
      rows = 0;
    },
    onBatchEnd: (_: number, logs?: Record<string, number>) => void (rows += logs?.size ?? 0),
    onEpochEnd: (epoch: number, logs?: Record<string, number>) => {
      const seconds = (performance.now() - epochStart) / 1000;
      const line = {
        epoch: epoch + 1,
        ...logs,
        seconds: +seconds.toFixed(3),
        samplesPerSecond: Math.round(rows / seconds),
      };
      process.stdout.write(`${JSON.stringify(line)}\n`);
    },
  };
  let history: bp.History;
  try {
    history = await model.fitDataset(train, {
      epochs,
      validationData: test,
      callbacks: json ? [jsonLines] : [],
      verbose: json ? 0 : process.stdout.isTTY ? 1 : 2,
    });
  } catch (e) {
    if (!(e instanceof NonFiniteLossError)) throw e;
    return fail(
      `training diverged: the loss is ${e.loss} at epoch ${e.epoch}, batch ${e.batch}; lower --lr (now ${lr}) ` +
        'or check the data for extreme values',
    );
  }
  const seconds = (performance.now() - t0) / 1000;
  const final = await model.evaluateDataset(test);
  let confusion: { classes: string[]; matrix: number[][] } | undefined;
  if (classification) {
    const k = info.classes!.length;
    const matrix = Array.from({ length: k }, () => new Array<number>(k).fill(0));
    await test.forEachAsync((b) => {
      const n = b.xs.shape[0];
      const out = model.predict(b.xs as bp.Tensor);
      const predicted = argmax(out.data, n, k);
      const m = confusionMatrix(predicted, b.ys!.data as Int32Array, k);
      for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) matrix[i][j] += m[i][j];
    });
    confusion = { classes: info.classes!, matrix };
  }
  if (o.out) await model.save(o.out);
  if (o.report) {
    const pass = train.lastPass;
    const html = renderReport({
      title: `backprop training report: ${path.basename(file)}`,
      settings: {
        data: `${file} (streamed)`,
        task: info.task!,
        model: modelText,
        activation: o.activation ?? 'relu',
        loss,
        optimizer: choice.optimizer,
        'learning rate': lr,
        epochs,
        'batch size': batchSize,
        'shuffle buffer': buffer,
        seed,
        normalize,
        backend: bp.getBackend().name,
        'training rows': pass?.rows ?? 0,
        'test rows (validation)': test.lastPass?.rows ?? 0,
        'training time (s)': +seconds.toFixed(2),
      },
      final,
      history: history.history,
      confusion,
    });
    fs.mkdirSync(path.dirname(path.resolve(o.report)), { recursive: true });
    fs.writeFileSync(o.report, html);
  }
  if (json)
    process.stdout.write(
      `${JSON.stringify({
        done: true,
        test: final,
        seconds: +seconds.toFixed(3),
        model: o.out ?? null,
        report: o.report ?? null,
      })}\n`,
    );
  else {
    process.stdout.write(`test: ${formatLogs(final)}  (${seconds.toFixed(1)}s)\n`);
    if (o.out) process.stdout.write(`saved model to ${o.out}\n`);
    if (o.report) process.stdout.write(`wrote report ${o.report}\n`);
  }
}
