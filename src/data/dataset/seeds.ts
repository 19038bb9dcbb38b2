/**
 * Seeds for passes: a seeded shuffle of pass `k` draws from `passSeed(seed, k)`, so every pass has its own
 * order and pass `k`'s order is the same on every run (and after a resume) whatever came before it.
 */

/** A 32-bit mix (the murmur3 finalizer): nearby inputs give unrelated outputs. */
function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The seed of pass `pass` of a shuffle seeded with `seed` (both any safe integers); a safe integer.
 * @example new Rng(passSeed(42, 3)) // the generator of the 4th pass
 */
export function passSeed(seed: number, pass: number): number {
  const lo = (seed >>> 0) ^ mix32(pass >>> 0);
  const hi = (Math.floor(seed / 2 ** 32) >>> 0) ^ mix32((Math.floor(pass / 2 ** 32) >>> 0) + 0x9e3779b9);
  return mix32(lo ^ mix32(hi)) + (mix32(hi + lo) & 0x1fffff) * 2 ** 32;
}

/**
 * The pass key of repetition `k` inside pass `pass` (repeat() and fitDataset's endless streams): distinct
 * repetitions get distinct keys.
 */
export function subPass(pass: number, k: number): number {
  return passSeed(pass, k + 1);
}

/**
 * A uniform number in [0, 1) from a seed and an index, for splits that pick rows without a pass over them
 * (row `i` is in the validation subset when `unitHash(seed, i) < validationSplit`).
 * @example unitHash(1, 0) // the same number on every run and platform
 */
export function unitHash(seed: number, index: number): number {
  const a = mix32((seed >>> 0) ^ mix32(index >>> 0));
  const b = mix32(a ^ (Math.floor(index / 2 ** 32) >>> 0) ^ (Math.floor(seed / 2 ** 32) >>> 0) ^ 0x5bd1e995);
  return (a * 2 ** 21 + (b >>> 11)) / 2 ** 53;
}

/** A seed for shuffles given none: different per process, fixed for the dataset it is drawn for. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}
