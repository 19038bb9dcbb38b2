/**
 * The public Sequential model and `loadLayersModel`, which returns a Sequential or a functional LayersModel as the
 * file says. It sits above the core, the fit loop and io, so none of those imports it.
 */
import { loadModelFile, type LoadOptions } from './io/load';
import type { ModelArgs } from './model/model';
import { LayersModel } from './layers-model';

export type SequentialArgs = Omit<ModelArgs, 'inputs' | 'outputs'>;

/** A model that is a stack of layers (`add`), as `tf.sequential`: a special case of the functional engine. */
export class Sequential extends LayersModel {
  constructor(args: SequentialArgs = {}) {
    if (args && typeof args === 'object' && ('inputs' in args || 'outputs' in args)) {
      throw new Error(`sequential(): takes 'layers', not inputs/outputs (use bp.model({ inputs, outputs }))`);
    }
    super(args);
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
export function loadLayersModel(target: string, options: LoadOptions = {}): Promise<LayersModel> {
  return loadModelFile(target, options ?? {}, (args) =>
    args.inputs !== undefined ? new LayersModel(args) : new Sequential(args),
  );
}
