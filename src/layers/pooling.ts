/**
 * Max and average pooling over images [height, width, channels] (MaxPooling2D, AveragePooling2D) and sequences
 * [steps, channels] (MaxPooling1D, AveragePooling1D, computed as images of height 1), per channel, with TF.js's
 * arguments: poolSize (default 2), strides (default poolSize), padding 'valid' or 'same' (padding is never part
 * of a window's maximum or mean). Max pooling keeps the argmax of each window for backward.
 */
import type { Backend, FloatArray } from '../backend/ops';
import { int32Array, isAsyncSafe } from '../backend/memory';
import type { ConfigReader } from './config-reader';
import { MAX_DIMENSION } from './config-reader';
import { axisGeometry, dataFormatArg, paddingArg, tupleArg } from './conv-geometry';
import { Layer, type LayerArgs } from './layer';
import type { LayerEntry } from './layer-entry';
import { shapeSize, type Shape } from './shape';

export interface PoolingArgs extends LayerArgs {
  /** Window size: one number or one per spatial axis (default 2). */
  poolSize?: number | number[];
  /** Step between windows: one number or one per spatial axis (default: poolSize). */
  strides?: number | number[] | null;
  /** 'valid' (default) or 'same'. */
  padding?: 'valid' | 'same';
  /** Only 'channelsLast'. */
  dataFormat?: 'channelsLast';
}

/** [inH, inW, channels, kH, kW, strideH, strideW, padTop, padLeft, outH, outW] (the pooling ops' dims). */
export type PoolDims = [number, number, number, number, number, number, number, number, number, number, number];

export abstract class Pooling extends Layer {
  readonly poolSize: number[];
  readonly strides: number[];
  readonly padding: 'valid' | 'same';
  private dims?: PoolDims;
  private argmax = new Map<number, Int32Array>();

  constructor(
    args: PoolingArgs = {},
    where: string,
    protected readonly rank: 1 | 2,
    private readonly mode: 'max' | 'avg',
  ) {
    super(args, where);
    this.poolSize = tupleArg(where, 'poolSize', args.poolSize ?? 2, rank, MAX_DIMENSION);
    const strides = args.strides ?? this.poolSize;
    this.strides = tupleArg(where, 'strides', strides, rank, MAX_DIMENSION);
    this.padding = paddingArg(where, args.padding, ['valid', 'same']) as 'valid' | 'same';
    dataFormatArg(where, args.dataFormat);
  }

  /** The pooling for inputs of `inputShape`; throws (naming the layer and the fix) when it cannot take them. */
  protected poolDims(inputShape: Shape): PoolDims {
    const wanted = this.rank === 2 ? '[height, width, channels], e.g. [28, 28, 8]' : '[steps, channels], e.g. [100, 8]';
    if (inputShape.length !== this.rank + 1) this.badInput(inputShape, `${this.className} takes ${wanted}`);
    const [h, w, c] = this.rank === 2 ? inputShape : [1, inputShape[0], inputShape[1]];
    const [kH, kW] = this.rank === 2 ? this.poolSize : [1, this.poolSize[0]];
    const [sH, sW] = this.rank === 2 ? this.strides : [1, this.strides[0]];
    const rows = axisGeometry(h, kH, sH, 1, this.padding);
    const cols = axisGeometry(w, kW, sW, 1, this.padding);
    if (rows.out < 1 || cols.out < 1) {
      this.badInput(inputShape, `the pool window ${JSON.stringify(this.poolSize)} is larger than the input`);
    }
    return [h, w, c, kH, kW, sH, sW, rows.padBefore, cols.padBefore, rows.out, cols.out];
  }

  computeOutputShape(inputShape: Shape): Shape {
    return this.outputShapeOf(this.poolDims(inputShape));
  }

  protected outputShapeOf(d: PoolDims): Shape {
    return this.rank === 2 ? [d[9], d[10], d[2]] : [d[10], d[2]];
  }

  protected override onBuilt(): void {
    this.dims = this.poolDims(this.inputShape!);
  }

  protected override resetBuffers(): void {
    super.resetBuffers();
    this.argmax?.clear();
  }

  /** The argmax buffer for `rows`-row batches (allocated once per batch size, async-safe). */
  private argmaxFor(rows: number): Int32Array {
    let a = this.argmax.get(rows);
    if (!a) {
      a = int32Array(rows * this.outputSize);
      this.argmax.set(rows, a);
    }
    return a;
  }

  /** y, dx and (max pooling) the argmax of each output. */
  override stepBufferValues(inputShape: Shape): number {
    const out = shapeSize(this.computeOutputShape(inputShape));
    return out + shapeSize(inputShape) + (this.mode === 'max' ? out : 0);
  }

