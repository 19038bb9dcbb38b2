/**
 * The model `backprop train` builds: options checked before any data is read (names through Maps, since
 * option text used as an object key could find '__proto__'), the size checked before loading data (a
 * lower bound) and again, exactly, before a weight is allocated.
 */
import * as bp from '../index';
import { fail, intOption, numOption } from './errors';
import { isObjectKey } from '../training/options';
import { checkLayersFit } from '../model-spec';
import { denseUnits, parseLayers, tokenLayers, type LayerToken } from './layer-grammar';

export interface ModelOptions {
  layers?: string;
  activation?: string;
  loss?: string;
  optimizer?: string;
  lr?: string;
  batchSize?: string;
  seed?: string;
}

/** The checked model settings. */
export interface ModelChoice {
  /** Dense units of a --layers list of units only (what sequence models take); [] otherwise. */
  hidden: number[];
  /** The --layers tokens (layer-grammar.ts). */
  tokens: LayerToken[];
  /** Whether the layers take images [height, width, channels] (a convolution, pooling or flatten). */
  images: boolean;
  activation: string;
  optimizer: string;
  /** The --loss given, if any (the default depends on the task). */
  loss?: string;
  lr: number;
  batchSize: number;
  seed: number;
}

function nameOption(flag: string, v: string, check: (name: string) => void): string {
  if (isObjectKey(v)) fail(`--${flag} '${v}' is not a known name`);
  try {
    check(v);
  } catch (e) {
    fail(`--${flag}: ${(e as Error).message}`);
  }
  return v;
}

/** Checks every model option, before any data is read. */
export function modelChoice(o: ModelOptions): ModelChoice {
  const { tokens, images } = parseLayers(o.layers ?? '64');
  const optimizer = (o.optimizer ?? 'adam').toLowerCase();
  if (isObjectKey(optimizer) || !bp.optimizers.OPTIMIZER_NAMES.includes(optimizer))
    fail(`--optimizer must be one of ${bp.optimizers.OPTIMIZER_NAMES.join(', ')}; got '${o.optimizer}'`);
  const activation = nameOption('activation', o.activation ?? 'relu', (a) =>
    bp.layers.dense({ units: 1, activation: a }),
  );
  const loss = o.loss === undefined ? undefined : nameOption('loss', o.loss, (l) => bp.losses.getLoss(l));
  return {
    hidden: denseUnits(tokens) ?? [],
    tokens,
    images,
    activation,
    optimizer,
    loss,
    lr: numOption('lr', o.lr, 0.001),
    batchSize: intOption('batch-size', o.batchSize, 1, 32),
    seed: intOption('seed', o.seed, 0, 0),
  };
}

function layersOf(c: ModelChoice, outputs: number, classification: boolean, inputShape?: number[]): bp.layers.Layer[] {
  const layers = tokenLayers(c.tokens, c.activation, inputShape);
  const output = bp.layers.dense({
    units: outputs,
    activation: classification ? 'softmax' : 'linear',
    inputShape: layers.length === 0 ? inputShape : undefined,
  });
  return [...layers, output];
}

/**
 * Refuses a model too large for any data (one input, one output, one row), before the data is read.
 * @example checkSizeBeforeData(modelChoice({ layers: '1000000000' })) // fails, naming the size
 */
export function checkSizeBeforeData(c: ModelChoice): void {
  // Image layers need the image size; their dense layers alone are a lower bound.
  const dense = c.images ? { ...c, tokens: c.tokens.filter((t) => t.kind === 'dense') } : c;
  checkLayersFit('train', layersOf(dense, 1, false), [1], 1);
}

/**
 * The compiled model for the data's per-sample shape, after checking its exact size for batches of `batchRows`.
 * @example const model = buildModel(choice, [4], 3, true, 32, 'sparseCategoricalCrossentropy', ['accuracy'])
 */
export function buildModel(
  c: ModelChoice,
  inputShape: number[],
  outputs: number,
  classification: boolean,
  batchRows: number,
  loss: string,
  metrics: string[],
): bp.Sequential {
  checkLayersFit('train', layersOf(c, outputs, classification), inputShape, Math.max(1, batchRows));
  const model = bp.sequential({ seed: c.seed, layers: layersOf(c, outputs, classification, inputShape) });
  model.compile({ optimizer: bp.optimizers.getOptimizer({ name: c.optimizer, learningRate: c.lr }), loss, metrics });
  return model;
}
