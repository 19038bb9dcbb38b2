/**
 * Activations inside the recurrent kernels. The kernels keep only each gate's activated value (not its
 * input), so they accept the activations whose derivative is a function of the output; elu uses alpha 1, its
 * TF.js value. native/recurrent.h implements the same formulas.
 */
import type { FloatArray } from '../ops';
import { Activation } from '../activations';
import { activate, SELU_ALPHA, SELU_SCALE, sigmoid } from './activations';

const A = Activation;

/** The activation codes recurrent ops accept (for `act` and `recurrentAct`). */
export const RECURRENT_ACTIVATIONS: readonly number[] = Object.freeze([
  A.linear,
  A.sigmoid,
  A.tanh,
  A.relu,
  A.elu,
  A.selu,
  A.softplus,
  A.softsign,
  A.hardSigmoid,
]);

/** a[off .. off+n) = f(a[off .. off+n)), in place. */
export function activateRange(act: number, a: FloatArray, off: number, n: number): void {
  const end = off + n;
  switch (act) {
    case A.linear:
      return;
    case A.sigmoid:
      for (let i = off; i < end; i++) a[i] = sigmoid(a[i]);
      return;
    case A.tanh:
      for (let i = off; i < end; i++) a[i] = Math.tanh(a[i]);
      return;
    case A.hardSigmoid:
      for (let i = off; i < end; i++) {
        const h = 0.2 * a[i] + 0.5;
        a[i] = h < 0 ? 0 : h > 1 ? 1 : h;
      }
      return;
    default:
      for (let i = off; i < end; i++) a[i] = activate(act, 1, a[i]);
  }
}

/** f(z) for one value. */
export function activateOne(act: number, z: number): number {
  return act === A.tanh ? Math.tanh(z) : activate(act, 1, z);
}

/** f'(z) from y = f(z). */
export function derivativeFromOutput(act: number, y: number): number {
  switch (act) {
    case A.sigmoid:
      return y * (1 - y);
    case A.tanh:
      return 1 - y * y;
    case A.hardSigmoid:
      return y > 0 && y < 1 ? 0.2 : 0;
    case A.relu:
      return y > 0 ? 1 : 0;
    case A.elu:
      return y > 0 ? 1 : y + 1;
    case A.selu:
      return y > 0 ? SELU_SCALE : y + SELU_SCALE * SELU_ALPHA;
    case A.softplus:
      return -Math.expm1(-y);
    case A.softsign: {
      const d = 1 - Math.abs(y);
      return d * d;
    }
    default:
      return 1;
  }
}
