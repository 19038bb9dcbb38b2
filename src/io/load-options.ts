/** The options of bp.loadLayersModel(), checked at the public API. */
import type { LossIdentifier } from '../training/losses';

/** Default cap on the weights a load may read or a topology may imply: 2 GiB. */
export const DEFAULT_MAX_WEIGHT_BYTES = 2 ** 31;
/** The largest model.json the loader reads; save refuses to write a larger one (it could not be loaded). */
export const MAX_MODEL_JSON_BYTES = 64 << 20;

export interface LoadOptions {
  /** Require every model weight to be present and no extra ones (default true, as TF.js). */
  strict?: boolean;
  /**
   * Most bytes of weights a load accepts, checked before anything is allocated: both the weights the
   * topology implies (as float32, 4 bytes each) and the weight files together, optimizer state included.
   * Default 2 GiB; raise it for larger models from trusted files.
   * @example await bp.loadLayersModel('./big-model', { maxWeightBytes: 8 * 2 ** 30 });
   */
  maxWeightBytes?: number;
  /**
   * The loss to compile with when the model was saved after training with a custom (function) loss, which
   * cannot be saved: `loadLayersModel(dir, { loss: myLoss })`. Without it such a model loads for inference.
   */
  loss?: LossIdentifier;
}

/**
 * The options with defaults filled in, or an Error naming the bad option.
 * @example checkLoadOptions({ strict: false }, 'loadLayersModel()') // { strict: false, maxWeightBytes: 2 ** 31 }
 */
export function checkLoadOptions(
  options: unknown,
  method: string,
): Required<Omit<LoadOptions, 'loss'>> & Pick<LoadOptions, 'loss'> {
  if (options === undefined || options === null) options = {};
  if (typeof options !== 'object' || Array.isArray(options))
    throw new Error(`${method}: 'options' must be an object such as { strict, maxWeightBytes }`);
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (key !== 'strict' && key !== 'maxWeightBytes' && key !== 'loss')
      throw new Error(`${method}: unknown option '${key}'; known: strict, maxWeightBytes, loss`);
  }
  if (o.strict !== undefined && typeof o.strict !== 'boolean')
    throw new Error(`${method}: 'strict' must be true or false, got ${String(o.strict)}`);
  const max = o.maxWeightBytes;
  if (max !== undefined && (typeof max !== 'number' || !Number.isSafeInteger(max) || max < 0)) {
    throw new Error(
      `${method}: 'maxWeightBytes' must be a non-negative integer number of bytes (default ${2 ** 31}), ` +
        `got ${String(max)}`,
    );
  }
  return {
    strict: (o.strict as boolean | undefined) ?? true,
    maxWeightBytes: max ?? DEFAULT_MAX_WEIGHT_BYTES,
    loss: o.loss as LossIdentifier | undefined,
  };
}
