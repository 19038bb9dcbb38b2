/**
 * The public model class: the model core plus training (`fit`) and saving, and `loadLayersModel`, which
 * returns one. It sits above the core, the fit loop and io, so none of those imports it.
 */
import { fitModel, type FitArgs } from './fit/fit';
import { evaluateModelDataset, fitModelDataset, type DatasetLike, type FitDatasetArgs } from './fit/fit-dataset';
import type { History } from './fit/history';
import { loadModelFile, type LoadOptions } from './io/load';
import { saveModel, type SaveOptions, type SaveResult } from './io/save';
import { Model, type ModelArgs } from './model/model';
import type { InputLike, TargetLike } from './model/inputs';

export type SequentialArgs = ModelArgs;

export class Sequential extends Model {
  /**
   * Trains the model. Resolves with a History once done (or stopped by a callback or `signal`); rejects, naming
   * the epoch and batch, when the loss becomes non-finite (the weights are then those of the last good step).
   * fit reads `x` and `y` in place: copy them first if other code may change them while it trains.
   * @example
   * const history = await model.fit(x, y, { epochs: 20, batchSize: 32, validationSplit: 0.1 });
   * console.log(history.history.loss, history.val_loss);
   */
  fit(x: InputLike, y: TargetLike, args: FitArgs = {}): Promise<History> {
    return fitModel(this, x, y, args);
  }

  /**
   * Trains on a dataset of `{ xs, ys }` batches (bp.data.csvDataset, imageFolderDataset, generator, array,
   * …), one batch at a time as the dataset prepares them: data larger than memory trains in memory bounded
   * by the dataset's buffers. Each epoch is a pass of the dataset (or `batchesPerEpoch` batches). Resolves
   * with a History as fit does; rejects with the dataset's error (a bad row names its line and column).
   * @example
   * const ds = bp.data.csvDataset('big.csv', { target: 'label', batchSize: 64, shuffle: { buffer: 10000, seed: 1 } });
   * const history = await model.fitDataset(ds, { epochs: 5 });
   */
  fitDataset(dataset: DatasetLike, args: FitDatasetArgs = {}): Promise<History> {
    return fitModelDataset(this, dataset, args);
  }

  /**
   * Loss and metrics over a dataset of `{ xs, ys }` batches (inference mode), at most `batches` of them.
   * @example const { loss, accuracy } = await model.evaluateDataset(testSet);
   */
  evaluateDataset(dataset: DatasetLike, args: { batches?: number } = {}): Promise<Record<string, number>> {
    return evaluateModelDataset(this, dataset, args);
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

/**
 * Creates a sequential model.
 * @example
 * const model = bp.sequential({ seed: 1, layers: [
 *   bp.layers.dense({ units: 8, activation: 'tanh', inputShape: [2] }),
 *   bp.layers.dense({ units: 1, activation: 'sigmoid' }),
 * ] });
 */
export function sequential(args: SequentialArgs = {}): Sequential {
  return new Sequential(args);
}

/**
 * Loads a model saved in the TF.js Layers format (a directory, its model.json, or a file:// URL), by backprop,
 * TF.js or the TF.js converter. Files are untrusted: see README "Saving, loading".
 * @example
 * await model.save('./my-model');
 * const again = await bp.loadLayersModel('./my-model');
 */
export function loadLayersModel(target: string, options: LoadOptions = {}): Promise<Sequential> {
  return loadModelFile(target, options ?? {}, (args) => new Sequential(args));
}
