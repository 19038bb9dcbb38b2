/**
 * Resource limits that protect a process from inputs that cost more than they should: a model too large
 * for memory is refused before anything is allocated, with an error naming its size. Change them with
 * `bp.setLimits({ ... })`.
 */
import * as os from 'node:os';

export interface Limits {
  /**
   * Most bytes a model's parameters may take, counting each weight array and its gradient buffer
   * (default: half the machine's memory, at most 16 GiB).
   */
  maxModelBytes: number;
}

const GiB = 2 ** 30;
const limits: Limits = { maxModelBytes: Math.min(16 * GiB, Math.floor(os.totalmem() / 2)) };

/** The limits in force (a copy). @example bp.getLimits().maxModelBytes */
export function getLimits(): Limits {
  return { ...limits };
}

/**
 * Changes limits.
 * @example bp.setLimits({ maxModelBytes: 4 * 2 ** 30 }); // refuse models over 4 GiB
 */
export function setLimits(changes: Partial<Limits>): void {
  if (!changes || typeof changes !== 'object')
    throw new Error('setLimits(): expected an object such as { maxModelBytes }');
  for (const [key, value] of Object.entries(changes)) {
    if (!Object.prototype.hasOwnProperty.call(limits, key)) {
      throw new Error(`setLimits(): unknown limit '${key}'; known: ${Object.keys(limits).join(', ')}`);
    }
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
      throw new Error(`setLimits(): '${key}' must be a positive integer number of bytes, got ${String(value)}`);
    }
  }
  Object.assign(limits, changes);
}

/** Human-readable bytes: 1.5 GiB, 12.0 MiB. */
export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} bytes` : `${n.toFixed(1)} ${units[i]}`;
}

/**
 * Memory a model needs: each parameter takes up to four arrays (value, gradient and up to two optimizer
 * slots, as Adam keeps); each activation value of a batch about three (output, pre-activation, gradient).
 */
export const ARRAYS_PER_PARAMETER = 4;
export const ARRAYS_PER_ACTIVATION = 3;

/**
 * Throws, naming the size, when a model of `parameters` values (and, for a batch, `activations` values per
 * step) would need more than maxModelBytes. Called before anything is allocated.
 * @example checkModelSize('model.build()', 1e9, 0, 4)
 */
export function checkModelSize(where: string, parameters: number, activations: number, bytesPerValue: number): void {
  const bytes = (parameters * ARRAYS_PER_PARAMETER + activations * ARRAYS_PER_ACTIVATION) * bytesPerValue;
  if (!(bytes <= limits.maxModelBytes)) {
    const what = activations > 0 ? ` and ${activations.toLocaleString('en-US')} activation values per batch` : '';
    throw new Error(
      `${where}: the model has ${parameters.toLocaleString('en-US')} parameters${what}, which need about ` +
        `${formatBytes(bytes)} for weights, gradients, optimizer state and buffers; the limit is ` +
        `${formatBytes(limits.maxModelBytes)}. Use fewer or smaller layers` +
        `${activations > 0 ? ' or a smaller batch' : ''}, ` +
        `or raise the limit with bp.setLimits({ maxModelBytes }).`,
    );
  }
}

/**
 * Throws, naming the sizes, when training needs more than maxModelBytes: `need` as model/step-memory.ts sums it
 * (parameters with gradients and optimizer state, and every buffer a step holds for each batch size). Called
 * before anything is allocated.
 * @example checkTrainingMemory('fit()', trainingMemory({ layers, inputShape: [784], batchSizes: [32] }))
 */
export function checkTrainingMemory(
  where: string,
  need: { bytes: number; parameters: number; bufferValues: number },
  limit = limits.maxModelBytes,
): void {
  if (need.bytes <= limit) return;
  throw new Error(
    `${where}: the model has ${need.parameters.toLocaleString('en-US')} parameters and ` +
      `${need.bufferValues.toLocaleString('en-US')} activation values per batch (outputs, gradients and layer ` +
      `workspaces), which need about ${formatBytes(need.bytes)} for weights, gradients, optimizer state and ` +
      `buffers; the limit is ${formatBytes(limit)}. Use fewer or smaller layers or a smaller batch, ` +
      `or raise the limit with bp.setLimits({ maxModelBytes }).`,
  );
}
