/**
 * SeparableConv2D: a depthwise convolution (each input channel with its own `depthMultiplier` kH×kW filters, no
 * bias) followed by a pointwise 1×1 convolution to `filters` channels with the bias and activation — the building
 * block of Xception and MobileNet-style models, far cheaper than a full Conv2D. Weights as TF.js and Keras store
 * them, in their order: depthwise_kernel [kH, kW, inChannels, depthMultiplier], pointwise_kernel [1, 1,
 * inChannels·depthMultiplier, filters], bias [filters].
 *
 * Computed by two conv2dForward / conv2dBackward calls: the depthwise one (groups = input channels; native
 * kernels of their own) into a buffer of the layer, then the pointwise one (one gemm natively), which is the
 * convolution ConvLayer drives (bias, activation, the loss fusing with it, off-main-thread steps).
 */
import type { Backend, FloatArray } from '../backend/ops';
import { Activation } from '../backend/ops';
import type { ConfigReader } from './config-reader';
import { MAX_DIMENSION } from './config-reader';
import type { Initializer, Regularizer } from '../training/contracts';
import { getInitializer, type InitializerIdentifier } from '../training/initializers';
import { getRegularizer, type RegularizerIdentifier } from '../training/regularizers';
import { axisGeometry, dataFormatArg, paddingArg, tupleArg, type Padding } from './conv-geometry';
import { ConvLayer, type ConvArgs, type ConvBackwardArgs, type ConvDims, type ConvForwardArgs } from './conv-layer';
import { checkStridesOrDilation, convConfigArgs } from './conv2d';
import type { WeightSpec } from './layer';
import type { LayerEntry } from './layer-entry';
import { serializeInitializer, serializeRegularizer } from './serialize';
import { formatShape, type Shape } from './shape';

export interface SeparableConv2DArgs extends ConvArgs {
  /** Output channels (of the pointwise convolution). */
  filters: number;
  /** Depthwise kernel height and width: one number for both, or [kH, kW]. */
  kernelSize: number | number[];
  /** Depthwise filters per input channel (default 1). */
  depthMultiplier?: number;
  /** Step between depthwise windows: one number or [strideH, strideW] (default 1). */
  strides?: number | number[];
  /** 'valid' (default) or 'same'. */
  padding?: 'valid' | 'same';
  /** Only 'channelsLast'. */
  dataFormat?: 'channelsLast';
  /** Spacing of depthwise taps (default 1; cannot combine with strides > 1). */
  dilationRate?: number | number[];
  depthwiseInitializer?: InitializerIdentifier;
  pointwiseInitializer?: InitializerIdentifier;
  depthwiseRegularizer?: RegularizerIdentifier;
  pointwiseRegularizer?: RegularizerIdentifier;
}

const LINEAR = Activation.linear;

export class SeparableConv2D extends ConvLayer {
  readonly className = 'SeparableConv2D';
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly depthMultiplier: number;
  readonly strides: [number, number];
  readonly padding: Padding;
  readonly dilationRate: [number, number];
  readonly depthwiseInitializer: Initializer;
  readonly pointwiseInitializer: Initializer;
  readonly depthwiseRegularizer?: Regularizer;
  readonly pointwiseRegularizer?: Regularizer;
  /** The depthwise convolution's dims (the pointwise one's are ConvLayer's). */
  private depthwise?: ConvDims;

  constructor(args: SeparableConv2DArgs) {
    const where = 'layers.separableConv2d()';
    if (!args || typeof args !== 'object') throw new Error(`${where}: expected { filters, kernelSize, ... }`);
    super(args, where);
    if (!Number.isSafeInteger(args.filters) || args.filters < 1 || args.filters > MAX_DIMENSION) {
      throw new Error(
        `${where}: 'filters' must be a positive integer, got ${args.filters}. ` +
          'Example: layers.separableConv2d({ filters: 64, kernelSize: 3, padding: "same" })',
      );
    }
    this.filters = args.filters;
    this.kernelSize = tupleArg(where, 'kernelSize', args.kernelSize, 2, MAX_DIMENSION) as [number, number];
    this.depthMultiplier = tupleArg(where, 'depthMultiplier', args.depthMultiplier ?? 1, 1, MAX_DIMENSION)[0];
    this.strides = tupleArg(where, 'strides', args.strides ?? 1, 2, MAX_DIMENSION) as [number, number];
    this.padding = paddingArg(where, args.padding, ['valid', 'same']);
    dataFormatArg(where, args.dataFormat);
    this.dilationRate = tupleArg(where, 'dilationRate', args.dilationRate ?? 1, 2, MAX_DIMENSION) as [number, number];
    checkStridesOrDilation(where, this.strides, this.dilationRate);
    const extra = args as SeparableConv2DArgs & { kernelInitializer?: unknown; kernelRegularizer?: unknown };
    if (extra.kernelInitializer !== undefined || extra.kernelRegularizer !== undefined) {
      throw new Error(
        `${where}: a separable convolution has two kernels: give 'depthwiseInitializer' and 'pointwiseInitializer' ` +
          `('depthwiseRegularizer', 'pointwiseRegularizer') instead of 'kernelInitializer' ('kernelRegularizer')`,
      );
    }
    this.depthwiseInitializer = getInitializer(args.depthwiseInitializer ?? 'glorotUniform');
    this.pointwiseInitializer = getInitializer(args.pointwiseInitializer ?? 'glorotUniform');
    if (args.depthwiseRegularizer) this.depthwiseRegularizer = getRegularizer(args.depthwiseRegularizer);
    if (args.pointwiseRegularizer) this.pointwiseRegularizer = getRegularizer(args.pointwiseRegularizer);
  }

