/**
 * The public model classes' common part: the model core plus training (`fit`) and saving; `bp.model()` (a
 * functional model, as `tf.model`) and `bp.input()`. It sits above the core, the fit loop and io, so none of those
 * imports it.
 */
import { fitModel, type FitArgs } from './fit/fit';
import type { History } from './fit/history';
import { saveModel, type SaveOptions, type SaveResult } from './io/save';
import { Model, type ModelArgs } from './model/model';
import type { InputsLike, TargetsLike } from './model/io-lists';
import type { SymbolicTensor } from './autodiff/symbolic';

export class LayersModel extends Model {
  /**
   * Trains the model. Resolves with a History once done (or stopped by a callback or `signal`); rejects, naming
   * the epoch and batch, when the loss becomes non-finite (the weights are then those of the last good step).
   * fit reads `x` and `y` in place: copy them first if other code may change them while it trains. A model with
   * several inputs or outputs takes arrays in the order of `inputs` / `outputs`, or objects keyed by name.
   * @example
   * const history = await model.fit(x, y, { epochs: 20, batchSize: 32, validationSplit: 0.1 });
   * console.log(history.history.loss, history.val_loss);
   * @example
   * await model.fit({ features: X, tokens: T }, { cls: y1, price: y2 }, { epochs: 5 });
   */
  fit(x: InputsLike, y: TargetsLike, args: FitArgs = {}): Promise<History> {
    return fitModel(this, x, y, args);
  }

  /**
   * Saves the model in the TF.js Layers format (model.json + weights file), atomically, with checksums,
   * and its compile settings. With `includeOptimizer`, also the optimizer state and training position, so
   * training can resume exactly.
   * @example
   * await model.save('./models/digits');                 // or 'file://./models/digits'
   * await model.save('./ckpt', { includeOptimizer: true });
   */
  async save(path: string, options: SaveOptions = {}): Promise<SaveResult> {
    return saveModel(this, path, options);
  }
}

export interface FunctionalModelArgs {
  /** The model's inputs (from bp.input()), one or several. */
  inputs: SymbolicTensor | SymbolicTensor[];
  /** The model's outputs (from layer.apply()), one or several. */
  outputs: SymbolicTensor | SymbolicTensor[];
  name?: string;
  /** Seed for weight initialisation, shuffling and dropout (default 0). */
  seed?: number;
  /** Float type of weights and computation (default 'float32'). */
  dtype?: ModelArgs['dtype'];
}

/**
 * A functional model: the graph of layer calls between `inputs` and `outputs`, as `tf.model`. Its weights are
 * created now, in an order that depends only on the graph.
 * @example
 * const x = bp.input({ shape: [32] });
 * const h = bp.layers.dense({ units: 64, activation: 'relu' }).apply(x);
 * const y = bp.layers.dense({ units: 1 }).apply(bp.layers.add().apply([h, bp.layers.dense({ units: 64 }).apply(h)]));
 * const model = bp.model({ inputs: x, outputs: y });
 */
export function model(args: FunctionalModelArgs): LayersModel {
  if (!args || typeof args !== 'object' || Array.isArray(args)) {
    throw new Error(`model(): expected { inputs, outputs }, e.g. bp.model({ inputs: x, outputs: y })`);
  }
  for (const k of Object.keys(args)) {
    if (!['inputs', 'outputs', 'name', 'seed', 'dtype'].includes(k)) {
      throw new Error(`model(): unknown option '${k.slice(0, 64)}'; options are inputs, outputs, name, seed, dtype`);
    }
  }
  if (args.inputs === undefined || args.outputs === undefined) {
    throw new Error(`model(): 'inputs' and 'outputs' are required, e.g. bp.model({ inputs: x, outputs: y })`);
  }
  return new LayersModel(args);
}
