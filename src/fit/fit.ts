/**
 * fit() on arrays: its options checked (fit-args.ts), its data checked and the validation rows split off
 * (fit-data.ts), the data-parallel ranks found, then the epoch loop (fit-loop.ts).
 *
 * fit reads `x` and `y` in place (no copy of the data set). If other code may change or transfer them while
 * fit runs (another thread, a callback), copy them first: a transferred/resized array stops fit with an
 * error naming it, and a non-finite loss stops fit before its update, naming the epoch and batch.
 */
import type { InputsLike, TargetsLike } from '../model/io-lists';
import type { Model } from '../model/model';
import { engineOf } from '../model/engine';
import { dataParallelFor } from '../distributed/data-parallel';
import { checkFitArgs, type FitArgs } from './fit-args';
import { fitData } from './fit-data';
import { FitLoop } from './fit-loop';
import type { History } from './history';

export type { FitArgs } from './fit-args';

/**
 * Trains `model` (see Sequential.fit for the user-facing documentation).
 */
export async function fitModel(model: Model, xIn: InputsLike, yIn: TargetsLike, args: FitArgs = {}): Promise<History> {
  const engine = engineOf(model);
  engine.beginFit();
  try {
    return await runFit(model, xIn, yIn, args);
  } finally {
    engine.endFit();
  }
}

async function runFit(model: Model, xIn: InputsLike, yIn: TargetsLike, args: FitArgs): Promise<History> {
  model.requireCompiled('fit()');
  const opts = checkFitArgs(args);
  const data = fitData(model, xIn, yIn, args, opts.validationSplit);
  // Data-parallel: this rank's rows of each epoch are every worldSize-th of the epoch's order, as PyTorch's
  // DistributedSampler (the remainder of trainRows / worldSize is left out, so every rank takes as many steps).
  const dp = opts.distributed ? dataParallelFor(model, data.plan) : undefined;
  try {
    const shardRows = dp ? Math.floor(data.trainRows / dp.worldSize) : data.trainRows;
    if (shardRows === 0)
      throw new Error(`fit(): distributed: ${data.trainRows} training rows cannot be shared by ${dp!.worldSize} ranks`);
    return await new FitLoop(model, args, opts, data, dp, shardRows).run();
  } finally {
    dp?.end();
  }
}
