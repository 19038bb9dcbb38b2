/**
 * Custom layers (bp.layers.Layer subclasses with addWeight + call): they train in Sequential exactly as the built-in
 * layers they rewrite, pass bp.gradcheck on both backends, save and load once registered (unregistered class names
 * are refused by name), infer their output shape, keep non-trainable weights and regularizers, and explain mistakes.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as bp from '../../src';
import type { Tensor } from '../../src/autodiff/tensor';
import { expectBackendsAgree, expectGradientsMatch, randomInput } from '../support/layer-checks';
import { backendNames } from '../support/backends';

const { ops } = bp;

/** Dense rewritten as a custom layer: matMul + add + an activation. */
class MyDense extends bp.layers.Layer {
  static override className = 'MyDense';
  readonly units: number;
  readonly act: 'relu' | 'tanh' | 'linear';
  kernel!: bp.Variable;
  bias!: bp.Variable;
  constructor(config: { units: number; act?: 'relu' | 'tanh' | 'linear'; inputShape?: number[]; name?: string }) {
    super(config);
    this.units = config.units;
    this.act = config.act ?? 'relu';
  }
  override build(inputShape: number[]): void {
    this.kernel = this.addWeight('kernel', [inputShape[inputShape.length - 1], this.units], 'float32', 'glorotUniform');
    this.bias = this.addWeight('bias', [this.units], 'float32', 'zeros');
  }
  override computeOutputShape(inputShape: number[]): number[] {
    return [...inputShape.slice(0, -1), this.units];
  }
  override call(x: Tensor): Tensor {
    const z = ops.add(ops.matMul(x, this.kernel), this.bias);
    return this.act === 'relu' ? ops.relu(z) : this.act === 'tanh' ? ops.tanh(z) : z;
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), units: this.units, act: this.act };
  }
}

/** A layer with a non-trainable weight, a regularizer, and no computeOutputShape (inferred). */
class ScaleShift extends bp.layers.Layer {
  static override className = 'ScaleShift';
  scale!: bp.Variable;
  shift!: bp.Variable;
  override build(inputShape: number[]): void {
    this.scale = this.addWeight(
      'scale',
      [inputShape[inputShape.length - 1]],
      null,
      'ones',
      bp.regularizers.l2({ l2: 0.01 }),
    );
    this.shift = this.addWeight('shift', [1], null, bp.initializers.constant({ value: 0.5 }), null, false);
  }
  override call(x: Tensor): Tensor {
    return ops.sub(ops.mul(x, this.scale), this.shift);
  }
}

beforeAll(() => {
  bp.registerLayer(MyDense);
  bp.registerLayer(ScaleShift);
});

