/** `backprop train`: data files → trained model (+ saved model, + HTML report). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as bp from '../index';
import { trainLanguageModel } from './train-lm';
import type { Tensor2D } from '../data/tensor';
import { fail, intOption } from './errors';
import { checkOneSource, loadTrainingData, type Prepared, type Preprocessing } from './dataset';
import { checkOutputDir, checkOutputFile } from './paths';
import { checkPathsApart } from './distinct-paths';
import { buildModel, checkSizeBeforeData, modelChoice } from './train-model';
import { NonFiniteLossError } from '../fit/errors';
import { confusionMatrix, renderReport } from './report';
import { formatLogs } from '../callbacks/progress';
import { toJson } from '../jobs/json-numbers';
import type { Tensor } from '../model/tensor';
import {
  loadTextTrainingData,
  perStep,
  sequenceChoice,
  sequenceModel,
  toSequences,
  wantsSequences,
  type SequenceOptions,
} from './sequences';
// convolutional networks
import { asImages, colorModeOf, imageChoice, loadImageTrainingData, specTakesImages } from './image-data';
import { misclassifiedImages } from './report-images';
// data larger than memory
import { checkStreamOptions, trainStream } from './train-stream';
// models with several inputs and outputs
import { trainMapped, wantsMapped } from './train-mapped';

export interface TrainOptions extends SequenceOptions {
  data?: string;
  /** One column, or (given twice or as NAME=COLUMN) a string[] of targets by output name: see train-mapped.ts. */
  target?: string;
  /** NAME=COLUMNS, once per model input (train-mapped.ts). */
  input?: string | string[];
  task?: string;
  dataIdx?: string;
  labelsIdx?: string;
  dataset?: string;
  testSplit?: string;
  testData?: string;
  layers?: string;
  activation?: string;
  loss?: string;
  optimizer?: string;
  lr?: string;
  epochs?: string;
  batchSize?: string;
  seed?: string;
  backend?: string;
  config?: string;
  normalize?: string;
  out?: string;
  report?: string;
  json?: boolean;
  verbose?: boolean;
  // convolutional networks
  images?: string;
  imageSize?: string;
  colorMode?: string;
  // data larger than memory
  stream?: boolean | string;
  shuffleBuffer?: string;
  // attention: a character-level GPT over the lines of --text <file.txt>
  transformer?: boolean;
}

const CONFIG_KEYS = [
  'data',
  'target',
  'task',
  'dataIdx',
  'labelsIdx',
  'dataset',
  'testSplit',
  'testData',
  'layers',
  'activation',
  'loss',
  'optimizer',
  'lr',
  'epochs',
  'batchSize',
  'seed',
  'backend',
  'normalize',
  'out',
  'report',
  // sequence models
  'sequenceLength',
  'text',
  'vocabulary',
  'tokens',
  'rnn',
  'modelSpec',
  // convolutional networks
  'images',
  'imageSize',
  'colorMode',
  // data larger than memory
  'stream',
  'shuffleBuffer',
];

/** Options from --config (a JSON file with the same keys), overridden by the command line. */
export function withConfig(o: TrainOptions): TrainOptions {
  if (!o.config) return o;
  let cfg: Record<string, unknown>;
  try {
    cfg = JSON.parse(fs.readFileSync(o.config, 'utf8'));
  } catch (e) {
    fail(`${o.config}: cannot read the config (${(e as Error).message.split('\n')[0]})`);
  }
  if (!cfg || typeof cfg !== 'object' || Array.isArray(cfg)) fail(`${o.config}: the config must be a JSON object`);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(cfg)) {
    if (!CONFIG_KEYS.includes(k)) fail(`${o.config}: unknown key '${k}'; keys are ${CONFIG_KEYS.join(', ')}`);
    out[k] = Array.isArray(v) ? v.join(',') : String(v);
  }
  const given = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  return { ...out, ...given } as TrainOptions;
}

function argmaxRows(t: { data: ArrayLike<number>; shape: number[] }): Int32Array {
  const rows = t.shape[0];
  const cols = t.data.length / Math.max(rows, 1);
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let j = 1; j < cols; j++) if (t.data[r * cols + j] > t.data[r * cols + best]) best = j;
    out[r] = best;
  }
  return out;
}

