/** The backends the component suites run on: the JS reference always, native when the addon loads. */
import { jsReference, nativeBackend } from '../../src/backend/select';
import type { Backend } from '../../src/backend/ops';

export const BACKENDS: [string, Backend][] = ([jsReference(), nativeBackend().backend].filter(Boolean) as Backend[]).map((b) => [b.name, b]);

/** Each element of `got` within 10^-digits/2 of `want` (jest's toBeCloseTo), with the index in the message. */
export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, digits = 10): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (Math.abs(got[i] - want[i]) >= 10 ** -digits / 2) throw new Error(`element ${i}: got ${got[i]}, want ${want[i]} (to ${digits} digits)`);
  }
}
