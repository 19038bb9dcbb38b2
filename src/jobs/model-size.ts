/**
 * The size of a model before it is built: parameters and activation values counted from the layers' own
 * formulas, checked against the memory limit (bp.setLimits) and an optional parameter cap, so a model too
 * large is refused with its size named instead of being allocated (and the process killed).
 */
import type { Sequential } from '../model/sequential';
import { checkModelSize } from '../limits';

/**
 * Parameters of an unbuilt model for `inputs` input columns, and activation values per row.
 * @example modelSize(model, 784) // { parameters: 101770, activationsPerRow: 138 }
 */
export function modelSize(model: Sequential, inputs: number): { parameters: number; activationsPerRow: number } {
  let units = inputs,
    parameters = 0,
    activationsPerRow = 0;
  for (const layer of model.layers) {
    parameters += layer.parameterCount(units);
    units = layer.outputUnitsFor(units);
    activationsPerRow += units;
  }
  return { parameters, activationsPerRow };
}

/**
 * Throws, naming the size, if an unbuilt model for `inputs` columns and `rows` rows per batch would pass
 * the memory limit, or has more than `maxParameters` parameters. With the input width or row count not
 * known yet, pass 1: a lower bound, so only what is too large whatever the data is refused.
 * @example checkModelFits('jobs.train()', model, 784, 32, 1e6)
 */
export function checkModelFits(
  where: string,
  model: Sequential,
  inputs: number,
  rows: number,
  maxParameters?: number,
): void {
  const { parameters, activationsPerRow } = modelSize(model, inputs);
  if (maxParameters !== undefined && parameters > maxParameters)
    throw new Error(
      `${where}: the model has ${parameters.toLocaleString('en-US')} parameters` +
        `${inputs > 1 ? ` for ${inputs.toLocaleString('en-US')} inputs` : ''}; this job allows at most ` +
        `${maxParameters.toLocaleString('en-US')} (maxParameters). Use fewer or smaller layers.`,
    );
  checkModelSize(where, parameters, activationsPerRow * rows, model.dtype === 'float64' ? 8 : 4);
}
