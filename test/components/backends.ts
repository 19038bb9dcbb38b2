/** The backends the component suites run on (the shared helper: native is required in CI). */
import { testBackends } from '../support/backends';

export const BACKENDS = testBackends();

/** Each element of `got` within 10^-digits/2 of `want` (jest's toBeCloseTo), with the index in the message. */
export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, digits = 10): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (Math.abs(got[i] - want[i]) >= 10 ** -digits / 2)
      throw new Error(`element ${i}: got ${got[i]}, want ${want[i]} (to ${digits} digits)`);
  }
}
