/**
 * Custom training loops as in TF.js: variables, optimizer.minimize(f) and optimizer.applyGradients(grads) over
 * bp.variableGrads' gradients, and model.trainableWeights as variables an optimizer updates in place.
 */
import * as bp from '../../src';

const { ops } = bp;

describe('custom training loops', () => {
  test('minimize fits a line with variables', () => {
    const xs = ops.tensor([0, 1, 2, 3, 4]);
    const ys = ops.tensor([1, 3, 5, 7, 9]); // y = 2x + 1
    const a = bp.variable(0, true, 'loop_a'),
      b = bp.variable(0, true, 'loop_b');
    const opt = bp.optimizers.adam({ learningRate: 0.1 });
    const loss = () => ops.mean(ops.square(ops.sub(ops.add(ops.mul(xs, a), b), ys)));
    const first = opt.minimize(loss, true)!.arraySync() as number;
    for (let i = 0; i < 500; i++) opt.minimize(loss);
    expect(first).toBeGreaterThan(10);
    expect(loss().arraySync()).toBeLessThan(1e-3);
    expect(a.arraySync()).toBeCloseTo(2, 1);
    expect(b.arraySync()).toBeCloseTo(1, 1);
    expect(opt.iterations).toBe(501);
  });

  test('applyGradients takes variableGrads maps and [{ name, tensor }] lists (plain SGD: w − lr·g)', () => {
    const w = bp.variable([1, 2, 3], true, 'loop_w');
    const opt = bp.optimizers.sgd({ learningRate: 0.5 });
    const { grads } = bp.variableGrads(() => ops.sum(ops.square(w)));
    expect(grads.loop_w.arraySync()).toEqual([2, 4, 6]);
    opt.applyGradients(grads);
    expect(w.arraySync()).toEqual([0, 0, 0]);
    opt.applyGradients([{ name: 'loop_w', tensor: ops.tensor([1, 1, 1]) }]);
    expect(w.arraySync()).toEqual([-0.5, -0.5, -0.5]);
    expect(() => opt.applyGradients({ nope: ops.tensor([1]) })).toThrow(/no variable named 'nope'/);
    expect(() => opt.applyGradients({ loop_w: ops.tensor([1]) })).toThrow(/shape \[1\] but the variable has \[3\]/);
    expect(() => bp.variable([1], true, 'loop_w')).toThrow(/exists already/);
  });

  test("model.trainableWeights: an optimizer updates the model's weights through them", () => {
    const model = bp.sequential({ seed: 1, layers: [bp.layers.dense({ units: 2, inputShape: [3] })] });
    const vars = model.trainableWeights;
    expect(vars.map((v) => [v.name, v.shape])).toEqual([
      ['dense_1/kernel', [3, 2]],
      ['dense_1/bias', [2]],
    ]);
    expect(vars[0]).toBe(model.trainableWeights[0]);
    const before = model.getWeights().map((w) => Array.from(w.data));
    const { grads } = bp.variableGrads(() => ops.sum(ops.add(ops.matMul([[1, 1, 1]], vars[0]), vars[1])), vars);
    bp.optimizers.sgd({ learningRate: 0.1 }).applyGradients(grads);
    const after = model.getWeights().map((w) => Array.from(w.data));
    // d/dW Σ (x·W + b) = xᵀ·1 = ones; d/db = ones: every weight moves by −0.1.
    after.forEach((w, i) => w.forEach((v, j) => expect(v).toBeCloseTo(before[i][j] - 0.1, 6)));
  });
});
