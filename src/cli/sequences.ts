/**
 * Sequence models in `backprop train`: a CSV whose rows are sequences (`--sequence-length T`: the feature
 * columns are T steps of columns/T features each, step by step), a CSV of labelled texts (`--text column`:
 * tokenized, padded to T ids, into an Embedding(maskZero) → recurrent → dense classifier), and any model
 * from a JSON spec (`--model-spec file.json`, through bp.modelFromSpec). What the data needs to be read the
 * same way again (T, the tokenizer with its vocabulary) is saved in the model's metadata.
 */
import * as fs from 'node:fs';
import * as bp from '../index';
import type { Tensor } from '../model/tensor';
import type { Tensor2D } from '../data/tensor';
import { MAX_VOCABULARY, type TokenizerState } from '../data/tokenizer';
import { checkLayersFit, checkModelSpec, isFunctionalSpec, type ModelSpec, type SequentialSpec } from '../model-spec';
import { keysToCamel } from '../io/case';
import { fail, intOption } from './errors';
import type { ModelChoice } from './train-model';

export interface SequenceOptions {
  sequenceLength?: string;
  text?: string;
  vocabulary?: string;
  tokens?: string;
  rnn?: string;
  modelSpec?: string;
}

/** The checked sequence settings (all checked before any data is read). */
export interface SequenceChoice {
  /** Steps per sequence (text: ids per text; default: the longest training text, at most 200). */
  steps?: number;
  /** The text column (a text classifier). */
  text?: string;
  vocabulary: number;
  tokens: 'word' | 'char';
  rnn: 'lstm' | 'gru' | 'simpleRNN';
  spec?: ModelSpec;
}

/** Saved with the model (model.metadata.preprocessing.sequence) so evaluate/predict read data the same way. */
export interface SequencePreprocessing {
  steps: number;
  text?: { column: string; tokenizer: TokenizerState };
}

const RNNS = new Map<string, 'lstm' | 'gru' | 'simpleRNN'>([
  ['lstm', 'lstm'],
  ['gru', 'gru'],
  ['simplernn', 'simpleRNN'],
]);
const MAX_SPEC_BYTES = 1 << 20;
/** Ids per text when --sequence-length is not given: the longest training text, up to this. */
const DEFAULT_MAX_TEXT_STEPS = 200;

/** Whether the command uses any sequence option. */
export function wantsSequences(o: SequenceOptions): boolean {
  return [o.sequenceLength, o.text, o.vocabulary, o.tokens, o.rnn, o.modelSpec].some((v) => v !== undefined);
}

export function sequenceChoice(o: SequenceOptions): SequenceChoice {
  const steps = o.sequenceLength === undefined ? undefined : intOption('sequence-length', o.sequenceLength, 1, 0);
  if (steps !== undefined && steps > 100000) fail(`--sequence-length must be at most 100000, got ${steps}`);
  const tokens = o.tokens ?? 'word';
  if (tokens !== 'word' && tokens !== 'char') fail(`--tokens must be 'word' or 'char', got '${o.tokens}'`);
  const rnn = RNNS.get((o.rnn ?? 'lstm').toLowerCase());
  if (!rnn) fail(`--rnn must be lstm, gru or simpleRNN, got '${o.rnn}'`);
  if (o.text === undefined && (o.vocabulary !== undefined || o.tokens !== undefined))
    fail('--vocabulary and --tokens apply to a text column: give --text <column>');
  if (o.rnn !== undefined && o.sequenceLength === undefined && o.text === undefined)
    fail('--rnn needs sequences: give --sequence-length <steps> (rows of steps × features) or --text <column>');
  const vocabulary = intOption('vocabulary', o.vocabulary, 1, 20000);
  if (vocabulary > MAX_VOCABULARY) fail(`--vocabulary must be at most ${MAX_VOCABULARY}, got ${vocabulary}`);
  let spec: ModelSpec | undefined;
  if (o.modelSpec !== undefined) spec = readSpec(o.modelSpec);
  return { steps, text: o.text, vocabulary, tokens, rnn, spec };
}

