/**
 * The model `backprop train` builds: options checked before any data is read (names through Maps, since
 * option text used as an object key could find '__proto__'), the size checked before loading data (a
 * lower bound) and again, exactly, before a weight is allocated.
 */
import * as bp from '../index';
import { fail, intOption, numOption } from './errors';
import { isObjectKey } from '../training/options';
import { checkLayersFit } from '../model-spec';

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
  hidden: number[];
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
  const hidden = (o.layers ?? '64')
    .split(',')
    .filter((s) => s.trim() !== '')
    .map((s) => {
      const n = Number(s);
      if (!Number.isSafeInteger(n) || n < 1)
        fail(`--layers must be comma-separated positive integers like 128,64; got '${o.layers}'`);
      return n;
    });
  const optimizer = (o.optimizer ?? 'adam').toLowerCase();
  if (isObjectKey(optimizer) || !bp.optimizers.OPTIMIZER_NAMES.includes(optimizer))
    fail(`--optimizer must be one of ${bp.optimizers.OPTIMIZER_NAMES.join(', ')}; got '${o.optimizer}'`);
  const activation = nameOption('activation', o.activation ?? 'relu', (a) =>
    bp.layers.dense({ units: 1, activation: a }),
  );
  const loss = o.loss === undefined ? undefined : nameOption('loss', o.loss, (l) => bp.losses.getLoss(l));
  return {
    hidden,
    activation,
    optimizer,
    loss,
    lr: numOption('lr', o.lr, 0.001),
    batchSize: intOption('batch-size', o.batchSize, 1, 32),
    seed: intOption('seed', o.seed, 0, 0),
  };
}

function layersOf(c: ModelChoice, outputs: number, classification: boolean, inputs?: number): bp.Sequential {
  const model = bp.sequential({ seed: c.seed });
  c.hidden.forEach((units, i) =>
    model.add(
      bp.layers.dense({ units, activation: c.activation, inputShape: i === 0 && inputs ? [inputs] : undefined }),
    ),
  );
  model.add(
    bp.layers.dense({
      units: outputs,
      activation: classification ? 'softmax' : 'linear',
      inputShape: c.hidden.length === 0 && inputs ? [inputs] : undefined,
    }),
  );
  return model;
}

/**
 * Refuses a model too large for any data (one input, one output, one row), before the data is read.
 * @example checkSizeBeforeData(modelChoice({ layers: '1000000000' })) // fails, naming the size
 */
export function checkSizeBeforeData(c: ModelChoice): void {
  checkLayersFit('train', layersOf(c, 1, false).layers, [1], 1);
}

/**
 * The compiled model for the data's shape, after checking its exact size for batches of `batchRows`.
 * @example const model = buildModel(choice, 4, 3, true, 32, 'sparseCategoricalCrossentropy', ['accuracy'])
 */
export function buildModel(
  c: ModelChoice,
  inputs: number,
  outputs: number,
  classification: boolean,
  batchRows: number,
  loss: string,
  metrics: string[],
): bp.Sequential {
  checkLayersFit('train', layersOf(c, outputs, classification).layers, [inputs], Math.max(1, batchRows));
  const model = layersOf(c, outputs, classification, inputs);
  model.compile({ optimizer: bp.optimizers.getOptimizer({ name: c.optimizer, learningRate: c.lr }), loss, metrics });
  return model;
}
