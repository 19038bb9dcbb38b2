/** fit()'s options (see Sequential.fit for the user-facing documentation), and their checks. */
import type { CallbackHooks } from '../callbacks/callback';
import type { InputsLike, TargetsLike } from '../model/io-lists';
import { checkBatchSize } from '../model/model';

export interface FitArgs {
  /** Number of epochs to train up to (default 1). With `initialEpoch`, training runs epochs initialEpoch..epochs-1. */
  epochs?: number;
  /** Rows per gradient step (default 32). */
  batchSize?: number;
  /** Reshuffle the training rows every epoch (default true). */
  shuffle?: boolean;
  /** Fraction of rows, taken from the end before shuffling (as Keras), held out for validation. */
  validationSplit?: number;
  /** Explicit validation data, `[x, y]` (takes precedence over validationSplit). */
  validationData?: [InputsLike, TargetsLike];
  /** Epoch to start from (to resume a previous run). */
  initialEpoch?: number;
  callbacks?: CallbackHooks | CallbackHooks[];
  /** 0 silent, 1 progress bar (TTY) or a line per epoch, 2 one line per epoch. Default: 1 on a TTY, else 0. */
  verbose?: 0 | 1 | 2;
  /** Stops training after the current batch when aborted; fit then resolves with the history so far. */
  signal?: AbortSignal;
  /** Longest stretch of synchronous training between event-loop turns, in ms (default 10). */
  yieldEveryMs?: number;
  /**
   * Train data-parallel with the other ranks of the process group (`await bp.distributed.init(...)` first):
   * rank 0's weights are broadcast, each rank trains on its shard of every epoch (`batchSize` is per rank),
   * gradients are averaged over the ranks before each update, epoch logs are averaged, callbacks run on rank 0
   * only, and a stop (EarlyStopping, an abort signal) takes effect on every rank at the end of the epoch.
   */
  distributed?: boolean;
}

const FIT_KEYS = [
  'epochs',
  'batchSize',
  'shuffle',
  'validationSplit',
  'validationData',
  'initialEpoch',
  'callbacks',
  'verbose',
  'signal',
  'yieldEveryMs',
  'distributed',
];

/** The options of a fit call, checked, with their defaults. */
export function checkFitArgs(args: unknown) {
  if (args === null || typeof args !== 'object' || Array.isArray(args)) {
    throw new Error(
      `fit(): the third argument must be an options object such as { epochs: 10 }, got ` +
        `${args === null ? 'null' : typeof args}`,
    );
  }
  const a = args as FitArgs;
  for (const key of Object.keys(a)) {
    if (!FIT_KEYS.includes(key)) throw new Error(`fit(): unknown option '${key}'; options are: ${FIT_KEYS.join(', ')}`);
  }
  const epochs = a.epochs ?? 1;
  if (!Number.isInteger(epochs) || epochs < 0)
    throw new Error(`fit(): 'epochs' must be a non-negative integer, got ${a.epochs}`);
  const initialEpoch = a.initialEpoch ?? 0;
  if (!Number.isInteger(initialEpoch) || initialEpoch < 0)
    throw new Error(`fit(): 'initialEpoch' must be a non-negative integer, got ${a.initialEpoch}`);
  const validationSplit = a.validationSplit ?? 0;
  if (typeof validationSplit !== 'number' || !(validationSplit >= 0 && validationSplit < 1)) {
    throw new Error(`fit(): 'validationSplit' must be in [0, 1), got ${a.validationSplit}`);
  }
  const verbose = a.verbose ?? (process.stdout.isTTY ? 1 : 0);
  if (![0, 1, 2].includes(verbose)) throw new Error(`fit(): 'verbose' must be 0, 1 or 2, got ${a.verbose}`);
  if (a.shuffle !== undefined && typeof a.shuffle !== 'boolean')
    throw new Error(`fit(): 'shuffle' must be true or false, got ${String(a.shuffle)}`);
  const yieldEveryMs = a.yieldEveryMs ?? 10;
  if (typeof yieldEveryMs !== 'number' || !(yieldEveryMs >= 0))
    throw new Error(`fit(): 'yieldEveryMs' must be a number >= 0, got ${String(a.yieldEveryMs)}`);
  if (a.distributed !== undefined && typeof a.distributed !== 'boolean')
    throw new Error(`fit(): 'distributed' must be true or false, got ${String(a.distributed)}`);
  if (a.signal !== undefined && !(a.signal instanceof AbortSignal))
    throw new Error(`fit(): 'signal' must be an AbortSignal (new AbortController().signal)`);
  return {
    epochs,
    initialEpoch,
    validationSplit,
    verbose,
    batchSize: checkBatchSize('fit()', a.batchSize ?? 32),
    shuffle: a.shuffle ?? true,
    yieldEveryMs,
    distributed: a.distributed ?? false,
  };
}

export type FitOptions = ReturnType<typeof checkFitArgs>;