export function readSpec(file: string): ModelSpec {
  let text: string;
  try {
    if (!fs.statSync(file).isFile()) fail(`--model-spec ${file}: not a regular file`);
    if (fs.statSync(file).size > MAX_SPEC_BYTES) fail(`--model-spec ${file}: larger than 1 MiB`);
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (!code) throw e;
    fail(`--model-spec ${file}: cannot read the file (${code})`);
  }
  let spec: unknown;
  try {
    spec = JSON.parse(text);
  } catch (e) {
    fail(`--model-spec ${file}: not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  const layered = !!spec && typeof spec === 'object' && Array.isArray((spec as SequentialSpec).layers);
  if (!layered && !isFunctionalSpec(spec)) {
    fail(
      `--model-spec ${file}: expected { layers: [...], compile?: { optimizer, loss, metrics } } or a functional ` +
        `model's config { className: 'Model', config: { layers, inputLayers, outputLayers }, compile? }`,
    );
  }
  return spec as ModelSpec;
}

/** [rows, steps·features] → [rows, steps, features] (the same values: each row is the steps one after another). */
export function toSequences(x: Tensor2D, steps: number, what: string): Tensor {
  const [rows, cols] = x.shape;
  if (cols % steps !== 0 || cols === 0) {
    fail(`${what} has ${cols} feature columns, which is not a whole number of --sequence-length ${steps} steps`);
  }
  return { data: x.data, shape: [rows, steps, cols / steps], dtype: x.dtype };
}

/** Each feature scaled over all steps: the scaler sees [rows·steps, features]. */
export function perStep(x: Tensor, f: (m: Tensor2D) => Tensor2D): Tensor {
  const [rows, steps, features] = x.shape;
  const out = f({ data: x.data as Float32Array, shape: [rows * steps, features], dtype: 'float32' });
  return { data: out.data, shape: [rows, steps, features], dtype: x.dtype };
}

/** Texts → ids, with the tokenizer fitted on the training texts. */
export function tokenize(
  c: SequenceChoice,
  train: string[],
  test: string[],
): { train: Tensor; test: Tensor; tokenizer: bp.data.Tokenizer; steps: number } {
  const tokenizer = bp.data.tokenizer({ level: c.tokens, maxVocabulary: c.vocabulary }).fit(train);
  let steps = c.steps;
  if (steps === undefined) {
    steps = 1;
    for (const t of train) steps = Math.max(steps, tokenizer.tokens(t).length);
    steps = Math.min(steps, DEFAULT_MAX_TEXT_STEPS);
  }
  return {
    train: tokenizer.encode(train, { length: steps }),
    test: tokenizer.encode(test, { length: steps }),
    tokenizer,
    steps,
  };
}

/**
 * The model: the spec's (bp.modelFromSpec; its first layer given the data's input shape, and a first
 * Embedding the vocabulary, when they do not say), else [Embedding(maskZero) for text] → recurrent layers
 * (--layers units; all but the last return sequences) → dense (softmax for classes). The size is checked
 * (for batches of `batchRows` too) before any weight is allocated; the spec's compile settings win.
 */
export function sequenceModel(
  choice: ModelChoice,
  c: SequenceChoice,
  inputShape: number[],
  outputs: number,
  classification: boolean,
  vocabulary: number | undefined,
  batchRows: number,
  loss: string,
  metrics: string[],
): bp.LayersModel {
  let model: bp.LayersModel;
  if (c.spec && isFunctionalSpec(c.spec)) model = functionalSpecModel(c.spec, inputShape, batchRows, choice.seed);
  else if (c.spec) {
    const spec = withInputs(c.spec as SequentialSpec, inputShape, vocabulary, choice.seed);
    model = bp.modelFromSpec(spec, '--model-spec');
    checkLayersFit('--model-spec', model.layers, inputShape, Math.max(1, batchRows));
  } else {
    const make = () => defaultLayers(choice, c, inputShape, outputs, classification, vocabulary);
    checkLayersFit('train', make(), inputShape, Math.max(1, batchRows));
    model = bp.sequential({ seed: choice.seed, layers: make() });
  }
  if (!model.loss) {
    const optimizer = bp.optimizers.getOptimizer({ name: choice.optimizer, learningRate: choice.lr });
    model.compile({ optimizer, loss, metrics });
  }
  const out = model.outputShape![model.outputShape!.length - 1];
  if (out !== outputs) {
    fail(
      `--model-spec: the model outputs ${out} values per step but the data has ${outputs} ` +
        `${classification ? 'classes' : 'targets'}; make the last layer's units ${outputs}`,
    );
  }
  return model;
}

