/**
 * Output sizes and padding of convolution and pooling layers along one spatial axis, as TensorFlow computes
 * them: 'valid' uses only windows inside the input; 'same' gives ⌈size/stride⌉ outputs and splits the padding
 * it needs with the smaller half before (top/left); 'causal' (Conv1D) pads only before, by the dilated kernel.
 */
export type Padding = 'valid' | 'same' | 'causal';

export interface AxisGeometry {
  /** Output positions along the axis. */
  out: number;
  /** Padding before the input (top or left); the padding after is implied by `out`. */
  padBefore: number;
}

/** Geometry along one axis; `out` is 0 or less when the input is too small for a 'valid' window. */
export function axisGeometry(
  size: number,
  kernel: number,
  stride: number,
  dilation: number,
  padding: Padding,
): AxisGeometry {
  const span = (kernel - 1) * dilation + 1;
  if (padding === 'valid') return { out: Math.floor((size - span) / stride) + 1, padBefore: 0 };
  const out = Math.ceil(size / stride);
  if (padding === 'causal') return { out, padBefore: span - 1 };
  const total = Math.max((out - 1) * stride + span - size, 0);
  return { out, padBefore: Math.floor(total / 2) };
}

/**
 * Reads a size given as one integer or a tuple of `n` (kernelSize, strides, poolSize, dilationRate) into `n`
 * positive integers, naming the argument and the fix on error.
 */
export function tupleArg(where: string, name: string, value: unknown, n: number, max: number): number[] {
  const list = typeof value === 'number' ? new Array<unknown>(n).fill(value) : value;
  if (!Array.isArray(list) || list.length !== n || !list.every((v) => Number.isSafeInteger(v) && v >= 1 && v <= max)) {
    const example = n === 1 ? '3' : `3 or [${new Array(n).fill(3).join(', ')}]`;
    throw new Error(
      `${where}: '${name}' must be a positive integer${n > 1 ? ` or an array of ${n}` : ''} (at most ${max}), ` +
        `got ${JSON.stringify(value)}. Example: ${name}: ${example}`,
    );
  }
  return list as number[];
}

/** Checks a padding mode against the ones a layer allows. */
export function paddingArg(where: string, value: unknown, allowed: readonly Padding[]): Padding {
  const v = value ?? 'valid';
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new Error(
      `${where}: 'padding' must be ${allowed.map((a) => `'${a}'`).join(' or ')}, got ${JSON.stringify(value)}`,
    );
  }
  return v as Padding;
}

/** TF.js writes channelsLast; backprop computes NHWC only. */
export function dataFormatArg(where: string, value: unknown): void {
  if (value !== undefined && value !== null && value !== 'channelsLast' && value !== 'channels_last') {
    throw new Error(
      `${where}: 'dataFormat' must be 'channelsLast' (backprop computes images as [height, width, channels]), ` +
        `got ${JSON.stringify(value)}`,
    );
  }
}
