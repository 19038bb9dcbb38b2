/**
 * Learning-rate schedules, functions of the optimizer's step count (or, for stepDecay, of a step count
 * per epoch you choose). An optimizer given a schedule evaluates it at every step.
 */
export interface Schedule {
  readonly className: string;
  /** The learning rate at 0-based step `step`. */
  at(step: number): number;
  getConfig(): Record<string, unknown>;
}

function positive(where: string, name: string, v: number): number {
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v))
    throw new Error(`${where}: '${name}' must be a finite number > 0, got ${v}`);
  return v;
}

/**
 * lr = initial · rate^(step / decaySteps) (floored exponent when staircase).
 * @example bp.optimizers.adam({ learningRate: bp.optimizers.exponentialDecay({ initialLearningRate: 0.01, decaySteps:
 * 100, decayRate: 0.9 }) })
 */
export function exponentialDecay(a: {
  initialLearningRate: number;
  decaySteps: number;
  decayRate: number;
  staircase?: boolean;
}): Schedule {
  const w = 'exponentialDecay()';
  const lr0 = positive(w, 'initialLearningRate', a?.initialLearningRate),
    steps = positive(w, 'decaySteps', a?.decaySteps),
    rate = positive(w, 'decayRate', a?.decayRate);
  const staircase = a.staircase ?? false;
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
 * @example bp.optimizers.sgd({ learningRate: bp.optimizers.stepDecay({ initialLearningRate: 0.1, dropEvery: 10,
 * factor: 0.5, stepsPerEpoch: 100 }) })
 */
export function stepDecay(a: {
  initialLearningRate: number;
  dropEvery: number;
  factor: number;
  stepsPerEpoch?: number;
}): Schedule {
  const w = 'stepDecay()';
  const lr0 = positive(w, 'initialLearningRate', a?.initialLearningRate),
    every = positive(w, 'dropEvery', a?.dropEvery),
    f = positive(w, 'factor', a?.factor);
  const spe = a.stepsPerEpoch === undefined ? 1 : positive(w, 'stepsPerEpoch', a.stepsPerEpoch);
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
 * Cosine decay to alpha·initial over decaySteps: lr = initial ·
 * ((1-alpha)·0.5·(1+cos(π·min(step,decaySteps)/decaySteps)) + alpha).
 * @example bp.optimizers.cosineDecay({ initialLearningRate: 0.01, decaySteps: 5000 })
 */
export function cosineDecay(a: { initialLearningRate: number; decaySteps: number; alpha?: number }): Schedule {
  const w = 'cosineDecay()';
  const lr0 = positive(w, 'initialLearningRate', a?.initialLearningRate),
    steps = positive(w, 'decaySteps', a?.decaySteps);
  const alpha = a.alpha ?? 0;
  if (typeof alpha !== 'number' || !(alpha >= 0 && alpha <= 1))
    throw new Error(`${w}: 'alpha' must be in [0, 1], got ${alpha}`);
  return {
    className: 'CosineDecay',
    at: (step) => lr0 * ((1 - alpha) * 0.5 * (1 + Math.cos((Math.PI * Math.min(step, steps)) / steps)) + alpha),
    getConfig: () => ({ initialLearningRate: lr0, decaySteps: steps, alpha }),
  };
}