  protected get kernelName(): string {
    return 'pointwise_kernel';
  }

  private depthwiseDims(inputShape: Shape): ConvDims {
    if (inputShape.length !== 3) {
      this.badInput(inputShape, 'SeparableConv2D takes images [height, width, channels], e.g. inputShape: [32, 32, 3]');
    }
    const [h, w, c] = inputShape;
    const [kH, kW] = this.kernelSize,
      [sH, sW] = this.strides,
      [dH, dW] = this.dilationRate;
    const rows = axisGeometry(h, kH, sH, dH, this.padding);
    const cols = axisGeometry(w, kW, sW, dW, this.padding);
    if (rows.out < 1 || cols.out < 1) {
      const kernel = `${formatShape(this.kernelSize)} kernel (dilation ${formatShape(this.dilationRate)})`;
      this.badInput(inputShape, `the ${kernel} is larger than the input; use padding: 'same'`);
    }
    const mid = c * this.depthMultiplier;
    if (mid > MAX_DIMENSION) this.badInput(inputShape, `channels × depthMultiplier exceeds ${MAX_DIMENSION}`);
    return [h, w, c, kH, kW, mid, sH, sW, rows.padBefore, cols.padBefore, dH, dW, rows.out, cols.out, c];
  }

  /** The pointwise convolution: a 1×1 over the depthwise output. */
  protected convDims(inputShape: Shape): ConvDims {
    const [, , , , , mid, , , , , , , oh, ow] = this.depthwiseDims(inputShape);
    return [oh, ow, mid, 1, 1, this.filters, 1, 1, 0, 0, 1, 1, oh, ow, 1];
  }

  protected outputShapeOf(d: ConvDims): Shape {
    return [d[12], d[13], this.filters];
  }

  protected kernelSpec(d: ConvDims): Omit<WeightSpec, 'trainable'> {
    return {
      name: 'pointwise_kernel',
      shape: [1, 1, d[2], this.filters],
      initializer: this.pointwiseInitializer,
      regularizer: this.pointwiseRegularizer,
    };
  }

  /** depthwise_kernel, pointwise_kernel, bias: TF.js and Keras order. */
  override weightSpecs(inputShape: Shape): WeightSpec[] {
    const d = this.depthwiseDims(inputShape);
    return [
      {
        name: 'depthwise_kernel',
        shape: [d[3], d[4], d[2], this.depthMultiplier],
        trainable: true,
        initializer: this.depthwiseInitializer,
        regularizer: this.depthwiseRegularizer,
      },
      ...super.weightSpecs(inputShape),
    ];
  }

  protected override onBuilt(): void {
    super.onBuilt();
    this.depthwise = this.depthwiseDims(this.inputShape!);
  }

  override macsPerSample(): number {
    if (!this.depthwise) return 0;
    const [, , , kH, kW, mid, , , , , , , oh, ow] = this.depthwise;
    return oh * ow * mid * (kH * kW + this.filters);
  }

  /** The depthwise output and its gradient, after ConvLayer's buffers. */
  protected override bufferSizes(): number[] {
    const mid = this.depthwise![12] * this.depthwise![13] * this.depthwise![5];
    return [...super.bufferSizes(), mid, mid];
  }

  /** ConvLayer's buffers, then the depthwise output and its gradient (see bufferSizes). */
  override stepBufferValues(inputShape: Shape): number {
    const [, , , , , mid, , , , , , , oh, ow] = this.depthwiseDims(inputShape);
    return super.stepBufferValues(inputShape) + 2 * oh * ow * mid;
  }

