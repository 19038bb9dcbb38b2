/**
 * Learning-rate schedules, functions of the optimizer's step count (or, for stepDecay, of a step count
 * per epoch you choose). An optimizer given a schedule evaluates it at every step; its position is the
 * optimizer's step count, which checkpoints save. Each schedule round-trips through its config
 * (`getSchedule(serializeSchedule(s))` behaves as `s`).
 */
import { checkBoolean, checkKeys, checkNumber } from '../training/options';

export interface Schedule {
  readonly className: string;
  /** The learning rate at 0-based step `step`. */
  at(step: number): number;
  getConfig(): Record<string, unknown>;
}

const positive = { min: 0, minExclusive: true };

/**
 * lr = initial · rate^(step / decaySteps) (floored exponent when staircase).
 * @example
 * const lr = bp.optimizers.exponentialDecay({ initialLearningRate: 0.01, decaySteps: 100, decayRate: 0.9 });
 * bp.optimizers.adam({ learningRate: lr });
 */
export function exponentialDecay(a: {
  initialLearningRate: number;
  decaySteps: number;
  decayRate: number;
  staircase?: boolean;
}): Schedule {
  const w = 'exponentialDecay()';
  checkKeys(w, a, ['initialLearningRate', 'decaySteps', 'decayRate', 'staircase']);
  const lr0 = checkNumber(w, 'initialLearningRate', a?.initialLearningRate, positive);
  const steps = checkNumber(w, 'decaySteps', a?.decaySteps, positive);
  const rate = checkNumber(w, 'decayRate', a?.decayRate, positive);
  const staircase = checkBoolean(w, 'staircase', a.staircase, false);
  return {
    className: 'ExponentialDecay',
    at: (step) => lr0 * Math.pow(rate, staircase ? Math.floor(step / steps) : step / steps),
    getConfig: () => ({ initialLearningRate: lr0, decaySteps: steps, decayRate: rate, staircase }),
  };
}

/**
 * Epoch-based step decay: lr = initial · factor^floor(epoch / dropEvery). `at(n)` takes the epoch; given
 * to an optimizer (which evaluates schedules at its step count), pass `stepsPerEpoch` so that
 * epoch = floor(step / stepsPerEpoch). Or drive it per epoch with a callback:
 * `bp.callbacks.learningRateScheduler((epoch) => sched.at(epoch))`.
 * @example
 * const lr = bp.optimizers.stepDecay({ initialLearningRate: 0.1, dropEvery: 10, factor: 0.5, stepsPerEpoch: 100 });
 * bp.optimizers.sgd({ learningRate: lr });
 */
export function stepDecay(a: {
  initialLearningRate: number;
  dropEvery: number;
  factor: number;
  stepsPerEpoch?: number;
}): Schedule {
  const w = 'stepDecay()';
  checkKeys(w, a, ['initialLearningRate', 'dropEvery', 'factor', 'stepsPerEpoch']);
  const lr0 = checkNumber(w, 'initialLearningRate', a?.initialLearningRate, positive);
  const every = checkNumber(w, 'dropEvery', a?.dropEvery, positive);
  const f = checkNumber(w, 'factor', a?.factor, positive);
  const spe = a.stepsPerEpoch === undefined ? 1 : checkNumber(w, 'stepsPerEpoch', a.stepsPerEpoch, positive);
  return {
    className: 'StepDecay',
    at: (step) => lr0 * Math.pow(f, Math.floor(Math.floor(step / spe) / every)),
    getConfig: () => ({
      initialLearningRate: lr0,
      dropEvery: every,
      factor: f,
      ...(a.stepsPerEpoch === undefined ? {} : { stepsPerEpoch: spe }),
    }),
  };
}

/**
 * Cosine decay to alpha·initial over decaySteps:
 * lr = initial · ((1-alpha)·0.5·(1+cos(π·min(step,decaySteps)/decaySteps)) + alpha).
 * @example bp.optimizers.cosineDecay({ initialLearningRate: 0.01, decaySteps: 5000 })
 */
export function cosineDecay(a: { initialLearningRate: number; decaySteps: number; alpha?: number }): Schedule {
  const w = 'cosineDecay()';
  checkKeys(w, a, ['initialLearningRate', 'decaySteps', 'alpha']);
  const lr0 = checkNumber(w, 'initialLearningRate', a?.initialLearningRate, positive);
  const steps = checkNumber(w, 'decaySteps', a?.decaySteps, positive);
  const alpha = checkNumber(w, 'alpha', a.alpha, { min: 0, max: 1 }, 0);
  return {
    className: 'CosineDecay',
    at: (step) => lr0 * ((1 - alpha) * 0.5 * (1 + Math.cos((Math.PI * Math.min(step, steps)) / steps)) + alpha),
    getConfig: () => ({ initialLearningRate: lr0, decaySteps: steps, alpha }),
  };
}

/** The schedule registry: class name → factory from config. */
const SCHEDULES: Record<string, (config: never) => Schedule> = {
  ExponentialDecay: exponentialDecay,
  StepDecay: stepDecay,
  CosineDecay: cosineDecay,
};

export const SCHEDULE_NAMES = Object.keys(SCHEDULES);

/** `{ className, config }`, the form optimizers save their schedule in. */
export function serializeSchedule(s: Schedule): { className: string; config: Record<string, unknown> } {
  return { className: s.className, config: s.getConfig() };
}

/**
 * A schedule, or one rebuilt from `{ className, config }` (checked like the factories' arguments).
 * @example getSchedule({ className: 'CosineDecay', config: { initialLearningRate: 0.01, decaySteps: 100 } })
 */
export function getSchedule(id: Schedule | { className: string; config?: Record<string, unknown> }): Schedule {
  if (id && typeof (id as Schedule).at === 'function') return id as Schedule;
  const { className, config } = (id ?? {}) as { className?: unknown; config?: unknown };
  const make = typeof className === 'string' && Object.prototype.hasOwnProperty.call(SCHEDULES, className);
  if (!make) {
    throw new Error(`unknown schedule ${JSON.stringify(className)}; use one of ${SCHEDULE_NAMES.join(', ')}`);
  }
  if (config !== undefined && (config === null || typeof config !== 'object' || Array.isArray(config))) {
    throw new Error(`schedule ${className}: 'config' must be an object`);
  }
  return SCHEDULES[className as string]((config ?? {}) as never);
}
