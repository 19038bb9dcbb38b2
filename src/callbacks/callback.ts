/**
 * Callbacks, as in TF.js / Keras: plain objects with any of the hooks below, or instances of Callback
 * subclasses. Hooks may be async; fit awaits them.
 */
import type { Model } from '../model/model';

export type Logs = Record<string, number>;

export interface CallbackHooks {
  onTrainBegin?(logs?: Logs): void | Promise<void>;
  onTrainEnd?(logs?: Logs): void | Promise<void>;
  onEpochBegin?(epoch: number, logs?: Logs): void | Promise<void>;
  onEpochEnd?(epoch: number, logs?: Logs): void | Promise<void>;
  onBatchBegin?(batch: number, logs?: Logs): void | Promise<void>;
  onBatchEnd?(batch: number, logs?: Logs): void | Promise<void>;
  /** Called by fit before training with the model being trained. */
  setModel?(model: Model): void;
  /**
   * True for callbacks that save the model (modelCheckpoint, a job's checkpointing): at each epoch end they
   * run after the others, so a checkpoint holds the state the other callbacks reached in that epoch.
   */
  savesCheckpoints?: boolean;
  /** For stateful callbacks: their state, saved with checkpoints so a resumed fit continues exactly. */
  getState?(): Record<string, number>;
  setState?(state: Record<string, number>): void;
}

/** Base class for callbacks that need the model (`this.model`). */
export class Callback implements CallbackHooks {
  model?: Model;
  setModel(model: Model): void {
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
  setModel(model: Model): void {
    for (const cb of this.callbacks) cb.setModel?.(model);
  }
  private async run(
    hook: (typeof HOOKS)[number],
    args: unknown[],
    which: CallbackHooks[] = this.callbacks,
  ): Promise<void> {
    for (const cb of which) {
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
  /** Runs onEpochEnd: first the callbacks that do not save, then `snapshot`, then those that save. */
  async epochEnd(epoch: number, logs: Logs, snapshot: () => void = () => {}) {
    await this.run(
      'onEpochEnd',
      [epoch, logs],
      this.callbacks.filter((c) => !c.savesCheckpoints),
    );
    snapshot();
    await this.run(
      'onEpochEnd',
      [epoch, logs],
      this.callbacks.filter((c) => c.savesCheckpoints),
    );
  }

  /** Stateful callbacks keyed by class name and occurrence ('ReduceLROnPlateau#0'). */
  private stateful(): [string, CallbackHooks][] {
    const seen = new Map<string, number>();
    const out: [string, CallbackHooks][] = [];
    for (const cb of this.callbacks) {
      if (typeof cb.getState !== 'function' || typeof cb.setState !== 'function') continue;
      const cls = cb.constructor?.name || 'Callback';
      const n = seen.get(cls) ?? 0;
      seen.set(cls, n + 1);
      out.push([`${cls}#${n}`, cb]);
    }
    return out;
  }

  /** The state of every stateful callback, by key. */
  collectState(): Record<string, Record<string, number>> {
    return Object.fromEntries(this.stateful().map(([k, cb]) => [k, { ...cb.getState!() }]));
  }

  /** Restores states saved by collectState (callbacks absent from `states` keep their fresh state). */
  restoreState(states: Record<string, Record<string, number>>): void {
    for (const [k, cb] of this.stateful()) {
      if (Object.prototype.hasOwnProperty.call(states, k)) cb.setState!({ ...states[k] });
    }
  }
  batchBegin(batch: number, logs: Logs) {
    return this.run('onBatchBegin', [batch, logs]);
  }
  batchEnd(batch: number, logs: Logs) {
    return this.run('onBatchEnd', [batch, logs]);
  }
}
