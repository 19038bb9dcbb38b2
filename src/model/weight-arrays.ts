/** getWeights / setWeights: copies of a model's weights out, and checked values in (all checked before any is set). */
import type { DType, FloatArray } from '../backend/ops';
import type { Param } from '../training/contracts';
import { formatShape } from '../layers/shape';

/** A weight array as getWeights returns it (TF.js order: per layer, e.g. kernel [in, out] then bias [units]). */
export interface WeightArray {
  name: string;
  data: FloatArray;
  shape: number[];
  dtype: DType;
}

/** What setWeights takes per weight: a typed or plain array, nested arrays, or `{ data, shape }`. */
export type WeightsLike = ({ data: ArrayLike<number>; shape?: number[] } | ArrayLike<number> | number[][])[];

export function copyWeights(params: Param[], dtype: DType): WeightArray[] {
  return params.map((p) => ({ name: p.name, data: p.value.slice(), shape: [...p.shape], dtype }));
}

export function assignWeights(params: Param[], weights: WeightsLike): void {
  if (!Array.isArray(weights) || weights.length !== params.length) {
    throw new Error(
      `setWeights(): expected ${params.length} arrays ` +
        `(${params
          .slice(0, 16)
          .map((p) => `${p.name} ${formatShape(p.shape)}`)
          .join(', ')}${params.length > 16 ? ', ...' : ''}), ` +
        `got ${Array.isArray(weights) ? weights.length : describe(weights)}`,
    );
  }
  const flat = weights.map((w, i) => {
    const p = params[i];
    const where = `setWeights(): weight ${i} (${p.name})`;
    let data: ArrayLike<number>;
    if (w === null || w === undefined || typeof w !== 'object') {
      throw new Error(`${where} must be an array, a typed array or { data, shape }, got ${describe(w)}`);
    }
    if (Array.isArray(w) && Array.isArray(w[0])) data = (w as number[][]).flat(8) as number[];
    else if ('data' in w && !Array.isArray(w) && !ArrayBuffer.isView(w)) {
      data = w.data;
      if (w.shape && w.shape.join(',') !== p.shape.join(','))
        throw new Error(`${where} has shape ${formatShape(w.shape)} but the model needs ${formatShape(p.shape)}`);
    } else data = w as ArrayLike<number>;
    if (!data || typeof data.length !== 'number') throw new Error(`${where} has no values`);
    if (data.length !== p.value.length)
      throw new Error(
        `${where} has ${data.length} values but the model needs ${p.value.length} (shape ${formatShape(p.shape)})`,
      );
    for (let j = 0; j < data.length; j++)
      if (typeof data[j] !== 'number' || !Number.isFinite(data[j]))
        throw new Error(`${where} has a non-finite value at ${j}`);
    return data;
  });
  params.forEach((p, i) => p.value.set(flat[i]));
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v;
}
