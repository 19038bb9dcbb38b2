/**
 * Traced programs: every case of the gradient-check table traced into a program, whose forward and backward
 * (planned buffers, fusion, in-place writes) must give what the eager ops and tape give, on both backends; what the
 * planner fuses; parameters' gradients written into their weights; no allocation per run after the first; the async
 * variants.
 */
import type { Backend, FloatArray } from '../../src/backend/ops';
import { OP_NAMES, ASYNC_OP_NAMES } from '../../src/backend/ops';
import { jsKernels, setBackend } from '../../src/backend/select';
import { floatArray } from '../../src/backend/memory';
import { grads, ops, variableGrads } from '../../src/autodiff';
import { Program } from '../../src/autodiff/program';
import { Tensor, Variable } from '../../src/autodiff/tensor';
import { Rng } from '../../src/random';
import { testBackends } from '../support/backends';
import { draw, gradCases } from './grad-cases';

const f64 = (a: number[]) => Float64Array.from(a);

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    if (Number.isNaN(want[i]) && Number.isNaN(got[i])) continue;
    worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i])));
  }
  expect({ what, worst, ok: worst <= 1e-12 }).toEqual({ what, worst, ok: true });
}

describe.each(testBackends())('%s backend: programs compute what the eager ops compute', (name, backend) => {
  beforeAll(() => setBackend(name));
  afterAll(() => setBackend('auto'));
  const cases = gradCases().filter((c) => !c.expected);
  test.each(cases.map((c, i) => [c.name, c, i] as const))('%s', (_n, c, i) => {
    const rng = new Rng(300 + i);
    const xs = c.inputs.map((s) => new Tensor(f64(draw(rng, s.shape, s.lo, s.hi, s.ints)), s.shape, 'float64'));
    const y = c.f(...xs);
    const dy = new Tensor(f64(draw(rng, [...y.shape], -1, 1)), y.shape, 'float64');
    const eager = grads((...a: Tensor[]) => ops.sum(ops.mul(c.f(...a), dy)))(xs);
    const program = new Program(c.f, {
      inputs: xs.map((x) => ({ shape: [...x.shape], dtype: 'float64' })),
      gradInputs: xs.map((_, k) => !c.constant?.includes(k)),
      seed: 'input',
      who: c.name,
    });
    for (let run = 0; run < 2; run++) {
      const [out] = program.forward(
        backend,
        xs.map((x) => x.data),
      );
      expectClose(out, y.data, 'forward');
      const dxs = program.backward(backend, [dy.data]);
      xs.forEach((_, k) => {
        if (c.constant?.includes(k)) expect(dxs[k]).toBeNull();
        else expectClose(dxs[k]!, eager[k].data, `dx${k}`);
      });
    }
  });
});

