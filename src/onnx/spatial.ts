/**
 * What the convolution and pooling exports share: ONNX `pads` that reproduce TensorFlow's padding modes, and
 * Keras kernels rearranged into ONNX's weight order.
 *
 * ONNX's `auto_pad: SAME_UPPER` would also put the larger half after, but its output size and pads are left to
 * the runtime; explicit pads (computed by the same `axisGeometry` the layers' kernels use) say exactly which
 * windows TF.js computes, and the 'causal' mode of Conv1D has no auto_pad at all.
 */
import { axisGeometry, type Padding } from '../layers/conv-geometry';
import type { Layer } from '../layers/layer';
import type { GraphBuilder } from './graph';

/** One spatial axis of a convolution or pooling window. */
export interface WindowAxis {
  size: number;
  kernel: number;
  stride: number;
  dilation: number;
}

/**
 * ONNX `pads` ([begin per axis..., end per axis...]) for `padding` as TensorFlow computes it: 'same' splits the
 * padding with the smaller half first (so odd totals are asymmetric), 'causal' pads before only, 'valid' not
 * at all. The end padding is what makes ONNX's ⌊(size + pads − span)/stride⌋ + 1 equal TF's output size.
 */
export function onnxPads(axes: readonly WindowAxis[], padding: Padding): number[] {
  const begins: number[] = [];
  const ends: number[] = [];
  for (const a of axes) {
    const { out, padBefore } = axisGeometry(a.size, a.kernel, a.stride, a.dilation, padding);
    const span = (a.kernel - 1) * a.dilation + 1;
    begins.push(padBefore);
    ends.push(Math.max(0, (out - 1) * a.stride + span - a.size - padBefore));
  }
  return [...begins, ...ends];
}

/** `values` of row-major `shape` with its axes permuted (axis i of the result is axis perm[i] of the input). */
export function permuteAxes(
  values: ArrayLike<number>,
  shape: readonly number[],
  perm: readonly number[],
): Float32Array {
  const rank = shape.length;
  const strides = new Array<number>(rank);
  for (let i = rank - 1, s = 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  const outShape = perm.map((p) => shape[p]);
  const outStrides = perm.map((p) => strides[p]);
  const out = new Float32Array(values.length);
  const index = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let i = 0; i < rank; i++) src += index[i] * outStrides[i];
    out[o] = values[src];
    for (let i = rank - 1; i >= 0 && ++index[i] === outShape[i]; i--) index[i] = 0;
  }
  return out;
}

/**
 * The layer's weight `name` as an initializer under its Keras name ('conv2d_1/kernel'), its axes permuted by
 * `perm` and stored with `dims` (which must hold as many values): e.g. a Conv2D kernel [kH, kW, in, out] as
 * ONNX's [out, in, kH, kW].
 */
export function permutedWeight(
  g: GraphBuilder,
  layer: Layer,
  name: string,
  perm: readonly number[],
  dims: (permuted: number[]) => number[] = (d) => d,
): string {
  const full = `${layer.name}/${name}`;
  const p = layer.weights().find((w) => w.name === full);
  if (!p) throw new Error(`ONNX export: layer '${layer.name}' has no weight '${name}' (is the model built?)`);
  const permuted = perm.map((i) => p.shape[i]);
  return g.weight(full, dims(permuted), permuteAxes(p.value, p.shape, perm));
}
