/**
 * bp.ops computed eagerly and the TF.js-style gradient functions over them: values of the shape ops against
 * hand-written results, the gradient API (grad, grads, valueAndGrad(s), variableGrads, customGrad, variables),
 * gradients of gradients, and the errors bad arguments get.
 */
import * as bp from '../../src';
import { Tensor } from '../../src/autodiff/tensor';

const { ops } = bp;

describe('ops compute what TF.js computes', () => {
  test('elementwise with broadcasting, reductions, softmax', () => {
    const x = ops.tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(ops.add(x, [10, 20, 30]).arraySync()).toEqual([
      [11, 22, 33],
      [14, 25, 36],
    ]);
    expect(ops.sub(1, x).arraySync()).toEqual([
      [0, -1, -2],
      [-3, -4, -5],
    ]);
    expect(ops.sum(x, 0).arraySync()).toEqual([5, 7, 9]);
    expect(ops.mean(x, -1, true).arraySync()).toEqual([[2], [5]]);
    expect(ops.max(x).arraySync()).toBe(6);
    expect(ops.min(x, 1).arraySync()).toEqual([1, 4]);
    expect(ops.logSumExp([0, 0]).arraySync()).toBeCloseTo(Math.log(2), 6);
    const sm = ops.softmax([[1, 2, 3]]).data;
    expect(sm[0] + sm[1] + sm[2]).toBeCloseTo(1, 6);
    expect(ops.where(ops.greater(x, 3), x, 0).arraySync()).toEqual([
      [0, 0, 0],
      [4, 5, 6],
    ]);
    expect(ops.equal([1, 2], [1, 3]).arraySync()).toEqual([1, 0]);
  });
  test('matMul, batched and broadcast, and transposes', () => {
    const a = ops.tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(ops.matMul(a, a, false, true).arraySync()).toEqual([
      [14, 32],
      [32, 77],
    ]);
    const batch = ops.stack([a, ops.mul(a, 2)]); // [2, 2, 3]
    expect(ops.matMul(batch, ops.transpose(a)).arraySync()).toEqual([
      [
        [14, 32],
        [32, 77],
      ],
      [
        [28, 64],
        [64, 154],
      ],
    ]);
  });
  test('shape ops', () => {
    const x = ops.tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(ops.transpose(x).arraySync()).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    expect(ops.reshape(x, [3, -1]).shape).toEqual([3, 2]);
    expect(ops.expandDims(x, 1).shape).toEqual([2, 1, 3]);
    expect(ops.squeeze(ops.expandDims(x, 1)).shape).toEqual([2, 3]);
    expect(ops.slice(x, [0, 1], [2, 2]).arraySync()).toEqual([
      [2, 3],
      [5, 6],
    ]);
    expect(ops.split(x, [1, 2], 1).map((t) => t.arraySync())).toEqual([
      [[1], [4]],
      [
        [2, 3],
        [5, 6],
      ],
    ]);
    expect(ops.tile(ops.tensor([[1, 2]]), [2, 2]).arraySync()).toEqual([
      [1, 2, 1, 2],
      [1, 2, 1, 2],
    ]);
    expect(ops.concat([ops.tensor([[1], [2]]), ops.tensor([[3], [4]])], 1).arraySync()).toEqual([
      [1, 3],
      [2, 4],
    ]);
    expect(ops.gather(x, [1, 1, 0], 1).arraySync()).toEqual([
      [2, 2, 1],
      [5, 5, 4],
    ]);
    expect(ops.oneHot([0, 2], 3).arraySync()).toEqual([
      [1, 0, 0],
      [0, 0, 1],
    ]);
    expect(
      ops
        .pad(
          [[1]],
          [
            [1, 0],
            [0, 1],
          ],
        )
        .arraySync(),
    ).toEqual([
      [0, 0],
      [1, 0],
    ]);
    expect(ops.broadcastTo([[1], [2]], [2, 3]).arraySync()).toEqual([
      [1, 1, 1],
      [2, 2, 2],
    ]);
  });
  test('results are tensors models accept: { data, shape, dtype }', () => {
    const t = ops.mul([[1, 2]], 2);
    expect(t).toBeInstanceOf(Tensor);
    expect({ data: Array.from(t.data), shape: t.shape, dtype: t.dtype }).toEqual({
      data: [2, 4],
      shape: [1, 2],
      dtype: 'float32',
    });
    expect(Array.from(ops.add(bp.tensor([[1, 2]]), 1).data)).toEqual([2, 3]);
  });
});

