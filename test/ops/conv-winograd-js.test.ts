/**
 * The JS backend's Winograd F(2×2, 3×3) kernels (src/backend/js/winograd.ts): float32 3×3 stride-1 layers with
 * 16+ input channels (multiples of 8) take them, and agree with the direct kernels in float64 (which every
 * other shape, and float64 itself, keeps using) to float32 rounding, in the forward and all three gradients.
 */
import { Activation } from '../../src/backend/activations';
import type { FloatArray } from '../../src/backend/ops';
import { jsReference } from '../../src/backend/select';
import * as winograd from '../../src/backend/js/winograd';
import { Rng } from '../../src/random';

const js = jsReference();

type Dims = [number, number, number, number, number, number, number, number, number, number, number, number];
/** batch, inH, inW, inC, outC, pad top, pad left, outH, outW, stride, dilation, kernel size. */
function geometry(d: Dims) {
  const [batch, inH, inW, inC, outC, pT, pL, outH, outW, s, dil, k] = d;
  return [batch, inH, inW, inC, k, k, outC, s, s, pT, pL, dil, dil, outH, outW, 1] as const;
}

function run(kind: 'float32' | 'float64', d: Dims, act: number, seed: number, withDx = true) {
  const g = geometry(d);
  const [batch, inH, inW, inC, kH, kW, outC, , , , , , , outH, outW] = g;
  const A = kind === 'float32' ? Float32Array : Float64Array;
  const rng = new Rng(seed);
  // Values rounded to float32 first, so both precisions see the same inputs.
  const make = (n: number, scale: number) => A.from(Float32Array.from({ length: n }, () => rng.uniform(-scale, scale)));
  const x = make(batch * inH * inW * inC, 1),
    w = make(kH * kW * inC * outC, 0.3),
    b = make(outC, 0.5);
  const out = batch * outH * outW * outC;
  const dy = make(out, 1);
  const z = new A(out),
    y = new A(out),
    dz = new A(out),
    dw = new A(w.length),
    db = new A(outC),
    dx = withDx ? new A(x.length).fill(7) : null;
  js.conv2dForward(x, w, b, z, y, ...g, act, 0);
  js.conv2dBackward(x, w, z, y, dy, dz, dw, db, dx, ...g, act, 0);
  return { y, dw, db, dx };
}

/**
 * |got - want| ≤ 2 float32 ulps of want, plus `atol` times the largest |want|: 1e-9 for Winograd (float64 until
 * the one rounding on store; the slack covers sums that cancel to near 0), 1e-6 for the direct kernels, which
 * round z before adding the bias and round dx at each of the kH·kW scatters (col2im).
 */
function expectFloat32Of(got: FloatArray | null, want: FloatArray | null, what: string, atol = 1e-9): void {
  expect(got?.length).toBe(want?.length);
  if (!got || !want) return;
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    if (!(err <= 2 ** -22 * Math.abs(want[i]) + atol * scale)) {
      throw new Error(`${what}[${i}] = ${got[i]}, the float64 direct kernels give ${want[i]}`);
    }
  }
}

function taken(d: Dims, act: number, withDx = true): { forward: number; backward: number } {
  const f = jest.spyOn(winograd, 'winogradForward'),
    bw = jest.spyOn(winograd, 'winogradBackward');
  try {
    run('float32', d, act, 1, withDx);
    return { forward: f.mock.calls.length, backward: bw.mock.calls.length };
  } finally {
    f.mockRestore();
    bw.mockRestore();
  }
}

