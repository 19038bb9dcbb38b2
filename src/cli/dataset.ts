/**
 * Where `train` gets its data: a CSV with a target column, IDX image/label files, or a built-in dataset;
 * plus the held-out test set (a split, or a second file). The preprocessing fitted here (feature order,
 * classes, scaler) is saved with the model so evaluate/predict apply exactly the same.
 */
import * as bp from '../index';
import type { Tensor2D } from '../data/tensor';
import { fail } from './errors';
import type { Tensor } from '../model/tensor';
import { sequenceInputs, type SequencePreprocessing } from './sequences';
// convolutional networks
import { idxImageShape, type ImagePreprocessing } from './image-data';

export type Task = 'classification' | 'regression';
export interface Labelled {
  x: Tensor2D;
  y: Int32Array | Tensor2D;
}
export interface Prepared {
  train: Labelled;
  test: Labelled;
  task: Task;
  classes?: string[];
  featureNames: string[];
  targetName?: string;
  source: string;
  // convolutional networks
  /** One sample as an image [height, width, channels], when the rows are images. */
  imageShape?: number[];
  /** The test images' files (an image folder). */
  testFiles?: string[];
}

/** What is saved with the model (model.metadata.preprocessing). */
export interface Preprocessing {
  featureNames: string[];
  targetName?: string;
  task: Task;
  classes?: string[];
  scaler?: bp.data.ScalerState;
  /** Sequence models: steps per sample, and for a text column its tokenizer (sequences.ts). */
  sequence?: SequencePreprocessing;
  // convolutional networks
  /** Models trained on images: their size, color mode and whether the model takes them flat. */
  image?: ImagePreprocessing;
}

export interface DataOptions {
  data?: string;
  target?: string;
  task?: string;
  dataIdx?: string;
  labelsIdx?: string;
  dataset?: string;
  testSplit?: string;
  testData?: string;
  seed: number;
  // convolutional networks
  images?: string;
}

function splitLabelled(
  x: Tensor2D,
  y: Int32Array | Tensor2D,
  testSize: number,
  seed: number,
  stratify: boolean,
): { train: Labelled; test: Labelled } {
  const s = bp.data.trainTestSplit(x, y, { testSize, seed, stratify });
  return { train: { x: s.xTrain, y: s.yTrain }, test: { x: s.xTest, y: s.yTest } };
}

/** Refuses a command line with no data source or more than one. */
export function checkOneSource(o: DataOptions): void {
  const sources = [o.data, o.dataIdx, o.dataset, o.images].filter((v) => v !== undefined).length;
  if (sources !== 1)
    fail(
      'give exactly one data source: --data file.csv --target <column>, ' +
        '--data-idx images.idx --labels-idx labels.idx, --dataset digits|xor, or --images <dir>',
    );
}

export function loadTrainingData(o: DataOptions): Prepared {
  const testSize = o.testSplit === undefined ? 0.2 : Number(o.testSplit);
  if (!(testSize > 0 && testSize < 1)) fail(`--test-split must be a fraction in (0, 1), got '${o.testSplit}'`);
  checkOneSource(o);
  if (o.dataset !== undefined) {
    if (o.dataset === 'xor') {
      const { x, y } = bp.data.xor();
      const labels = Int32Array.from(y.data);
      return {
        train: { x, y: labels },
        test: { x, y: labels },
        task: 'classification',
        classes: ['0', '1'],
        featureNames: ['a', 'b'],
        source: 'built-in xor',
      };
    }
    if (o.dataset === 'digits') {
      const d = bp.data.digits({ seed: o.seed, testFraction: testSize });
      return {
        train: d.train,
        test: d.test,
        task: 'classification',
        classes: Array.from({ length: 10 }, (_, i) => String(i)),
        featureNames: Array.from({ length: 784 }, (_, i) => `px${i}`),
        source: 'built-in digits (10,000 MNIST digits shipped in data/)',
        imageShape: [28, 28, 1],
      };
    }
    fail(`--dataset must be 'digits' or 'xor', got '${o.dataset}'`);
  }
  if (o.dataIdx !== undefined) {
    if (!o.labelsIdx) fail('--data-idx needs --labels-idx (the labels file)');
    const d = bp.data.loadIdx(o.dataIdx, o.labelsIdx);
    let k = 1; // classes: largest label + 1 (a loop: spreading a million labels into max() overflows the stack)
    for (const v of d.y) k = Math.max(k, v + 1);
    const { train, test } = splitLabelled(d.x, d.y, testSize, o.seed, false);
    return {
      train,
      test,
      task: 'classification',
      classes: Array.from({ length: k }, (_, i) => String(i)),
      featureNames: Array.from({ length: d.x.shape[1] }, (_, i) => `px${i}`),
      source: o.dataIdx,
      imageShape: idxImageShape(d.sampleShape),
    };
  }
  if (!o.target) fail(`--data needs --target <column> (the column to predict)`);
  const task = o.task === undefined ? 'auto' : o.task;
  if (!['auto', 'classification', 'regression'].includes(task))
    fail(`--task must be 'classification' or 'regression', got '${o.task}'`);
  const d = bp.data.loadCsv(o.data!, { target: o.target, task: task as 'auto' });
  let train: Labelled, test: Labelled;
  if (o.testData) {
    const t = bp.data.loadCsv(o.testData, {
      target: o.target,
      task: d.task,
      columns: d.featureNames,
      classes: d.classes,
    });
    train = { x: d.x, y: d.y! };
    test = { x: t.x, y: t.y! };
  } else {
    ({ train, test } = splitLabelled(d.x, d.y!, testSize, o.seed, d.task === 'classification'));
  }
  return {
    train,
    test,
    task: d.task!,
    classes: d.classes,
    featureNames: d.featureNames,
    targetName: d.targetName,
    source: o.data!,
  };
}

/** Loads a CSV for evaluate/predict with the saved preprocessing (same columns, classes and scaling). */
export function loadForModel(
  path: string,
  pre: Preprocessing,
  needTarget: boolean,
): { x: Tensor2D | Tensor; y?: Int32Array | Tensor2D } {
  if (pre.sequence) {
    const target = { name: needTarget ? pre.targetName : undefined, task: pre.task, classes: pre.classes };
    return sequenceInputs(path, pre.sequence, pre.featureNames, target, (x) => applyScaler(x, pre));
  }
  const d = bp.data.loadCsv(path, {
    columns: pre.featureNames,
    target: needTarget ? pre.targetName : undefined,
    task: pre.task,
    classes: pre.classes,
  });
  return { x: applyScaler(d.x, pre), y: d.y };
}

export function applyScaler(x: Tensor2D, pre: Preprocessing): Tensor2D {
  return pre.scaler ? bp.data.Scaler.fromJSON(pre.scaler).transform(x) : x;
}

export function preprocessingOf(model: bp.LayersModel, dir: string): Preprocessing {
  const p = model.metadata.preprocessing as Preprocessing | undefined;
  if (!p || !Array.isArray(p.featureNames) || (p.task !== 'classification' && p.task !== 'regression')) {
    fail(
      `${dir}: this model was not trained by 'backprop train' (no preprocessing metadata); use the JS API to run it`,
    );
  }
  return p;
}
