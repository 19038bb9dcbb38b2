/**
 * Callbacks, as in TF.js / Keras: plain objects with any of the hooks below, or instances of Callback
 * subclasses. Hooks may be async; fit awaits them.
 */
import type { Sequential } from '../model/sequential';

export type Logs = Record<string, number>;

export interface CallbackHooks {
  onTrainBegin?(logs?: Logs): void | Promise<void>;
  onTrainEnd?(logs?: Logs): void | Promise<void>;
  onEpochBegin?(epoch: number, logs?: Logs): void | Promise<void>;
  onEpochEnd?(epoch: number, logs?: Logs): void | Promise<void>;
  onBatchBegin?(batch: number, logs?: Logs): void | Promise<void>;
  onBatchEnd?(batch: number, logs?: Logs): void | Promise<void>;
  /** Called by fit before training with the model being trained. */
  setModel?(model: Sequential): void;
}

/** Base class for callbacks that need the model (`this.model`). */
export class Callback implements CallbackHooks {
  model?: Sequential;
  setModel(model: Sequential): void {
    this.model = model;
  }
}

const HOOKS = ['onTrainBegin', 'onTrainEnd', 'onEpochBegin', 'onEpochEnd', 'onBatchBegin', 'onBatchEnd'] as const;

/** Runs a list of callbacks; awaits only hooks that return promises, so sync callbacks cost no ticks. */
export class CallbackList {
  constructor(readonly callbacks: CallbackHooks[]) {
    for (const [i, cb] of callbacks.entries()) {
      if (!cb || typeof cb !== 'object')
        throw new Error(`fit(): callbacks[${i}] must be an object with hooks like onEpochEnd, got ${typeof cb}`);
      for (const key of Object.keys(cb)) {
        if (key.startsWith('on') && !(HOOKS as readonly string[]).includes(key)) {
          throw new Error(`fit(): callbacks[${i}] has unknown hook '${key}'; hooks are ${HOOKS.join(', ')}`);
        }
      }
    }
  }
  setModel(model: Sequential): void {
    for (const cb of this.callbacks) cb.setModel?.(model);
  }
  private async run(hook: (typeof HOOKS)[number], args: unknown[]): Promise<void> {
    for (const cb of this.callbacks) {
      const fn = cb[hook] as ((...a: unknown[]) => unknown) | undefined;
      if (!fn) continue;
      const r = fn.apply(cb, args);
      if (r && typeof (r as Promise<void>).then === 'function') await r;
    }
  }
  has(hook: (typeof HOOKS)[number]): boolean {
    return this.callbacks.some((cb) => typeof cb[hook] === 'function');
  }
  trainBegin(logs: Logs) {
    return this.run('onTrainBegin', [logs]);
  }
  trainEnd(logs: Logs) {
    return this.run('onTrainEnd', [logs]);
  }
  epochBegin(epoch: number, logs: Logs) {
    return this.run('onEpochBegin', [epoch, logs]);
  }
  epochEnd(epoch: number, logs: Logs) {
    return this.run('onEpochEnd', [epoch, logs]);
  }
  batchBegin(batch: number, logs: Logs) {
    return this.run('onBatchBegin', [batch, logs]);
  }
  batchEnd(batch: number, logs: Logs) {
    return this.run('onBatchEnd', [batch, logs]);
  }
}