describe('custom layers', () => {
  test('a Dense rewritten with ops trains exactly as Dense (float64, both backends)', () => {
    for (const backend of ['js', 'native'] as const) {
      try {
        bp.setBackend(backend);
      } catch {
        continue;
      }
      const build = (custom: boolean) => {
        const m = bp.sequential({
          seed: 5,
          dtype: 'float64',
          layers: [
            custom
              ? new MyDense({ units: 8, act: 'tanh', inputShape: [6] })
              : bp.layers.dense({ units: 8, activation: 'tanh', inputShape: [6] }),
            bp.layers.dense({ units: 3 }),
          ],
        });
        m.compile({ optimizer: bp.optimizers.adam({ learningRate: 0.01 }), loss: 'meanSquaredError' });
        return m;
      };
      const [a, b] = [build(true), build(false)];
      b.setWeights(a.getWeights());
      const x = randomInput([6], 10, 1),
        y = randomInput([3], 10, 2);
      for (let i = 0; i < 5; i++) expect(a.trainOnBatch(x, y)).toBeCloseTo(b.trainOnBatch(x, y), 12);
      a.getWeights().forEach((w, i) => {
        const v = b.getWeights()[i].data;
        expect(Math.max(...Array.from(w.data, (q, j) => Math.abs(q - v[j])))).toBeLessThan(1e-12);
      });
      bp.setBackend('auto');
    }
  });

  test('gradients match finite differences (bp.gradcheck, both backends)', () => {
    expectGradientsMatch(() => [new MyDense({ units: 4, act: 'tanh', inputShape: [5] }), new ScaleShift({})], [5]);
    expectGradientsMatch(() => [new MyDense({ units: 3, act: 'tanh', inputShape: [2, 5] })], [2, 5]);
  });

  test('in a functional (graph) model: a shared custom layer on two inputs, trained, gradchecked (float64)', () => {
    for (const backend of backendNames()) {
      bp.setBackend(backend);
      try {
        const a = bp.input({ shape: [5] }),
          b = bp.input({ shape: [5] });
        const shared = new MyDense({ units: 4, act: 'tanh' });
        const out = bp.layers.dense({ units: 2 }).apply(bp.layers.add().apply([shared.apply(a), shared.apply(b)]));
        const m = bp.model({ inputs: [a, b], outputs: out, seed: 3, dtype: 'float64' });
        m.compile({ optimizer: bp.optimizers.sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
        const xs = [randomInput([5], 8, 1), randomInput([5], 8, 2)];
        const y = randomInput([2], 8, 3);
        const { maxError } = bp.gradcheck(m, xs, y);
        expect(maxError).toBeLessThan(1e-6);
        const first = m.trainOnBatch(xs, y);
        for (let i = 0; i < 20; i++) m.trainOnBatch(xs, y);
        expect(m.trainOnBatch(xs, y)).toBeLessThan(first);
      } finally {
        bp.setBackend('auto');
      }
    }
  });

  test('the backends agree', () => {
    expectBackendsAgree(() => [new MyDense({ units: 6, act: 'relu', inputShape: [7] })], [7]);
  });

  test('output shape inferred from call; non-trainable weights and regularizers', () => {
    const m = bp.sequential({ layers: [new ScaleShift({ inputShape: [4] })] });
    expect(m.outputShape).toEqual([4]);
    expect(m.weights().map((w) => [w.name, w.trainable])).toEqual([
      ['scale_shift_1/scale', true],
      ['scale_shift_1/shift', false],
    ]);
    expect(m.params().map((p) => p.name)).toEqual(['scale_shift_1/scale']);
    expect(m.params()[0].regularizer).toBeDefined();
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    m.trainOnBatch([[1, 2, 3, 4]], [[0, 0, 0, 0]]);
    expect(Array.from(m.getWeights()[1].data)).toEqual([0.5]);
    expect(Array.from(m.predict([[2, 2, 2, 2]]).data).every((v) => v < 1.5)).toBe(true);
  });

  test('save and load after registerLayer; an unregistered class name is refused by name', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-custom-'));
    try {
      const m = bp.sequential({
        seed: 2,
        layers: [new MyDense({ units: 5, inputShape: [3] }), bp.layers.dense({ units: 2 })],
      });
      m.compile({ optimizer: 'adam', loss: 'mse' });
      const x = randomInput([3], 4, 3);
      await m.save(dir);
      const loaded = await bp.loadLayersModel(dir);
      expect(loaded.layers[0]).toBeInstanceOf(MyDense);
      expect(Array.from(loaded.predict(x).data)).toEqual(Array.from(m.predict(x).data));
      const json = fs.readFileSync(path.join(dir, 'model.json'), 'utf8').replace(/"MyDense"/g, '"NotRegistered"');
      fs.writeFileSync(path.join(dir, 'model.json'), json);
      await expect(bp.loadLayersModel(dir)).rejects.toThrow(/unsupported layer 'NotRegistered'.*registerLayer/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('bp.layers.Layer is the type and class of every layer', () => {
    const dense: bp.layers.Layer = bp.layers.dense({ units: 2 });
    expect(dense instanceof bp.layers.Layer).toBe(true);
    expect(new MyDense({ units: 2 }) instanceof bp.layers.Layer).toBe(true);
    expect(dense instanceof MyDense).toBe(false);
  });

  test('mistakes get errors naming the layer and the fix', () => {
    class NoName extends bp.layers.Layer {
      override call(x: Tensor) {
        return x;
      }
    }
    expect(() => bp.sequential({ layers: [new NoName({ inputShape: [2] })] })).toThrow(/static className = 'MyLayer'/);
    expect(() => bp.registerLayer(NoName)).toThrow(/static className/);
    class Dense2 extends MyDense {
      static override className = 'Dense';
    }
    expect(() => bp.registerLayer(Dense2)).toThrow(/built-in layer/);
    const d = new MyDense({ units: 2, inputShape: [3] });
    expect(() => d.addWeight('w', [2])).toThrow(/create weights in build/);
    class WrongShape extends MyDense {
      static override className = 'WrongShape';
      override computeOutputShape(inputShape: number[]): number[] {
        return [...inputShape.slice(0, -1), this.units + 1];
      }
    }
    const m = bp.sequential({ layers: [new WrongShape({ units: 2, inputShape: [3] })] });
    expect(() => m.predict([[1, 2, 3]])).toThrow(/returned shape \[1, 2\] but computeOutputShape says \[3\]/);
  });
});
