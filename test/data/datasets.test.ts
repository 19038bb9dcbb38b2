/** bp.data built-in datasets: xor and the shipped MNIST digits. */
import { xor, digits } from '../../src/data/datasets';

describe('xor', () => {
  test('4×2 inputs and 4×1 targets', () => {
    const { x, y } = xor();
    expect(x.shape).toEqual([4, 2]);
    expect(y.shape).toEqual([4, 1]);
    expect(Array.from(x.data)).toEqual([0, 0, 0, 1, 1, 0, 1, 1]);
    expect(Array.from(y.data)).toEqual([0, 1, 1, 0]);
    expect(xor().x.data).not.toBe(x.data); // fresh arrays each call
  });
});

describe('digits', () => {
  const d = digits({ seed: 0, testFraction: 0.2 });
  test('10,000 images of 784 pixels in [0, 1], 10 classes, labels 0..9', () => {
    expect(d.classes).toBe(10);
    expect(d.train.x.shape).toEqual([8000, 784]);
    expect(d.test.x.shape).toEqual([2000, 784]);
    expect(d.train.y).toBeInstanceOf(Int32Array);
    expect(d.train.y.length).toBe(8000);
    expect(d.test.y.length).toBe(2000);
    let lo = Infinity,
      hi = -Infinity;
    for (const v of d.train.x.data) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    expect(lo).toBe(0);
    expect(hi).toBeLessThanOrEqual(1);
    expect(hi).toBeGreaterThan(0.9);
    for (const set of [d.train, d.test]) {
      expect(set.y.every((v) => v >= 0 && v <= 9)).toBe(true);
      expect(new Set(set.y).size).toBe(10);
    }
    // Every image has some ink: no empty rows from a misaligned copy.
    for (let r = 0; r < 2000; r++) {
      let s = 0;
      for (let c = 0; c < 784; c++) s += d.test.x.data[r * 784 + c];
      expect(s).toBeGreaterThan(5);
    }
  });
  test('deterministic by seed, different for another seed; limit', () => {
    const again = digits({ seed: 0, testFraction: 0.2 });
    expect(Array.from(again.test.y)).toEqual(Array.from(d.test.y));
    expect(Array.from(again.train.x.data.subarray(0, 3000))).toEqual(Array.from(d.train.x.data.subarray(0, 3000)));
    // testFraction defaults to 0.2: the same split as above.
    expect(Array.from(digits({ seed: 0 }).test.y)).toEqual(Array.from(d.test.y));
    const other = digits({ seed: 1 });
    expect(Array.from(other.test.y.subarray(0, 50))).not.toEqual(Array.from(d.test.y.subarray(0, 50)));
    const small = digits({ seed: 0, limit: 100, testFraction: 0.3 });
    expect(small.train.x.shape).toEqual([70, 784]);
    expect(small.test.x.shape).toEqual([30, 784]);
    // Callers get copies: editing one result does not change the next.
    small.train.x.data.fill(7);
    expect(digits({ seed: 0, limit: 100, testFraction: 0.3 }).train.x.data[0]).not.toBe(7);
  });
  test('bad options', () => {
    expect(() => digits({ testFraction: 1 })).toThrow(/'testFraction' must be in \(0, 1\), got 1/);
    expect(() => digits({ limit: 1 })).toThrow(/'limit' must be an integer ≥ 2, got 1/);
  });
  test('the shipped digits are exactly the mnist package values (what the shipped data was made from)', () => {
    const { train, test: held } = digits({ seed: 0 });
    const shipped = new Float32Array(train.x.data.length + held.x.data.length);
    shipped.set(train.x.data);
    shipped.set(held.x.data, train.x.data.length);
    shipped.sort();
    const parts: number[][] = [];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    for (let d = 0; d < 10; d++) parts.push(require(`mnist/src/digits/${d}.json`).data);
    const original = Float32Array.from(parts.flat()).sort();
    expect(shipped.length).toBe(original.length);
    expect(Buffer.from(shipped.buffer).equals(Buffer.from(original.buffer))).toBe(true);
    const counts = new Array(10).fill(0);
    for (const l of [...train.y, ...held.y]) counts[l]++;
    expect(counts).toEqual(parts.map((p) => p.length / 784));
  });
});
