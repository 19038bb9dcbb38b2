/**
 * Support for the sequence-model ONNX suites: inputs a sequence model takes (token ids, padded sequences
 * with every kind of padding), and the parity check of support.ts with such inputs.
 */
import * as path from 'node:path';
import * as bp from '../../src';
import { backendNames } from '../support/backends';
import {
  BATCHES,
  CHECKER_MAX_OPSET,
  maxAbsDiff,
  parityTable,
  randomBatch,
  runOnnx,
  tmpDir,
  TOLERANCE,
  type OnnxChecker,
} from './support';

/** A model's input of `rows` samples. */
export type InputMaker = (shape: readonly number[], rows: number, seed: number) => bp.Tensor;

/** Token ids in [0, vocab) as floats (what predict takes), about a fifth of them 0. */
export const tokenIds =
  (vocab: number): InputMaker =>
  (shape, rows, seed) => {
    const rng = new bp.Rng(seed);
    const n = rows * shape.reduce((a, b) => a * b, 1);
    return bp.tensor(
      Float32Array.from({ length: n }, () => (rng.uniform(0, 1) < 0.2 ? 0 : Math.floor(rng.uniform(1, vocab)))),
      [rows, ...shape],
    );
  };

/**
 * Which steps of row r are padding, by r mod 6: none, trailing, leading, interior, scattered, all. With
 * zeros these rows hold every pattern a mask can have.
 */
export function paddedSteps(r: number, steps: number): boolean[] {
  const k = Math.max(1, Math.floor(steps / 3));
  return Array.from({ length: steps }, (_, t) => {
    switch (r % 6) {
      case 0:
        return false;
      case 1:
        return t >= steps - k;
      case 2:
        return t < k;
      case 3:
        return t >= k && t < 2 * k;
      case 4:
        return t % 2 === 1;
      default:
        return true;
    }
  });
}

/** Random [steps, features] sequences whose padded steps (paddedSteps) hold `padValue` in every feature. */
export const paddedSequences =
  (padValue = 0): InputMaker =>
  (shape, rows, seed) => {
    const x = randomBatch(shape, rows, seed, 2);
    const [steps] = shape;
    const per = shape.slice(1).reduce((a, b) => a * b, 1);
    const data = Float32Array.from(x.data);
    for (let r = 0; r < rows; r++) {
      paddedSteps(r, steps).forEach((pad, t) => {
        if (pad) data.fill(padValue, (r * steps + t) * per, (r * steps + t + 1) * per);
      });
    }
    return bp.tensor(data, [rows, ...shape]);
  };

/** Token ids with id 0 at the padded steps of paddedSteps and no other 0. */
export const paddedTokenIds =
  (vocab: number): InputMaker =>
  (shape, rows, seed) => {
    const rng = new bp.Rng(seed);
    const [steps] = shape;
    const data = new Float32Array(rows * steps);
    for (let r = 0; r < rows; r++) {
      paddedSteps(r, steps).forEach((pad, t) => (data[r * steps + t] = pad ? 0 : Math.floor(rng.uniform(1, vocab))));
    }
    return bp.tensor(data, [rows, steps]);
  };

export interface SequenceParityOptions {
  opset?: number;
  seed?: number;
  /** The input (default: uniform in [-2, 2)). */
  input?: InputMaker;
  /** Row of the closing table this case counts towards. */
  label: string;
}

/**
 * expectOnnxMatchesPredict (support.ts) with sequence inputs: the file passes ONNX's checker, and ONNX Runtime
 * at batch 1 and 33 equals predict on every backend within 1e-5; returns the largest difference.
 */
export async function expectSequenceOnnxMatchesPredict(
  model: bp.Sequential,
  checker: OnnxChecker,
  options: SequenceParityOptions,
): Promise<number> {
  const file = path.join(tmpDir(), 'model.onnx');
  const bytes = await bp.exportOnnx(model, file, options.opset === undefined ? {} : { opset: options.opset });
  const checked = (options.opset ?? 17) <= CHECKER_MAX_OPSET;
  if (checked) expect(await checker.check(file)).toBe('ok');
  const makeInput = options.input ?? ((shape, rows, seed) => randomBatch(shape, rows, seed, 2));
  let worst = 0;
  try {
    for (const rows of BATCHES) {
      const x = makeInput(model.inputShape!, rows, (options.seed ?? 1) + rows);
      const onnx = await runOnnx(bytes, x);
      expect(onnx.dims).toEqual([rows, ...model.outputShape!]);
      for (const name of backendNames()) {
        bp.setBackend(name);
        const diff = maxAbsDiff(onnx.data, model.predict(x).data);
        if (!(diff <= TOLERANCE)) throw new Error(`${name} backend, batch ${rows}: max |ONNX - predict| = ${diff}`);
        worst = Math.max(worst, diff);
      }
    }
  } finally {
    bp.setBackend('auto');
  }
  const row = parityTable.get(options.label) ?? { maxDiff: 0, checked: true };
  parityTable.set(options.label, { maxDiff: Math.max(row.maxDiff, worst), checked: row.checked && checked });
  return worst;
}