describe('the planner', () => {
  const shape = (s: number[]) => ({ shape: s, dtype: 'float32' as const });
  test('fuses a broadcasting add and relu after matMul (a Dense layer) into one pass, and its gradient', () => {
    const w = new Variable(new Float32Array(12).fill(0.1), [3, 4], 'float32', 'w', true, {
      value: new Float32Array(12).fill(0.1),
      grad: new Float32Array(12),
    });
    const b = new Variable(null, [4], 'float32', 'b', true, { value: new Float32Array(4), grad: new Float32Array(4) });
    const p = new Program((x) => ops.relu(ops.add(ops.matMul(x, w), b)), {
      inputs: [shape([5, 3])],
      gradInputs: [true],
      gradParams: true,
      seed: 'input',
      who: 'dense',
    });
    expect(p.stats.forward).toBe(2); // matMul; add+relu
    expect(p.stats.chains).toContainEqual(['add', 'relu']);
    // backward: reluGrad, then db (sum), dW and dx (two matMuls)
    expect(p.stats.backward).toBe(4);
  });
  test('fuses sub → square (MSE), sub → exp (softmax) and chains of scalar ops', () => {
    const mse = new Program((t, q) => ops.mean(ops.square(ops.sub(t, q)), -1), {
      inputs: [shape([4, 3]), shape([4, 3])],
      gradInputs: [false, true],
      seed: 'input',
      who: 'mse',
    });
    // Training: square's gradient reads sub's output, so they stay apart; its gradient chain fuses instead.
    expect(mse.stats.chains).toEqual([['mul', 'mulScalar', 'neg']]);
    const metric = new Program((t, q) => ops.mean(ops.square(ops.sub(t, q)), -1), {
      inputs: [shape([4, 3]), shape([4, 3])],
      seed: 'none',
      who: 'mse metric',
    });
    expect(metric.stats.chains).toEqual([['sub', 'square']]);
    expect(metric.stats.forward).toBe(2);
    const sm = new Program((x) => ops.softmax(x), { inputs: [shape([4, 3])], seed: 'none', who: 'softmax' });
    expect(sm.stats.chains).toContainEqual(['sub', 'exp']);
    const affine = new Program((x) => ops.tanh(ops.add(ops.mul(x, 2), 1)), {
      inputs: [shape([7])],
      seed: 'none',
      who: 'affine',
    });
    expect(affine.stats.forward).toBe(1);
    expect(affine.stats.chains).toEqual([['mulScalar', 'addScalar', 'tanh']]);
  });
  test('does not fuse a value something else reads (gelu keeps its input for its gradient)', () => {
    const p = new Program((x) => ops.gelu(ops.add(x, 1)), {
      inputs: [shape([6])],
      gradInputs: [true],
      seed: 'input',
      who: 'gelu',
    });
    expect(p.stats.fused).toBe(0);
  });
  test('reuses buffers: a long chain of ops needs a few buffers, not one per op', () => {
    const p = new Program(
      (x) => {
        let h = x;
        for (let i = 0; i < 20; i++)
          h = ops.matMul(ops.gelu(h), ops.tensor(new Array(8).fill(0).map(() => new Array(8).fill(0.1))));
        return h;
      },
      { inputs: [shape([16, 8])], seed: 'none', who: 'chain' },
    );
    // 40 values of 128 floats computed; with reuse the arena holds 2 of them at a time.
    expect(p.stats.arenaSize).toBeLessThanOrEqual(3 * 128);
  });
});

