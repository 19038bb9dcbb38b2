/** Class labels: integers in the Int32 range, never truncated or wrapped on the way into an Int32Array. */
import { MAX_LABEL, allIntegers, isLabel, toLabels } from '../../src/data/labels';

describe('toLabels', () => {
  test('integers in [0, 2^31 - 1] are copied exactly', () => {
    expect(Array.from(toLabels([0, 2, 1, MAX_LABEL], "'y'"))).toEqual([0, 2, 1, 2 ** 31 - 1]);
    expect(toLabels(Float32Array.of(3, 4), "'y'")).toBeInstanceOf(Int32Array);
  });
  test('a fraction, a value past Int32 or below 0, NaN or a non-number is an error naming the index', () => {
    const fix =
      '; class labels must be integers in [0, 2147483647] (for a numeric target to regress on, give a one-column matrix)';
    expect(() => toLabels([0, 0.54], "'y'")).toThrow(`'y'[1] is 0.54${fix}`);
    // Int32Array.from would turn these into 1 and -2147483648 without a word.
    expect(() => toLabels([0, 2 ** 32 + 1], "'y'")).toThrow(`'y'[1] is 4294967297${fix}`);
    expect(() => toLabels([2 ** 31], "'y'")).toThrow(`'y'[0] is 2147483648${fix}`);
    expect(() => toLabels([-1], "'y'")).toThrow(/'y'\[0\] is -1/);
    expect(() => toLabels([NaN], "'y'")).toThrow(/'y'\[0\] is NaN/);
    expect(() => toLabels(['1'], "'y'")).toThrow(/'y'\[0\] is "1"/);
  });
  test('isLabel and allIntegers', () => {
    expect([0, 7, MAX_LABEL, -1, 0.5, MAX_LABEL + 1, NaN, '1'].map(isLabel)).toEqual([
      true,
      true,
      true,
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(allIntegers([0, 3, -2])).toBe(true);
    expect(allIntegers([0, 0.54])).toBe(false);
    expect(allIntegers([1, Infinity])).toBe(false);
  });
});
