/**
 * model.apply(x) in custom training loops: the model as one tape node whose gradient (input and weights) comes
 * from the layers' backward, checked against finite differences in float64 on both backends; stale calls and bad
 * arguments refused by name.
 */
import * as bp from '../../src';
import { backendNames } from '../support/backends';
import { Rng } from '../../src/random';

const { ops } = bp;

function model(seed: number, dtype: 'float32' | 'float64' = 'float64') {
  return bp.sequential({
    seed,
    dtype,
    layers: [
      bp.layers.dense({ units: 5, activation: 'tanh', inputShape: [4] }),
      bp.layers.dense({ units: 3, activation: 'sigmoid' }),
    ],
  });
}

function t(data: ArrayLike<number>, shape: number[], dtype: 'float32' | 'float64'): bp.Tensor {
  return ops.reshape(ops.tensor(Array.from(data), dtype), shape);
}

function values(n: number, seed: number): Float64Array {
  const r = new Rng(seed);
  return Float64Array.from({ length: n }, () => r.uniform(-1, 1));
}

describe.each(backendNames())('model.apply on the %s backend', (backend) => {
  beforeAll(() => bp.setBackend(backend));
  afterAll(() => bp.setBackend('auto'));

  test('gradients of the input and of every weight match central differences (float64)', () => {
    const m = model(3);
    const x = t(values(6 * 4, 1), [6, 4], 'float64');
    const c = t(values(6 * 3, 2), [6, 3], 'float64');
    const f = (input: bp.Tensor) => ops.sum(ops.mul(ops.square(m.apply(input)), c));
    const scalar = (input: bp.Tensor) => f(input).arraySync() as number;
    const eps = 1e-6;
    const dx = bp.grad(f)(x);
    for (let i = 0; i < x.data.length; i++) {
      const plus = Float64Array.from(x.data),
        minus = Float64Array.from(x.data);
      plus[i] += eps;
      minus[i] -= eps;
      const fd = (scalar(t(plus, [6, 4], 'float64')) - scalar(t(minus, [6, 4], 'float64'))) / (2 * eps);
      expect(Math.abs(dx.data[i] - fd)).toBeLessThan(1e-8 * Math.max(1, Math.abs(fd)));
    }
    const vars = m.trainableWeights;
    const { grads } = bp.variableGrads(() => f(x), vars);
    for (const v of vars) {
      const w = v.data;
      for (let i = 0; i < w.length; i++) {
        const keep = w[i];
        w[i] = keep + eps;
        const up = scalar(x);
        w[i] = keep - eps;
        const down = scalar(x);
        w[i] = keep;
        const fd = (up - down) / (2 * eps);
        expect(Math.abs(grads[v.name].data[i] - fd)).toBeLessThan(1e-8 * Math.max(1, Math.abs(fd)));
      }
    }
  });

  test('two models chained: minimize over one model updates it and leaves the other alone', () => {
    const g = model(4, 'float32');
    const d = bp.sequential({ seed: 5, layers: [bp.layers.dense({ units: 1, inputShape: [3] })] });
    const z = t(values(8 * 4, 3), [8, 4], 'float32');
    const gBefore = g.getWeights().map((w) => Array.from(w.data));
    const dBefore = d.getWeights().map((w) => Array.from(w.data));
    const opt = bp.optimizers.sgd({ learningRate: 0.1 });
    const loss = () => ops.mean(d.apply(g.apply(z)));
    const first = loss().arraySync() as number;
    for (let i = 0; i < 5; i++) opt.minimize(loss, false, g.trainableWeights);
    expect(loss().arraySync() as number).toBeLessThan(first);
    expect(d.getWeights().map((w) => Array.from(w.data))).toEqual(dBefore);
    expect(g.getWeights().map((w) => Array.from(w.data))).not.toEqual(gBefore);
  });
});

describe('model.apply refuses what it cannot do', () => {
  test('a gradient after the model ran again (its layers hold the last call only)', () => {
    const m = model(3);
    const x = t(values(8, 1), [2, 4], 'float64');
    expect(() => bp.grad((u) => ops.add(ops.sum(m.apply(u)), ops.sum(m.apply(ops.mul(u, 2)))))(x)).toThrow(
      /ran again .* apply it once per gradient/,
    );
    expect(() =>
      bp.grad((u) => {
        const y = ops.sum(m.apply(u));
        m.predict([[0, 0, 0, 0]]);
        return y;
      })(x),
    ).toThrow(/ran again/);
  });

  test('bad arguments, by name', () => {
    const m = model(3);
    expect(() => m.apply(t(values(6, 1), [2, 3], 'float64'))).toThrow(/'x' has shape \[2,3\].*\[batch, 4\]/);
    expect(() => m.apply(t(values(8, 1), [2, 4], 'float32'))).toThrow(/'x' is float32 but the model/);
    expect(() => m.apply(ops.zeros([0, 4], 'float64'))).toThrow(/no rows/);
    expect(() => m.apply([[1, 2, 3, 4]], { training: 'yes' as never })).toThrow(/'training' must be true or false/);
    expect(() => m.apply([[1, 2, 3, 4]], { train: true } as never)).toThrow(/unknown option 'train'/);
    expect(() => m.apply('x' as never)).toThrow(/model.apply\(\)/);
    expect(() => bp.sequential().apply([[1]])).toThrow(/no layers/);
    expect(m.apply([[1, 2, 3, 4]]).shape).toEqual([1, 3]);
    const inp = bp.input({ shape: [4] });
    const functional = bp.model({ inputs: inp, outputs: bp.layers.dense({ units: 2 }).apply(inp) });
    expect(() => functional.apply([[1, 2, 3, 4]])).toThrow(/Sequential models of plain layers/);
  });

  test('not inside a traced call (a custom layer or a function loss)', () => {
    const m = model(3, 'float32');
    const loss = (yTrue: bp.Tensor, yPred: bp.Tensor) => ops.sub(ops.mean(m.apply(yPred), -1), ops.mean(yTrue, -1));
    const outer = bp.sequential({ seed: 1, layers: [bp.layers.dense({ units: 4, inputShape: [2] })] });
    outer.compile({ optimizer: 'sgd', loss });
    expect(() => outer.trainOnBatch([[1, 2]], [[1, 2, 3, 4]])).toThrow(/concrete tensors/);
  });
});
