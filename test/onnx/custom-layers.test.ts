/**
 * @jest-environment ./test/onnx/ort-environment.js
 */
/**
 * Custom layers exported to ONNX through the ONNX forms of the ops their call() records (src/onnx/layers/
 * custom-layer.ts): the file passes ONNX's checker, and ONNX Runtime's outputs equal model.predict within 1e-5 at
 * batch 1 and 33 (the batch stays dynamic). An op with no dynamic-batch form fails with an error naming it.
 */
import * as bp from '../../src';
import type { Tensor } from '../../src/autodiff/tensor';
import { expectOnnxMatchesPredict, OnnxChecker, writeParityTable } from './support';

const checker = new OnnxChecker();
afterAll(() => {
  checker.close();
  writeParityTable();
});
const { ops } = bp;

class OnnxDense extends bp.layers.Layer {
  static override className = 'OnnxDense';
  kernel!: bp.Variable;
  bias!: bp.Variable;
  constructor(
    readonly units: number,
    args: { inputShape?: number[] } = {},
  ) {
    super(args);
  }
  override build(inputShape: number[]) {
    this.kernel = this.addWeight('kernel', [inputShape[inputShape.length - 1], this.units]);
    this.bias = this.addWeight(
      'bias',
      [this.units],
      null,
      bp.initializers.randomUniform({ minval: -0.5, maxval: 0.5 }),
    );
  }
  override call(x: Tensor) {
    return ops.gelu(ops.add(ops.matMul(x, this.kernel), this.bias));
  }
}

/** Most ops in one layer: shapes, reductions, where, comparisons, scalar forms, softmax. */
class Mixer extends bp.layers.Layer {
  static override className = 'OnnxMixer';
  w!: bp.Variable;
  override build(inputShape: number[]) {
    this.w = this.addWeight('w', [inputShape[0], inputShape[0]]);
  }
  override call(x: Tensor) {
    // x: [batch, 4, 6]
    const t = ops.transpose(x, [0, 2, 1]); // [b, 6, 4]
    const m = ops.matMul(t, this.w, false, true); // [b, 6, 4]
    const [a, b] = ops.split(m, 2, 1); // [b, 3, 4] each
    const c = ops.concat([ops.tanh(a), ops.sigmoid(ops.mul(b, 2))], 2); // [b, 3, 8]
    const s = ops.softmax(ops.sub(c, ops.max(c, -1, true)));
    const gated = ops.where(ops.greater(c, 0), s, ops.neg(ops.abs(c)));
    const r = ops.reshape(ops.mean(gated, 1, true), [-1, 8]); // [b, 8]
    const p = ops.pad(
      ops.slice(r, [0, 1], [-1, 6]),
      [
        [0, 0],
        [1, 1],
      ],
      0.25,
    );
    const q = ops.clipByValue(ops.add(ops.sqrt(ops.add(ops.square(p), 1)), ops.logSumExp(p, -1, true)), -3, 3);
    return ops.concat([q, ops.gather(p, [0, 7, 3], 1), ops.tile(ops.min(p, 1, true), [1, 2])], 1); // [b, 13]
  }
}

describe('custom layers export through their ops', () => {
  test('a Dense written with ops (matMul + add + gelu), in a model with built-in layers', async () => {
    const m = bp.sequential({
      seed: 3,
      layers: [new OnnxDense(7, { inputShape: [5] }), bp.layers.dense({ units: 2 })],
    });
    await expectOnnxMatchesPredict(m, checker, { label: 'custom layer (matMul + add + gelu)' });
    await expectOnnxMatchesPredict(m, checker, { label: 'custom layer (matMul + add + gelu)', opset: 20 });
  });

  test('transpose, matMul, split, concat, softmax, where, reductions, reshape, slice, pad, gather, tile', async () => {
    const m = bp.sequential({ seed: 4, layers: [new Mixer({ inputShape: [4, 6] })] });
    expect(m.outputShape).toEqual([13]);
    await expectOnnxMatchesPredict(m, checker, { label: 'custom layer (shape ops, reductions, where)' });
    await expectOnnxMatchesPredict(m, checker, { label: 'custom layer (shape ops, reductions, where)', opset: 13 });
  });

  test('an op that cannot keep the batch dynamic is refused by name', async () => {
    class FirstRow extends bp.layers.Layer {
      static override className = 'OnnxFirstRow';
      override call(x: Tensor) {
        return ops.tile(ops.slice(x, [0, 0], [1, -1]), [x.shape[0], 1]);
      }
    }
    const m = bp.sequential({ layers: [new FirstRow({ inputShape: [3] })] });
    await expect(bp.exportOnnx(m, '/tmp/never.onnx')).rejects.toThrow(
      /OnnxFirstRow.*cannot be exported with a dynamic batch/,
    );
  });
});