  private midBuffers(rows: number): [FloatArray, FloatArray] {
    const views = this.buffers(rows, this.bufferSizes());
    return [views[3], views[4]];
  }

  /** The depthwise forward of x into mid: the pointwise convolution's input. */
  private depthwiseForwardArgs(x: FloatArray, mid: FloatArray, rows: number): ConvForwardArgs {
    const w = this.weight('depthwise_kernel').value;
    return [x, w, null, mid, mid, rows, ...this.depthwise!, LINEAR, 0];
  }

  protected override runForward(b: Backend, a: ConvForwardArgs): void {
    const [mid] = this.midBuffers(a[5]);
    b.conv2dForward(...this.depthwiseForwardArgs(a[0], mid, a[5]));
    b.conv2dForward(...replaced(a, 0, mid));
  }

  protected override runForwardAsync(b: Backend, a: ConvForwardArgs): Promise<void> | undefined {
    const run = b.conv2dForwardAsync?.bind(b);
    if (!run) return undefined;
    const [mid] = this.midBuffers(a[5]);
    return run(...this.depthwiseForwardArgs(a[0], mid, a[5])).then(() => run(...replaced(a, 0, mid)));
  }

  /**
   * The pointwise backward (its input is mid; its input gradient dmid, always needed for the depthwise kernel's
   * gradient), then the depthwise one writing dx (null when the model needs none).
   */
  private backwardCalls(a: ConvBackwardArgs): [ConvBackwardArgs, ConvBackwardArgs] {
    const rows = a[9];
    const [mid, dmid] = this.midBuffers(rows);
    const kernel = this.weight('depthwise_kernel');
    const pointwise = replaced(replaced(a, 0, mid), 8, dmid);
    const depthwise: ConvBackwardArgs = [
      a[0],
      kernel.value,
      mid,
      mid,
      dmid,
      dmid,
      kernel.grad,
      null,
      a[8],
      rows,
      ...this.depthwise!,
      LINEAR,
      0,
    ];
    return [pointwise, depthwise];
  }

  protected override runBackward(b: Backend, a: ConvBackwardArgs): void {
    const [pointwise, depthwise] = this.backwardCalls(a);
    b.conv2dBackward(...pointwise);
    b.conv2dBackward(...depthwise);
  }

  protected override runBackwardAsync(b: Backend, a: ConvBackwardArgs): Promise<void> {
    const [pointwise, depthwise] = this.backwardCalls(a);
    return b.conv2dBackwardAsync!(...pointwise).then(() => b.conv2dBackwardAsync!(...depthwise));
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: [...this.kernelSize],
      strides: [...this.strides],
      padding: this.padding,
      dataFormat: 'channelsLast',
      dilationRate: [...this.dilationRate],
      ...this.baseConfig(),
      depthMultiplier: this.depthMultiplier,
      depthwiseInitializer: serializeInitializer(this.depthwiseInitializer),
      pointwiseInitializer: serializeInitializer(this.pointwiseInitializer),
      depthwiseRegularizer: serializeRegularizer(this.depthwiseRegularizer),
      pointwiseRegularizer: serializeRegularizer(this.pointwiseRegularizer),
      depthwiseConstraint: null,
      pointwiseConstraint: null,
    };
  }
}

/** A copy of the argument list `a` with argument `i` replaced by `v`. */
function replaced<A extends readonly unknown[]>(a: A, i: number, v: A[number]): A {
  const copy = [...a];
  copy[i] = v;
  return copy as unknown as A;
}

export const separableConv2dEntry: LayerEntry = {
  className: 'SeparableConv2D',
  fromConfig(c: ConfigReader): SeparableConv2D {
    c.unsupported('depthwiseConstraint', 'pointwiseConstraint', 'kernelInitializer', 'kernelRegularizer');
    c.unsupported('kernelConstraint');
    return new SeparableConv2D({
      ...convConfigArgs(c, 2),
      filters: c.int('filters', 1, MAX_DIMENSION),
      depthMultiplier: c.int('depthMultiplier', 1, MAX_DIMENSION, 1),
      padding: c.oneOf('padding', ['valid', 'same'] as const, 'valid'),
      depthwiseInitializer: c.initializer('depthwiseInitializer', 'glorotUniform'),
      pointwiseInitializer: c.initializer('pointwiseInitializer', 'glorotUniform'),
      depthwiseRegularizer: c.regularizer('depthwiseRegularizer'),
      pointwiseRegularizer: c.regularizer('pointwiseRegularizer'),
    });
  },
};