function defaultLayers(
  choice: ModelChoice,
  c: SequenceChoice,
  inputShape: number[],
  outputs: number,
  classification: boolean,
  vocabulary: number | undefined,
): bp.layers.Layer[] {
  const layers: bp.layers.Layer[] = [];
  if (vocabulary !== undefined) {
    layers.push(bp.layers.embedding({ inputDim: vocabulary, outputDim: 64, inputShape, maskZero: true }));
  }
  choice.hidden.forEach((units, i) => {
    const args = {
      units,
      returnSequences: i < choice.hidden.length - 1,
      inputShape: layers.length === 0 ? inputShape : undefined,
    };
    if (c.rnn === 'simpleRNN') layers.push(bp.layers.simpleRNN(args));
    else if (c.rnn === 'gru') layers.push(bp.layers.gru({ ...args, recurrentActivation: 'sigmoid' }));
    else layers.push(bp.layers.lstm({ ...args, recurrentActivation: 'sigmoid', unitForgetBias: true }));
  });
  layers.push(bp.layers.dense({ units: outputs, activation: classification ? 'softmax' : 'linear' }));
  return layers;
}

/**
 * A functional spec's model: checked completely (its one input against the data's shape, its size for batches of
 * `batchRows`) before any weight is allocated. Its inputs are declared in the spec, so nothing is filled in.
 */
function functionalSpecModel(spec: ModelSpec, inputShape: number[], batchRows: number, seed: number): bp.LayersModel {
  const seeded = { ...spec, seed: spec.seed ?? seed } as ModelSpec;
  checkModelSpec(seeded, '--model-spec', {
    needCompile: false,
    inputShape,
    batchRows: Math.max(1, batchRows),
    singleInputOutput: 'train',
  });
  const model = bp.modelFromSpec(seeded, '--model-spec');
  const declared = model.inputShapes[0];
  if (declared.join(',') !== inputShape.join(',')) {
    fail(
      `--model-spec: the model's input has shape [${declared.join(', ')}] but the data's samples have shape ` +
        `[${inputShape.join(', ')}]; give the InputLayer batchInputShape [null, ${inputShape.join(', ')}]`,
    );
  }
  return model;
}

/** The spec with the data's input shape on its first layer (and the vocabulary on a first Embedding). */
function withInputs(
  spec: SequentialSpec,
  inputShape: number[],
  vocabulary: number | undefined,
  seed: number,
): SequentialSpec {
  const layers = spec.layers.map((entry, i) => {
    if (i > 0 || !entry || typeof entry !== 'object') return entry;
    if (!('className' in entry)) return 'inputShape' in entry ? entry : { ...entry, inputShape };
    const config = keysToCamel(entry.config ?? {}) as Record<string, unknown>;
    const shaped = ['inputShape', 'batchInputShape', 'batchShape', 'inputLength'].some((k) => k in config);
    const filled: Record<string, unknown> = shaped ? config : { ...config, inputShape };
    if (entry.className === 'Embedding' && vocabulary !== undefined && filled.inputDim === undefined) {
      filled.inputDim = vocabulary;
    }
    return { className: entry.className, config: filled };
  });
  return { ...spec, seed: spec.seed ?? seed, layers } as SequentialSpec;
}

