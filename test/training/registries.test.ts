/**
 * Every registry entry round-trips through its config: fromConfig(getConfig(x)) has the same config and
 * behaves the same (losses give the same values and gradients, optimizers the same steps, schedules the same
 * rates, initializers the same draws), and names are looked up without reaching object prototypes.
 */
import * as bp from '../../src';
import { ACTIVATION_NAMES } from '../../src/backend/ops';
import { resolveActivation } from '../../src/layers/activation-names';
import { SUPPORTED_LAYERS } from '../../src/layers/registry';
import { getLoss, LOSS_NAMES, serializeLoss } from '../../src/training/losses';
import { getMetric, METRIC_NAMES } from '../../src/training/metrics';
import { getInitializer, INITIALIZER_NAMES } from '../../src/training/initializers';
import { getRegularizer } from '../../src/training/regularizers';
import type { Param } from '../../src/training/contracts';

const js = bp.jsReference();

function lossCases(): bp.Loss[] {
  const out: bp.Loss[] = [];
  for (const name of LOSS_NAMES) {
    out.push(getLoss(name));
    if (name === 'huber') out.push(bp.losses.huber({ delta: 0.25 }));
    if (/Crossentropy$/.test(name)) out.push(getLoss({ className: name, config: { fromLogits: true } }));
  }
  return out;
}

describe('loss registry', () => {
  test.each(lossCases().map((l) => [`${l.name} ${JSON.stringify(l.getConfig())}`, l] as const))(
    '%s round-trips and computes the same',
    (_label, loss) => {
      const saved = JSON.parse(JSON.stringify(serializeLoss(loss)));
      const again = getLoss(saved);
      expect(serializeLoss(again)).toEqual(saved);
      const rng = new bp.Rng(3);
      const rows = 4,
        cols = 3;
      const p = Float64Array.from({ length: rows * cols }, () => rng.uniform(0.05, 0.95));
      const t = loss.sparseTargets
        ? Int32Array.from({ length: rows }, () => rng.int(cols))
        : Float64Array.from({ length: rows * cols }, () => (rng.uniform(0, 1) > 0.5 ? 1 : 0));
      const g1 = new Float64Array(rows * cols),
        g2 = new Float64Array(rows * cols);
      expect(again.compute(js, p, t, g2, rows, cols)).toBe(loss.compute(js, p, t, g1, rows, cols));
      expect(Array.from(g2)).toEqual(Array.from(g1));
    },
  );

  test('names, aliases and errors', () => {
    expect(getLoss('mse').name).toBe('meanSquaredError');
    expect(getLoss('mean_absolute_error').name).toBe('meanAbsoluteError');
    expect(() => getLoss('__proto__')).toThrow(/unknown loss "__proto__"/);
    expect(() => getLoss({ className: 'huber', config: { delta: NaN } })).toThrow(
      /'delta' must be a finite number > 0/,
    );
    expect(() => getLoss({ className: 'huber', config: { delat: 1 } })).toThrow(/unknown option 'delat'/);
    expect(serializeLoss(bp.losses.customLoss((t, p) => p[0] - t[0]))).toBeNull();
  });
});

function optimizerCases(): bp.Optimizer[] {
  const schedule = bp.optimizers.exponentialDecay({ initialLearningRate: 0.05, decaySteps: 2, decayRate: 0.5 });
  return [
    bp.optimizers.sgd(),
    bp.optimizers.sgd({ learningRate: 0.2, momentum: 0.8, nesterov: true, weightDecay: 0.01, clipValue: 0.5 }),
    bp.optimizers.sgd({ learningRate: schedule, clipNorm: 0.3 }),
    bp.optimizers.rmsprop({ learningRate: 0.01, rho: 0.8, epsilon: 1e-5, weightDecay: 0.001, clipNorm: 1 }),
    bp.optimizers.adagrad({ learningRate: 0.1, initialAccumulatorValue: 0.2, epsilon: 1e-6 }),
    bp.optimizers.adam({
      learningRate: bp.optimizers.cosineDecay({ initialLearningRate: 0.01, decaySteps: 3, alpha: 0.1 }),
    }),
    bp.optimizers.adam({ beta1: 0.8, beta2: 0.99, epsilon: 1e-6, weightDecay: 0.01, clipValue: 2 }),
    bp.optimizers.adamw({ weightDecay: 0.05 }),
  ];
}

function params(): Param[] {
  const rng = new bp.Rng(9);
  const make = (n: number) => Float64Array.from({ length: n }, () => rng.uniform(-1, 1));
  return [
    { name: 'a/kernel', shape: [2, 3], value: make(6), grad: make(6) },
    { name: 'a/bias', shape: [3], value: make(3), grad: make(3) },
  ];
}

