/** Learning-rate schedules against their formulas. */
import { cosineDecay, exponentialDecay, stepDecay } from '../../src/optimizers/schedules';

describe('schedules', () => {
  test('exponentialDecay: lr0·rate^(step/decaySteps), floored exponent with staircase', () => {
    const s = exponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 });
    expect(s.at(0)).toBeCloseTo(0.1, 15);
    expect(s.at(5)).toBeCloseTo(0.1 * Math.SQRT1_2, 15);
    expect(s.at(10)).toBeCloseTo(0.05, 15);
    expect(s.at(25)).toBeCloseTo(0.1 * 0.5 ** 2.5, 15);
    const st = exponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5, staircase: true });
    expect(st.at(9)).toBeCloseTo(0.1, 15);
    expect(st.at(10)).toBeCloseTo(0.05, 15);
    expect(st.at(25)).toBeCloseTo(0.025, 15);
    expect(st.getConfig()).toEqual({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5, staircase: true });
    expect(s.className).toBe('ExponentialDecay');
  });
  test('stepDecay: lr0·factor^floor(epoch/dropEvery), with stepsPerEpoch for step counts', () => {
    const s = stepDecay({ initialLearningRate: 0.2, dropEvery: 3, factor: 0.5 });
    expect([0, 2, 3, 5, 6, 9].map((e) => s.at(e))).toEqual([0.2, 0.2, 0.1, 0.1, 0.05, 0.025]);
    const perStep = stepDecay({ initialLearningRate: 0.2, dropEvery: 3, factor: 0.5, stepsPerEpoch: 100 });
    expect(perStep.at(299)).toBe(0.2);
    expect(perStep.at(300)).toBe(0.1);
    expect(s.getConfig()).toEqual({ initialLearningRate: 0.2, dropEvery: 3, factor: 0.5 });
    expect(perStep.getConfig()).toMatchObject({ stepsPerEpoch: 100 });
  });
  test('cosineDecay: lr0·((1-α)·½(1+cos(π·min(step,N)/N)) + α)', () => {
    const s = cosineDecay({ initialLearningRate: 1, decaySteps: 100 });
    expect(s.at(0)).toBeCloseTo(1, 15);
    expect(s.at(50)).toBeCloseTo(0.5, 15);
    expect(s.at(25)).toBeCloseTo(0.5 * (1 + Math.SQRT1_2), 15);
    expect(s.at(100)).toBeCloseTo(0, 15);
    expect(s.at(1000)).toBeCloseTo(0, 15);
    const a = cosineDecay({ initialLearningRate: 2, decaySteps: 100, alpha: 0.1 });
    expect(a.at(50)).toBeCloseTo(2 * (0.9 * 0.5 + 0.1), 15);
    expect(a.at(200)).toBeCloseTo(0.2, 15);
    expect(a.getConfig()).toEqual({ initialLearningRate: 2, decaySteps: 100, alpha: 0.1 });
  });
  test('bad arguments throw', () => {
    expect(() => exponentialDecay({ initialLearningRate: 0.1, decaySteps: 0, decayRate: 0.5 })).toThrow(/decaySteps/);
    expect(() => stepDecay({ initialLearningRate: -1, dropEvery: 1, factor: 0.5 })).toThrow(/initialLearningRate/);
    expect(() => cosineDecay({ initialLearningRate: 1, decaySteps: NaN })).toThrow(/decaySteps/);
    expect(() => cosineDecay({ initialLearningRate: 1, decaySteps: 10, alpha: 2 })).toThrow(/alpha/);
  });
});