export async function train(raw: TrainOptions): Promise<void> {
  const o = withConfig(raw);
  if (o.transformer) {
    if (o.backend) bp.setBackend(o.backend as 'native' | 'js' | 'auto');
    return trainLanguageModel(o);
  }
  // Everything that can be checked without the data is checked first: a mistake costs no training.
  if (o.backend) {
    if (!['native', 'wasm', 'js', 'auto'].includes(o.backend))
      fail(`--backend must be native, wasm, js or auto, got '${o.backend}'`);
    bp.setBackend(o.backend as bp.BackendName);
  }
  const epochs = intOption('epochs', o.epochs, 1, 20);
  const choice = modelChoice(o);
  const stream = o.stream === true || o.stream === 'true';
  // Columns mapped to a functional spec's inputs and outputs by name (--input, --target NAME=COLUMN).
  const mapped = wantsMapped(o);
  if (!mapped && Array.isArray(o.target))
    fail(`--target is given ${o.target.length} times; one column, or NAME=COLUMN per output with --input`);
  if (stream && !mapped) checkStreamOptions(o);
  else if (!stream && o.shuffleBuffer !== undefined) fail('--shuffle-buffer goes with --stream');
  const { seed, lr, batchSize, hidden } = choice;
  const seq = !mapped && wantsSequences(o) ? sequenceChoice(o) : undefined;
  if (seq && !seq.spec && choice.hidden.length !== choice.tokens.length)
    fail('--layers for sequence models takes recurrent units only, like 64,32; image layers need images');
  const image = mapped ? undefined : imageChoice({ ...o, seed });
  if (image) checkOneSource({ ...o, seed });
  const normalize = o.normalize ?? (o.dataset || o.dataIdx || seq?.text || o.images || mapped ? 'none' : 'standard');
  if (!['standard', 'minmax', 'none'].includes(normalize))
    fail(`--normalize must be standard, minmax or none, got '${normalize}'`);
  if (seq?.text && normalize !== 'none') fail(`--normalize applies to numeric columns, not to a --text column`);
  if (o.out !== undefined) checkOutputDir('--out', o.out);
  if (o.report !== undefined) checkOutputFile('--report', o.report);
  checkPathsApart({
    inputs: (
      [
        ['--data', o.data],
        ['--test-data', o.testData],
        ['--data-idx', o.dataIdx],
        ['--labels-idx', o.labelsIdx],
        ['--images', o.images],
        ['--config', o.config],
        ['--model-spec', o.modelSpec],
      ] as const
    ).flatMap(([flag, p]) => (p === undefined ? [] : [{ flag, path: p }])),
    outputFiles: o.report === undefined ? [] : [{ flag: '--report', path: o.report }],
    outputModelDirs: o.out === undefined ? [] : [{ flag: '--out', path: o.out }],
  });
  if (mapped) return trainMapped(o, choice, epochs);
  checkSizeBeforeData(choice);
  if (stream) return trainStream(o, choice, epochs, normalize);

  const text = seq?.text ? loadTextTrainingData({ ...o, seed }, seq) : undefined;
  const d: Prepared =
    text ?? (image ? await loadImageTrainingData({ ...o, seed }, image) : loadTrainingData({ ...o, seed }));
  const takesImages = seq?.spec ? specTakesImages(seq.spec) : choice.images;
  if (takesImages && !d.imageShape)
    fail(
      `the model's layers take images, but ${d.source} has rows of features; ` +
        'use --dataset digits, --data-idx with images, or --images <dir>',
    );
  const scaler =
    normalize === 'none' ? undefined : normalize === 'standard' ? bp.data.standardScaler() : bp.data.minMaxScaler();
  let xTrain: Tensor2D | Tensor, xTest: Tensor2D | Tensor;
  if (seq?.steps !== undefined && !text) {
    // Rows are sequences: T steps of features; each feature is scaled over every step.
    const train = toSequences(d.train.x, seq.steps, 'the training data');
    const test = toSequences(d.test.x, seq.steps, 'the test data');
    xTrain = scaler ? perStep(train, (m) => scaler.fitTransform(m)) : train;
    xTest = scaler ? perStep(test, (m) => scaler.transform(m)) : test;
  } else {
    xTrain = scaler ? scaler.fitTransform(d.train.x) : d.train.x;
    xTest = scaler ? scaler.transform(d.test.x) : d.test.x;
  }
  if (takesImages) {
    // The same pixels as [n, height, width, channels] (no copy): what convolutions take.
    xTrain = asImages(xTrain, d.imageShape!);
    xTest = asImages(xTest, d.imageShape!);
  }
  const inputShape = xTrain.shape.slice(1);

  const classification = d.task === 'classification';
  const outUnits = classification ? d.classes!.length : (d.train.y as Tensor2D).shape[1];
  const loss = choice.loss ?? (classification ? 'sparseCategoricalCrossentropy' : 'meanSquaredError');
  const metrics = classification ? ['accuracy'] : ['mae'];
  const batchRows = Math.min(batchSize, xTrain.shape[0], Math.max(1, xTest.shape[0]));
  const model = seq
    ? sequenceModel(
        choice,
        seq,
        inputShape,
        outUnits,
        classification,
        text?.tokenizer.vocabularySize,
        batchRows,
        loss,
        metrics,
      )
    : buildModel(choice, inputShape, outUnits, classification, batchRows, loss, metrics);
  const optName = choice.optimizer;
  const pre: Preprocessing = {
    featureNames: d.featureNames,
    targetName: d.targetName,
    task: d.task,
    classes: d.classes,
    scaler: scaler?.toJSON(),
  };
  if (text) pre.sequence = { steps: text.steps, text: { column: seq!.text!, tokenizer: text.tokenizer.toJSON() } };
  else if (seq?.steps !== undefined) pre.sequence = { steps: seq.steps };
  if (d.imageShape && !pre.sequence)
    pre.image = {
      shape: d.imageShape,
      colorMode: image?.colorMode ?? colorModeOf(d.imageShape[2]),
      flat: !takesImages,
    };
  model.metadata.preprocessing = pre;
  const modelText =
    seq || takesImages || hidden.length !== choice.tokens.length
      ? `${model.layers.map((l) => l.className).join(' → ')} on [${inputShape.join(', ')}]`
      : [xTrain.shape[1], ...hidden, outUnits].join('-');

  const json = !!o.json;
  if (!json)
    process.stdout.write(
      `backprop train: ${d.source}, ${d.train.x.shape[0]} training / ${d.test.x.shape[0]} test rows, ${d.task}` +
        `${classification ? ` (${d.classes!.length} classes)` : ''}; model ${modelText}; ` +
        `backend ${bp.getBackend().name}\n`,
    );
  const t0 = performance.now();
  let epochStart = t0;
  const jsonLines = {
    onEpochBegin: () => {
      epochStart = performance.now();
    },
    onEpochEnd: (epoch: number, logs?: Record<string, number>) => {
      const seconds = (performance.now() - epochStart) / 1000;
      process.stdout.write(
        `${toJson({
          epoch: epoch + 1,
          ...logs,
          seconds: +seconds.toFixed(3),
          samplesPerSecond: Math.round(d.train.x.shape[0] / seconds),
        })}\n`,
      );
    },
  };
  let history: bp.History;
  try {
    history = await model.fit(xTrain, d.train.y, {
      epochs,
      batchSize,
      validationData: [xTest, d.test.y],
      callbacks: json ? [jsonLines] : [],
      verbose: json ? 0 : process.stdout.isTTY ? 1 : 2,
    });
  } catch (e) {
    // A model whose loss is NaN or infinite is useless: say where it diverged, save nothing, exit non-zero.
    if (!(e instanceof NonFiniteLossError)) throw e;
    return fail(
      `training diverged: the loss is ${e.loss} at epoch ${e.epoch}, batch ${e.batch}; lower --lr (now ${lr}) ` +
        'or check the data for extreme values',
    );
  }
  const seconds = (performance.now() - t0) / 1000;
  const final = model.evaluate(xTest, d.test.y);
  let confusion: { classes: string[]; matrix: number[][] } | undefined;
  const predicted = classification ? argmaxRows(model.predict(xTest)) : undefined;
  if (predicted)
    confusion = {
      classes: d.classes!,
      matrix: confusionMatrix(predicted, d.test.y as Int32Array, d.classes!.length),
    };
  // The pictures show the pixels as read, before any scaling.
  const misclassified =
    predicted && d.imageShape && o.report
      ? misclassifiedImages(d.test.x, d.imageShape, d.test.y as Int32Array, predicted, d.classes!, d.testFiles)
      : undefined;

  if (o.out) await model.save(o.out);
  if (o.report) {
    const settings: Record<string, string | number> = {
      data: d.source,
      task: d.task,
      model: modelText,
      activation: o.activation ?? 'relu',
      loss,
      optimizer: optName,
      'learning rate': lr,
      epochs,
      'batch size': batchSize,
      seed,
      normalize,
      backend: bp.getBackend().name,
      'training rows': d.train.x.shape[0],
      'test rows (validation)': d.test.x.shape[0],
      'training time (s)': +seconds.toFixed(2),
    };
    const html = renderReport({
      title: `backprop training report: ${path.basename(d.source)}`,
      settings,
      final,
      history: history.history,
      confusion,
      misclassified,
    });
    fs.mkdirSync(path.dirname(path.resolve(o.report)), { recursive: true });
    fs.writeFileSync(o.report, html);
  }
  if (json)
    process.stdout.write(
      `${toJson({
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