describe('optimizer registry', () => {
  test.each(optimizerCases().map((o) => [`${o.className} ${JSON.stringify(o.getConfig())}`, o] as const))(
    '%s round-trips and steps the same',
    (_label, opt) => {
      const saved = JSON.parse(JSON.stringify(bp.optimizers.serializeOptimizer(opt)));
      const again = bp.optimizers.getOptimizer(saved);
      expect(bp.optimizers.serializeOptimizer(again)).toEqual(saved);
      const a = params(),
        b = params();
      for (let i = 0; i < 4; i++) {
        opt.step(js, a);
        again.step(js, b);
      }
      a.forEach((p, i) => expect(Array.from(b[i].value)).toEqual(Array.from(p.value)));
    },
  );

  test('options that are NaN, out of range or unknown are refused at construction', () => {
    expect(() => bp.optimizers.adam({ epsilon: NaN })).toThrow(
      /optimizers.adam\(\): 'epsilon' must be a finite number > 0, got NaN/,
    );
    expect(() => bp.optimizers.sgd({ weightDecay: NaN })).toThrow(
      /'weightDecay' must be a finite number >= 0, got NaN/,
    );
    expect(() => bp.optimizers.rmsprop({ rho: 1 })).toThrow(/'rho' must be a finite number >= 0 and < 1/);
    expect(() => bp.optimizers.adam({ learningRate: Infinity })).toThrow(/'learningRate' must be a finite number/);
    expect(() => bp.optimizers.adam({ clipNorm: -1 })).toThrow(/'clipNorm' must be a finite number > 0/);
    expect(() => bp.optimizers.sgd({ learning_rate: 0.1 } as never)).toThrow(/unknown option 'learning_rate'/);
    expect(() => bp.optimizers.getOptimizer('__proto__')).toThrow(/unknown optimizer "__proto__"/);
    expect(() => bp.optimizers.getOptimizer({ name: 'toString' })).toThrow(/unknown optimizer "toString"/);
    expect(bp.optimizers.getOptimizer({ name: 'adam', learningRate: 0.02 }).learningRate).toBe(0.02);
  });
});

describe('schedule registry', () => {
  const schedules = [
    bp.optimizers.exponentialDecay({ initialLearningRate: 0.1, decaySteps: 3, decayRate: 0.9, staircase: true }),
    bp.optimizers.stepDecay({ initialLearningRate: 0.1, dropEvery: 2, factor: 0.5, stepsPerEpoch: 4 }),
    bp.optimizers.cosineDecay({ initialLearningRate: 0.1, decaySteps: 10, alpha: 0.2 }),
  ];
  test.each(schedules.map((s) => [s.className, s] as const))('%s round-trips', (_n, s) => {
    const again = bp.optimizers.getSchedule(JSON.parse(JSON.stringify(bp.optimizers.serializeSchedule(s))));
    expect(again.getConfig()).toEqual(s.getConfig());
    for (let k = 0; k < 30; k++) expect(again.at(k)).toBe(s.at(k));
  });
  test('every schedule name has a case here', () => {
    expect(new Set(schedules.map((s) => s.className))).toEqual(new Set(bp.optimizers.SCHEDULE_NAMES));
  });
});

describe('initializer, regularizer, metric and activation registries', () => {
  test.each(INITIALIZER_NAMES.map((n) => [n]))('initializer %s round-trips and draws the same', (name) => {
    const init = getInitializer(name);
    const again = getInitializer(JSON.parse(JSON.stringify({ className: init.className, config: init.getConfig() })));
    expect(again.className).toBe(init.className);
    expect(again.getConfig()).toEqual(init.getConfig());
    const a = new Float64Array(12),
      b = new Float64Array(12);
    init.fill(a, [3, 4], new bp.Rng(1));
    again.fill(b, [3, 4], new bp.Rng(1));
    expect(Array.from(b)).toEqual(Array.from(a));
  });

  test('regularizers round-trip', () => {
    for (const r of [
      bp.regularizers.l1(),
      bp.regularizers.l2({ l2: 0.3 }),
      bp.regularizers.l1l2({ l1: 0.1, l2: 0.2 }),
    ]) {
      const again = getRegularizer({ className: r.className, config: r.getConfig() });
      expect(again.getConfig()).toEqual(r.getConfig());
    }
  });

  test('every metric name compile accepts resolves', () => {
    const loss = getLoss('mse');
    for (const m of METRIC_NAMES) expect(typeof getMetric(m, loss, 1).result()).toBe('number');
  });

  test('every activation resolves from its own name', () => {
    for (const a of ACTIVATION_NAMES) expect(resolveActivation(a, 'test').name).toBe(a);
  });

  test('the layer registry lists each class once', () => {
    expect(new Set(SUPPORTED_LAYERS).size).toBe(SUPPORTED_LAYERS.length);
  });
});