  override macsPerSample(): number {
    return this.dims ? this.outputSize * this.dims[3] * this.dims[4] : 0;
  }

  forward(b: Backend, x: FloatArray, rows: number): FloatArray {
    const [y] = this.buffers(rows, [this.outputSize, this.inputSize]);
    if (this.mode === 'max') b.maxPool2dForward(x, y, this.argmaxFor(rows), rows, ...this.dims!);
    else b.avgPool2dForward(x, y, rows, ...this.dims!);
    return y;
  }

  override async forwardAsync(b: Backend, x: FloatArray, rows: number): Promise<FloatArray> {
    if (!b.maxPool2dForwardAsync || !b.avgPool2dForwardAsync || !isAsyncSafe(x)) return this.forward(b, x, rows);
    const [y] = this.buffers(rows, [this.outputSize, this.inputSize]);
    if (this.mode === 'max') await b.maxPool2dForwardAsync(x, y, this.argmaxFor(rows), rows, ...this.dims!);
    else await b.avgPool2dForwardAsync(x, y, rows, ...this.dims!);
    return y;
  }

  backward(b: Backend, dy: FloatArray, rows: number, needDx: boolean): FloatArray | null {
    if (!needDx) return null;
    const dx = this.buffers(rows, [this.outputSize, this.inputSize])[1];
    if (this.mode === 'max') b.maxPool2dBackward(dy, this.argmaxFor(rows), dx, rows, ...this.dims!);
    else b.avgPool2dBackward(dy, dx, rows, ...this.dims!);
    return dx;
  }

  override async backwardAsync(b: Backend, dy: FloatArray, rows: number, needDx: boolean): Promise<FloatArray | null> {
    if (!needDx) return null;
    if (!b.maxPool2dBackwardAsync || !b.avgPool2dBackwardAsync || !isAsyncSafe(dy)) {
      return this.backward(b, dy, rows, needDx);
    }
    const dx = this.buffers(rows, [this.outputSize, this.inputSize])[1];
    if (this.mode === 'max') await b.maxPool2dBackwardAsync(dy, this.argmaxFor(rows), dx, rows, ...this.dims!);
    else await b.avgPool2dBackwardAsync(dy, dx, rows, ...this.dims!);
    return dx;
  }

  override getConfig(): Record<string, unknown> {
    const config: Record<string, unknown> = {
      ...super.getConfig(),
      poolSize: [...this.poolSize],
      padding: this.padding,
      strides: [...this.strides],
    };
    if (this.rank === 2) config.dataFormat = 'channelsLast';
    return config;
  }
}

export class MaxPooling2D extends Pooling {
  readonly className = 'MaxPooling2D';
  constructor(args: PoolingArgs = {}) {
    super(args, 'layers.maxPooling2d()', 2, 'max');
  }
}

export class AveragePooling2D extends Pooling {
  readonly className = 'AveragePooling2D';
  constructor(args: PoolingArgs = {}) {
    super(args, 'layers.averagePooling2d()', 2, 'avg');
  }
}

export class MaxPooling1D extends Pooling {
  readonly className = 'MaxPooling1D';
  constructor(args: PoolingArgs = {}) {
    super(args, 'layers.maxPooling1d()', 1, 'max');
  }
}

export class AveragePooling1D extends Pooling {
  readonly className = 'AveragePooling1D';
  constructor(args: PoolingArgs = {}) {
    super(args, 'layers.averagePooling1d()', 1, 'avg');
  }
}

function poolingArgs(c: ConfigReader, rank: number): PoolingArgs {
  if (c.has('dataFormat')) c.oneOf('dataFormat', ['channelsLast', 'channels_last'] as const);
  const poolSize = c.ints('poolSize', rank, 1, MAX_DIMENSION, 2);
  return {
    ...c.layerArgs(),
    poolSize,
    strides: c.has('strides') ? c.ints('strides', rank, 1, MAX_DIMENSION) : poolSize,
    padding: c.oneOf('padding', ['valid', 'same'] as const, 'valid'),
  };
}

export const maxPooling2dEntry: LayerEntry = {
  className: 'MaxPooling2D',
  fromConfig: (c) => new MaxPooling2D(poolingArgs(c, 2)),
};
export const averagePooling2dEntry: LayerEntry = {
  className: 'AveragePooling2D',
  fromConfig: (c) => new AveragePooling2D(poolingArgs(c, 2)),
};
export const maxPooling1dEntry: LayerEntry = {
  className: 'MaxPooling1D',
  fromConfig: (c) => new MaxPooling1D(poolingArgs(c, 1)),
};
export const averagePooling1dEntry: LayerEntry = {
  className: 'AveragePooling1D',
  fromConfig: (c) => new AveragePooling1D(poolingArgs(c, 1)),
};
