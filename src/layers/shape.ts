/**
 * Per-sample shapes: the dimensions of one sample, without the batch axis — [784] for a feature vector,
 * [28, 28, 1] for an image (channels last), [50, 32] for 50 time steps of 32 features. Batches are flat,
 * batch-major typed arrays of rows × size(shape) values.
 */
export type Shape = readonly number[];

/** The largest per-sample rank accepted (TF.js allows 5-D inputs plus batch; leave room). */
export const MAX_RANK = 8;

/** Number of values in one sample of this shape. */
export function shapeSize(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** `[28, 28, 1]` */
export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Checks a user-given per-sample shape: an array of 1..MAX_RANK positive safe integers whose product is a
 * safe integer. Returns a copy.
 * @example checkShape('layers.dense()', 'inputShape', [28, 28, 1]) // [28, 28, 1]
 */
export function checkShape(where: string, name: string, value: unknown): number[] {
  const bad = (why: string): never => {
    throw new Error(`${where}: '${name}' ${why}, got ${describe(value)}. Example: ${name}: [28, 28, 1]`);
  };
  if (!Array.isArray(value)) return bad('must be an array of positive integers (the shape of one sample)');
  if (value.length < 1 || value.length > MAX_RANK) bad(`must have 1 to ${MAX_RANK} dimensions`);
  let size = 1;
  for (const d of value) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 1) bad('must contain positive integers only');
    size *= d;
    if (!Number.isSafeInteger(size)) bad('describes more values than can be addressed');
  }
  return [...(value as number[])];
}

function describe(v: unknown): string {
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 80)}…` : s;
  } catch {
    return typeof v;
  }
}
