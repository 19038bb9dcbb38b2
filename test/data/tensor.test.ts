/** bp.data tensor2d / toMatrix: shapes, dtypes, copying, and the errors that name the argument. */
import { tensor2d, toMatrix, type Tensor2D } from '../../src/data/tensor';

describe('tensor2d', () => {
  test('nested rows: shape inferred, float32 by default', () => {
    const t = tensor2d([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe('float32');
    expect(t.data).toBeInstanceOf(Float32Array);
    expect(Array.from(t.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });
  test('flat number[] and typed arrays with a shape; float64', () => {
    const t = tensor2d([1, 2, 3, 4, 5, 6], [3, 2], 'float64');
    expect(t.data).toBeInstanceOf(Float64Array);
    expect(t.shape).toEqual([3, 2]);
    expect(Array.from(t.data)).toEqual([1, 2, 3, 4, 5, 6]);
    const f = new Float32Array([0.5, 1.5]);
    expect(tensor2d(f, [1, 2]).data).toBe(f); // same dtype: no copy
    const d = tensor2d(f, [2, 1], 'float64');
    expect(d.data).toBeInstanceOf(Float64Array);
    expect(Array.from(d.data)).toEqual([0.5, 1.5]);
  });
  test('empty nested array is 0×0; empty flat array with a shape', () => {
    expect(tensor2d([]).shape).toEqual([0, 0]);
    expect(tensor2d([], [0, 3]).shape).toEqual([0, 3]);
  });
  test('errors: ragged row named, length mismatch, missing shape, bad dtype', () => {
    expect(() => tensor2d([[1, 2], [3, 4], [5]])).toThrow(/row 2 has 1 values but row 0 has 2/);
    expect(() => tensor2d([1, 2, 3], [2, 2])).toThrow(/3 values do not fill shape \[2,2\] \(4 needed\).*rows\*cols/);
    expect(() => tensor2d([1, 2, 3, 4])).toThrow(/flat array needs 'shape' = \[rows, cols\]/);
    expect(() => tensor2d([[1, 2]], [2, 1])).toThrow(/does not match the nested array's \[1, 2\]/);
    expect(() => tensor2d([[1, 'a' as unknown as number]])).toThrow(/row 0, column 1 is "a", not a number/);
    expect(() => tensor2d([[1]], undefined, 'int32' as never)).toThrow(
      /'dtype' must be 'float32' or 'float64', got 'int32'/,
    );
    expect(() => tensor2d([1, 2], [2, -1] as never)).toThrow(/'shape' must be \[rows, cols\]/);
  });
});

describe('toMatrix', () => {
  test('accepts Tensor2D, number[][] and a flat typed array with a shape hint', () => {
    const t = tensor2d([
      [1, 2],
      [3, 4],
    ]);
    const a = toMatrix(t, "'x'", 'float32');
    expect(a).toEqual({ data: t.data, rows: 2, cols: 2 });
    expect(a.data).toBe(t.data); // already float32: not copied
    const b = toMatrix(t, "'x'", 'float64');
    expect(b.data).toBeInstanceOf(Float64Array);
    expect(Array.from(b.data)).toEqual([1, 2, 3, 4]);
    expect(t.data).toBeInstanceOf(Float32Array); // the input is untouched
    const c = toMatrix([[1, 2, 3]], "'x'", 'float64');
    expect([c.rows, c.cols, Array.from(c.data)]).toEqual([1, 3, [1, 2, 3]]);
    const f = new Float64Array([1, 2, 3, 4, 5, 6]);
    const d = toMatrix(f, "'x'", 'float64', [3, 2]);
    expect([d.rows, d.cols, d.data === f]).toEqual([3, 2, true]);
    const plain = toMatrix({ data: [1, 2] as never, shape: [2, 1], dtype: 'float32' }, "'x'", 'float32');
    expect(Array.from(plain.data)).toEqual([1, 2]);
  });
  test('non-finite values name the argument, row and column', () => {
    expect(() =>
      toMatrix(
        [
          [1, 2],
          [3, NaN],
        ],
        "fit(): 'x'",
        'float32',
      ),
    ).toThrow("fit(): 'x' has NaN at row 1, column 1; remove or impute");
    expect(() => toMatrix(tensor2d([1, 2, Infinity, 4, 5, 6], [2, 3]), "'y'", 'float64')).toThrow(
      "'y' has Infinity at row 0, column 2",
    );
    expect(() => toMatrix(tensor2d([1, -Infinity], [2, 1]), "'y'", 'float32')).toThrow(
      "'y' has -Infinity at row 1, column 0",
    );
  });
  test('shape errors name the argument and say how to fix it', () => {
    expect(() => toMatrix([[1, 2], [3]], "predict(): 'x'", 'float32')).toThrow(
      "predict(): 'x': row 1 has 1 values but row 0 has 2",
    );
    expect(() => toMatrix([1, 2] as never, "predict(): 'x'", 'float32')).toThrow(
      /predict\(\): 'x' must be a 2-D array.*bp.tensor2d\(values, \[rows, cols\]\)/,
    );
    expect(() => toMatrix(new Float32Array(4), "'x'", 'float32')).toThrow(
      /'x' is a flat typed array; wrap it with bp.tensor2d\(data, \[rows, cols\]\)/,
    );
    expect(() => toMatrix(new Float32Array(4), "'x'", 'float32', [3, 2])).toThrow(
      /'x' has 4 values but \[3,2\] needs 6/,
    );
    const bad: Tensor2D = { data: new Float32Array(5), shape: [2, 3], dtype: 'float32' };
    expect(() => toMatrix(bad, "'x'", 'float32')).toThrow(/'x' has 5 values but its shape \[2,3\] needs 6/);
    expect(() => toMatrix({ data: new Float32Array(2), shape: [2] } as never, "'x'", 'float32')).toThrow(
      /'x' has an invalid shape \[2\]; expected \[rows, cols\]/,
    );
    expect(() => toMatrix(null as never, "'x'", 'float32')).toThrow(/'x' must be a Tensor2D .* got null/);
    expect(() => toMatrix('abc' as never, "'x'", 'float32')).toThrow(/got string/);
  });
});
