/**
 * Weight regularizers (Keras definitions): penalty l1·Σ|w| + l2·Σw², gradient l1·sign(w) + 2·l2·w,
 * computed in one pass by the backend's l1l2 op. TF.js serialises all three as class L1L2.
 */
import type { Backend, FloatArray } from '../backend/ops';
import type { Regularizer } from './contracts';
import { preview, quote } from '../quote';

export type RegularizerIdentifier = Regularizer | string | { className: string; config?: { l1?: number; l2?: number } };

function make(l1: number, l2: number): Regularizer {
  for (const [k, v] of [
    ['l1', l1],
    ['l2', l2],
  ] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      throw new Error(`regularizers: ${quote(k)} must be a finite number >= 0, got ${preview(v)}`);
  }
  return {
    className: 'L1L2',
    l1,
    l2,
    apply: (b: Backend, value: FloatArray, grad: FloatArray) => b.l1l2(value, grad, l1, l2),
    getConfig: () => ({ l1, l2 }),
  };
}
/** L1 penalty. @example bp.layers.dense({ units: 8, kernelRegularizer: bp.regularizers.l1({ l1: 1e-4 }) }) */
export const l1 = ({ l1: a = 0.01 }: { l1?: number } = {}): Regularizer => make(a, 0);
/** L2 penalty (weight decay in the loss). @example bp.regularizers.l2({ l2: 1e-3 }) */
export const l2 = ({ l2: b = 0.01 }: { l2?: number } = {}): Regularizer => make(0, b);
/** Both. @example bp.regularizers.l1l2({ l1: 1e-5, l2: 1e-4 }) */
export const l1l2 = ({ l1: a = 0.01, l2: b = 0.01 }: { l1?: number; l2?: number } = {}): Regularizer => make(a, b);

/**
 * Resolves 'l1' | 'l2' | 'l1l2' (any case; 'L1L2' too) with default strengths (0.01), a TF.js
 * `{ className: 'L1L2' | 'L1' | 'L2', config: { l1?, l2? } }` (missing strengths are 0), or a Regularizer.
 * Unknown names throw, listing the valid ones.
 * @example getRegularizer({ className: 'L1L2', config: { l2: 1e-4 } }).l2 // 1e-4
 */
export function getRegularizer(id: RegularizerIdentifier): Regularizer {
  if (id && typeof id === 'object' && 'apply' in id) return id;
  if (typeof id === 'string') {
    const k = id.toLowerCase().replace(/_/g, '');
    if (k === 'l1') return l1();
    if (k === 'l2') return l2();
    if (k === 'l1l2') return l1l2();
  } else if (id && typeof id === 'object' && ['L1L2', 'L1', 'L2'].includes((id as { className: string }).className)) {
    const c = (id as { config?: { l1?: number; l2?: number } }).config ?? {};
    return make(c.l1 ?? 0, c.l2 ?? 0);
  }
  throw new Error(
    `unknown regularizer ${preview(id)}; use bp.regularizers.l1(), l2() or l1l2(), or 'l1' | 'l2' | 'l1l2'`,
  );
}