describe('gradients', () => {
  test('grad, grads, valueAndGrad(s), with dy', () => {
    expect(
      bp
        .grad((x) => ops.sum(ops.square(x)))([1, 2, 3])
        .arraySync(),
    ).toEqual([2, 4, 6]);
    expect(
      bp
        .grad((x) => ops.square(x))([1, 2], [1, 10])
        .arraySync(),
    ).toEqual([2, 40]);
    const [ga, gb] = bp.grads((a, b) => ops.sum(ops.mul(a, b)))([
      [1, 2],
      [[3], [4]],
    ]);
    expect(ga.arraySync()).toEqual([7, 7]);
    expect(gb.arraySync()).toEqual([[3], [3]]);
    const { value, grad } = bp.valueAndGrad((x) => ops.sum(ops.exp(x)))([0, 0]);
    expect(value.arraySync()).toBe(2);
    expect(grad.arraySync()).toEqual([1, 1]);
    const vg = bp.valueAndGrads((a, b) => ops.sub(a, b))([1, 2]);
    expect(vg.grads.map((g) => g.arraySync())).toEqual([1, -1]);
  });
  test('an argument the result does not depend on gets zeros', () => {
    expect(
      bp
        .grads((a) => ops.mul(a, 0))([[1, 2]])[0]
        .arraySync(),
    ).toEqual([0, 0]);
    expect(
      bp
        .grads((_a, b) => b)([1, 2])[0]
        .arraySync(),
    ).toBe(0);
  });
  test('gradients of gradients', () => {
    const d2 = bp.grad((x) => bp.grad((w) => ops.sum(ops.pow(w, 3)))(x))([2]);
    expect(d2.arraySync()).toEqual([12]);
    const dtanh2 = bp.grad((x) => bp.grad((w) => ops.tanh(w))(x))([0.5]);
    const t = Math.tanh(0.5);
    expect(dtanh2.data[0]).toBeCloseTo(-2 * t * (1 - t * t), 6);
  });
  test('variables, variableGrads, assign', () => {
    const w = bp.variable([1, 2], true, 'w_test');
    const frozen = bp.variable([5], false, 'frozen_test');
    const { value, grads } = bp.variableGrads(() => ops.sum(ops.mul(ops.square(w), frozen)));
    expect(value.arraySync()).toBe(25);
    expect(Object.keys(grads)).toEqual(['w_test']);
    expect(grads.w_test.arraySync()).toEqual([10, 20]);
    const withList = bp.variableGrads(() => ops.sum(ops.mul(w, frozen)), [frozen]);
    expect(withList.grads.frozen_test.arraySync()).toEqual([3]);
    w.assign([3, 4]);
    expect(w.arraySync()).toEqual([3, 4]);
    expect(() => w.assign([1])).toThrow(/shape/);
    expect(() => bp.variableGrads(() => ops.sum(ops.tensor([1])))).toThrow(/no trainable variable/);
    expect(() => bp.variableGrads(() => w)).toThrow(/scalar/);
  });
  test('customGrad uses its gradFunc', () => {
    const clippedIdentity = bp.customGrad((x: Tensor, save: (t: Tensor[]) => void) => {
      save([x]);
      return { value: ops.mul(x, 1), gradFunc: (dy: Tensor, [saved]: Tensor[]) => ops.mul(dy, ops.sign(saved)) };
    });
    const g = bp.grad((x) => ops.sum(ops.mul(clippedIdentity(x), 3)))([-2, 5]);
    expect(g.arraySync()).toEqual([-3, 3]);
  });
  test('stopGradient blocks the gradient', () => {
    expect(
      bp
        .grad((x) => ops.sum(ops.mul(x, ops.stopGradient(x))))([3])
        .arraySync(),
    ).toEqual([3]);
  });
});

describe('bad arguments get errors naming the op and the fix', () => {
  test.each([
    [
      'shapes that do not broadcast',
      () => ops.add([[1, 2, 3]], [[1, 2]]),
      /ops.add\(\): shapes \[1,3\] and \[1,2\] cannot broadcast/,
    ],
    ['matMul inner dims', () => ops.matMul([[1, 2]], [[1, 2]]), /ops.matMul\(\): inner dimensions differ/],
    ['matMul of a vector', () => ops.matMul([1, 2], [[1], [2]]), /at least 2 axes/],
    ['an axis out of range', () => ops.sum([[1]], 2), /axis 2 is out of range/],
    ['a ragged array', () => ops.neg([[1, 2], [3]]), /not rectangular/],
    ['a string', () => ops.exp('x' as never), /must be a tensor, a number or nested arrays/],
    ['mixed dtypes', () => ops.add(ops.tensor([1], 'float64'), ops.tensor([1])), /mix float32 and float64/],
    ['a bad reshape', () => ops.reshape([1, 2, 3], [2, -1]), /cannot infer/],
    ['a gather index out of range', () => ops.gather([1, 2], [2]), /outside \[0, 2\)/],
    ['a non-integer index', () => ops.oneHot([0.5], 2), /not an integer/],
    ['clip bounds reversed', () => ops.clipByValue([1], 1, 0), /lo <= hi/],
    ['grad of a non-function', () => bp.grad(3 as never), /expected a function/],
    ['a function returning a number', () => bp.grad(() => 3 as never)([1]), /must return a tensor/],
    ['a traced tensor read', () => new Tensor(null, [1], 'float32').data, /traced/],
  ])('%s', (_name, f, message) => {
    expect(f).toThrow(message);
  });
});