describe.each(testBackends())('%s backend: running programs', (_name, given) => {
  let backend = given;
  beforeEach(() => {
    backend = given;
  });
  function recording(b: Backend) {
    const seen = new Set<object>();
    let fresh = 0;
    const w = Object.create(b) as Record<string, unknown>;
    for (const name of [...OP_NAMES, ...ASYNC_OP_NAMES]) {
      const f = (b as unknown as Record<string, unknown>)[name];
      if (typeof f !== 'function') continue;
      w[name] = (...args: unknown[]) => {
        for (const a of args) {
          if (!ArrayBuffer.isView(a)) continue;
          for (const o of [a, a.buffer]) {
            if (seen.has(o)) continue;
            seen.add(o);
            fresh++;
          }
        }
        return (f as (...x: unknown[]) => unknown).apply(b, args);
      };
    }
    const takeFresh = () => {
      const n = fresh;
      fresh = 0;
      return n;
    };
    return { backend: w as unknown as Backend, takeFresh };
  }
  function layerLike() {
    const rng = new Rng(5);
    const weight = (n: number) => {
      const value = floatArray('float32', n).map(() => rng.uniform(-0.5, 0.5));
      return { value, grad: floatArray('float32', n) };
    };
    const wSrc = weight(20 * 16),
      bSrc = weight(16),
      vSrc = weight(16 * 3);
    const w = new Variable(null, [20, 16], 'float32', 'w', true, wSrc);
    const b = new Variable(null, [16], 'float32', 'b', true, bSrc);
    const v = new Variable(null, [16, 3], 'float32', 'v', true, vSrc);
    const f = (x: Tensor) => ops.softmax(ops.matMul(ops.tanh(ops.add(ops.matMul(x, w), b)), v));
    const x = floatArray('float32', 24 * 20).map(() => rng.uniform(-1, 1));
    const dy = floatArray('float32', 24 * 3).map(() => rng.uniform(-1, 1));
    return { f, x, dy, wSrc, bSrc, vSrc, w, b, v };
  }
  test('gradients go into the weights; needDx false skips dx; results equal the eager tape', () => {
    const { f, x, dy, wSrc, bSrc, vSrc, w, b, v } = layerLike();
    const p = new Program(f, {
      inputs: [{ shape: [24, 20], dtype: 'float32' }],
      gradInputs: [true],
      gradParams: true,
      seed: 'input',
      who: 't',
    });
    p.forward(backend, [x]);
    const [dx] = p.backward(backend, [dy]);
    expect(p.params.map((q) => q.name)).toEqual(['w', 'b', 'v']);
    const xt = new Tensor(x, [24, 20], 'float32'),
      dyt = new Tensor(dy, [24, 3], 'float32');
    const eager = variableGrads(() => ops.sum(ops.mul(f(xt), dyt)), [w, b, v]).grads;
    const eagerDx = grads((xx: Tensor) => ops.sum(ops.mul(f(xx), dyt)))([xt])[0];
    const close = (a: FloatArray, e: FloatArray) =>
      a.length === e.length && a.every((q, i) => Math.abs(q - e[i]) <= 1e-5 * Math.max(1, Math.abs(e[i])));
    expect(close(wSrc.grad, eager.w.data)).toBe(true);
    expect(close(bSrc.grad, eager.b.data)).toBe(true);
    expect(close(vSrc.grad, eager.v.data)).toBe(true);
    expect(close(dx!, eagerDx.data)).toBe(true);
    wSrc.grad.fill(0);
    p.forward(backend, [x]); // backward reads values the forward left (its buffers are reused after)
    expect(p.backward(backend, [dy], false)[0]).toBeNull();
    expect(close(wSrc.grad, eager.w.data)).toBe(true);
  });
  test('no allocation per run after the first', () => {
    const { f, x, dy } = layerLike();
    // Models run programs on the unchecked JS kernels (the checked ones copy shapes, to read them once).
    if (backend.name === 'js') backend = jsKernels();
    const p = new Program(f, {
      inputs: [{ shape: [24, 20], dtype: 'float32' }],
      gradInputs: [true],
      gradParams: true,
      seed: 'input',
      who: 't',
    });
    const rec = recording(backend);
    p.forward(rec.backend, [x]);
    p.backward(rec.backend, [dy]);
    expect(rec.takeFresh()).toBeGreaterThan(0);
    for (let i = 0; i < 20; i++) {
      p.forward(rec.backend, [x]);
      p.backward(rec.backend, [dy], i % 2 === 0);
    }
    expect(rec.takeFresh()).toBe(0);
  });
  test('the async variants give the same results (large matMuls off the main thread)', async () => {
    const rng = new Rng(8);
    const src = {
      value: floatArray('float32', 256 * 256).map(() => rng.uniform(-0.1, 0.1)),
      grad: floatArray('float32', 256 * 256),
    };
    const w = new Variable(null, [256, 256], 'float32', 'big', true, src);
    const f = (x: Tensor) => ops.relu(ops.matMul(x, w));
    const x = floatArray('float32', 64 * 256).map(() => rng.uniform(-1, 1));
    const dy = floatArray('float32', 64 * 256).map(() => rng.uniform(-1, 1));
    const opts = {
      inputs: [{ shape: [64, 256], dtype: 'float32' as const }],
      gradInputs: [true],
      gradParams: true,
      seed: 'input' as const,
      who: 'big',
    };
    const p = new Program(f, opts);
    const y1 = p.forward(backend, [x])[0].slice();
    const dx1 = p.backward(backend, [dy])[0]!.slice();
    const g1 = src.grad.slice();
    const y2 = (await p.forwardAsync(backend, [x]))[0];
    const dx2 = (await p.backwardAsync(backend, [dy]))[0]!;
    expect(Array.from(y2)).toEqual(Array.from(y1));
    expect(Array.from(dx2)).toEqual(Array.from(dx1));
    expect(Array.from(src.grad)).toEqual(Array.from(g1));
  });
});