/** What loading a text CSV for training gives (the shape of dataset.ts's Prepared, plus the tokenizer). */
export interface TextTrainingData {
  train: { x: Tensor2D; y: Int32Array | Tensor2D };
  test: { x: Tensor2D; y: Int32Array | Tensor2D };
  task: 'classification' | 'regression';
  classes?: string[];
  featureNames: string[];
  targetName?: string;
  source: string;
  tokenizer: bp.data.Tokenizer;
  steps: number;
}

/**
 * A CSV of labelled texts → ids: split (or a --test-data file), the tokenizer fitted on the training texts,
 * every text padded or cut to the same number of ids.
 */
export function loadTextTrainingData(
  o: {
    data?: string;
    target?: string;
    task?: string;
    dataIdx?: string;
    dataset?: string;
    testSplit?: string;
    testData?: string;
    seed: number;
  },
  c: SequenceChoice,
): TextTrainingData {
  if (o.dataIdx !== undefined || o.dataset !== undefined || o.data === undefined) {
    fail('--text needs a CSV file: --data texts.csv --text <column> --target <column>');
  }
  if (!o.target) fail(`--data needs --target <column> (the column to predict)`);
  const testSize = o.testSplit === undefined ? 0.2 : Number(o.testSplit);
  if (!(testSize > 0 && testSize < 1)) fail(`--test-split must be a fraction in (0, 1), got '${o.testSplit}'`);
  const task = o.task ?? 'auto';
  if (!['auto', 'classification', 'regression'].includes(task))
    fail(`--task must be 'classification' or 'regression', got '${o.task}'`);
  const d = bp.data.loadTextCsv(o.data, { text: c.text!, target: o.target, task: task as 'auto' });
  let trainTexts: string[], testTexts: string[];
  let yTrain: Int32Array | Tensor2D, yTest: Int32Array | Tensor2D;
  if (o.testData) {
    const t = bp.data.loadTextCsv(o.testData, { text: c.text!, target: o.target, task: d.task, classes: d.classes });
    [trainTexts, yTrain, testTexts, yTest] = [d.texts, d.y!, t.texts, t.y!];
  } else {
    // Split row numbers, then take the texts they name.
    const rows = bp.data.tensor2d(
      Float32Array.from(d.texts, (_, i) => i),
      [d.texts.length, 1],
    );
    const s = bp.data.trainTestSplit(rows, d.y!, { testSize, seed: o.seed, stratify: d.task === 'classification' });
    trainTexts = Array.from(s.xTrain.data, (i) => d.texts[i]);
    testTexts = Array.from(s.xTest.data, (i) => d.texts[i]);
    [yTrain, yTest] = [s.yTrain, s.yTest];
  }
  const t = tokenize(c, trainTexts, testTexts);
  const as2d = (x: Tensor): Tensor2D => ({ data: x.data, shape: [x.shape[0], x.shape[1]], dtype: x.dtype });
  return {
    train: { x: as2d(t.train), y: yTrain },
    test: { x: as2d(t.test), y: yTest },
    task: d.task!,
    classes: d.classes,
    featureNames: [c.text!],
    targetName: d.targetName,
    source: o.data,
    tokenizer: t.tokenizer,
    steps: t.steps,
  };
}

/** The inputs of a saved sequence model from a CSV (for evaluate and predict), as train read its data. */
export function sequenceInputs(
  path: string,
  seq: SequencePreprocessing,
  columns: string[],
  target: { name?: string; task: 'classification' | 'regression'; classes?: string[] },
  scale: (x: Tensor2D) => Tensor2D,
): { x: Tensor; y?: Int32Array | Tensor2D } {
  if (seq.text) {
    const tok = bp.data.Tokenizer.fromJSON(seq.text.tokenizer);
    const d = bp.data.loadTextCsv(path, {
      text: seq.text.column,
      target: target.name,
      task: target.task,
      classes: target.classes,
    });
    return { x: tok.encode(d.texts, { length: seq.steps }), y: d.y };
  }
  const d = bp.data.loadCsv(path, { columns, target: target.name, task: target.task, classes: target.classes });
  return { x: perStep(toSequences(d.x, seq.steps, path), scale), y: d.y };
}