// [name, dims]: dims as in `geometry`.
const WINOGRAD: [string, Dims][] = [
  ['valid, odd output sizes', [2, 9, 8, 16, 24, 0, 0, 7, 6, 1, 1, 3]],
  ['same, odd input sizes', [2, 7, 9, 16, 8, 1, 1, 7, 9, 1, 1, 3]],
  ['batch 1, 32 to 64 channels (the Keras MNIST second layer, smaller)', [1, 10, 10, 32, 64, 0, 0, 8, 8, 1, 1, 3]],
  ['padding 2 (a full convolution)', [2, 5, 6, 16, 16, 2, 2, 7, 8, 1, 1, 3]],
  ['padding 2 on top only, 1 at the bottom and 3 on the right', [1, 5, 6, 16, 8, 2, 0, 6, 7, 1, 1, 3]],
  ['an output cropped below the valid size', [1, 9, 9, 16, 8, 0, 1, 3, 4, 1, 1, 3]],
  ['a 1x1 image, same', [2, 1, 1, 16, 16, 1, 1, 1, 1, 1, 1, 3]],
  ['40 to 8 channels, channel counts not powers of two', [1, 6, 5, 40, 8, 1, 1, 6, 5, 1, 1, 3]],
];

describe('JS Winograd convolution', () => {
  test.each(WINOGRAD)('%s: float32 Winograd matches the float64 direct kernels', (_name, d) => {
    // Gradients with linear and relu only: their dz is dy exactly in both precisions (tanh's is not).
    for (const act of [Activation.linear, Activation.relu, Activation.tanh]) {
      const got = run('float32', d, act, 3);
      const want = run('float64', d, act, 3);
      expectFloat32Of(got.y, want.y, 'y');
      if (act === Activation.tanh) continue;
      expectFloat32Of(got.dw, want.dw, 'dw');
      expectFloat32Of(got.db, want.db, 'db');
      expectFloat32Of(got.dx, want.dx, 'dx');
    }
    expect(taken(d, Activation.relu)).toEqual({ forward: 1, backward: 1 });
  });

  test('without dx, the kernel and bias gradients are the same', () => {
    const d: Dims = [2, 7, 9, 16, 8, 1, 1, 7, 9, 1, 1, 3];
    const got = run('float32', d, Activation.relu, 5, false);
    const want = run('float64', d, Activation.relu, 5, true);
    expectFloat32Of(got.dw, want.dw, 'dw');
    expectFloat32Of(got.db, want.db, 'db');
    expect(taken(d, Activation.relu, false)).toEqual({ forward: 1, backward: 1 });
  });

  const FALLBACK: [string, Dims][] = [
    ['12 input channels', [1, 6, 6, 12, 8, 1, 1, 6, 6, 1, 1, 3]],
    ['20 input channels (not a multiple of 8)', [1, 6, 6, 20, 8, 1, 1, 6, 6, 1, 1, 3]],
    ['12 output channels', [1, 6, 6, 16, 12, 1, 1, 6, 6, 1, 1, 3]],
    ['stride 2', [1, 7, 7, 16, 8, 1, 1, 4, 4, 2, 1, 3]],
    ['dilation 2', [1, 7, 7, 16, 8, 0, 0, 3, 3, 1, 2, 3]],
    ['a 5x5 kernel', [1, 7, 7, 16, 8, 0, 0, 3, 3, 1, 1, 5]],
    ['padding 3', [1, 4, 4, 16, 8, 3, 3, 8, 8, 1, 1, 3]],
  ];
  test.each(FALLBACK)('%s: the direct kernels, still matching float64', (_name, d) => {
    expect(taken(d, Activation.relu)).toEqual({ forward: 0, backward: 0 });
    const got = run('float32', d, Activation.relu, 4);
    const want = run('float64', d, Activation.relu, 4);
    expectFloat32Of(got.y, want.y, 'y', 1e-6);
    expectFloat32Of(got.dw, want.dw, 'dw', 1e-6);
    expectFloat32Of(got.dx, want.dx, 'dx', 1e-6);
  });

  test('float64 never takes Winograd (the gradient checks compare against the direct kernels)', () => {
    const f = jest.spyOn(winograd, 'winogradForward'),
      bw = jest.spyOn(winograd, 'winogradBackward');
    try {
      run('float64', [1, 6, 6, 16, 8, 1, 1, 6, 6, 1, 1, 3], Activation.relu, 1);
      expect(f).not.toHaveBeenCalled();
      expect(bw).not.toHaveBeenCalled();
    } finally {
      f.mockRestore();
      bw.mockRestore();
    }
  });
});
