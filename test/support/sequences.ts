/**
 * Inputs for sequence-layer tests: random sequences with padded steps (zeros after each sample's length,
 * so a Masking layer marks them), and integer token ids for Embedding (0 = padding).
 */
import * as bp from '../../src';
import { randomInput } from './layer-checks';

/** Sample r keeps steps - (r mod 3) real steps (at least one); the rest are zeros. */
export function paddedLength(r: number, steps: number): number {
  return Math.max(1, steps - (r % 3));
}

/** Random [rows, steps, features] inputs in [0.1, 1) with zeros after each sample's length. */
export function paddedSequences(steps: number, features: number, rows: number, seed: number): bp.Tensor {
  const x = randomInput([steps, features], rows, seed, 0.1, 1);
  for (let r = 0; r < rows; r++) {
    for (let t = paddedLength(r, steps); t < steps; t++)
      x.data.fill(0, (r * steps + t) * features, (r * steps + t + 1) * features);
  }
  return x;
}

/** Token ids in [1, vocab) for [rows, steps], with 0 (padding) after each sample's length when `pad`. */
export function tokenIds(steps: number, vocab: number, rows: number, seed: number, pad = true): bp.Tensor {
  const rng = new bp.Rng(seed);
  const data = new Float32Array(rows * steps);
  for (let r = 0; r < rows; r++) {
    const len = pad ? paddedLength(r, steps) : steps;
    for (let t = 0; t < len; t++) data[r * steps + t] = 1 + rng.int(vocab - 1);
  }
  return bp.tensor(data, [rows, steps]);
}
