/**
 * Conv2DTranspose ("deconvolution"): the adjoint of a Conv2D, which spreads each input pixel over a kH×kW window
 * of the output, `strides` apart — an upsampling with learned filters (decoders, U-Nets, GANs). Images
 * [height, width, channels] (channels last) → [height·sH + max(kH − sH, 0), ...] with 'valid' padding or
 * [height·sH, width·sW, filters] with 'same', as TF.js and Keras compute them; kernel [kH, kW, filters,
 * inChannels] as TF.js stores it. TF.js has no dilated transposed convolution (nor Keras' outputPadding): both are
 * refused. Computed by the conv2dTransposeForward / Backward ops, whose native kernels are the convolution's own.
 */
import type { Backend } from '../backend/ops';
import type { ConfigReader } from './config-reader';
import { MAX_DIMENSION } from './config-reader';
import type { Initializer, Regularizer } from '../training/contracts';
import { getInitializer, type InitializerIdentifier } from '../training/initializers';
import { getRegularizer, type RegularizerIdentifier } from '../training/regularizers';
import { axisGeometry, dataFormatArg, paddingArg, tupleArg, type Padding } from './conv-geometry';
import { ConvLayer, type ConvArgs, type ConvBackwardArgs, type ConvDims, type ConvForwardArgs } from './conv-layer';
import { convConfigArgs } from './conv2d';
import type { WeightSpec } from './layer';
import type { LayerEntry } from './layer-entry';
import { serializeInitializer, serializeRegularizer } from './serialize';
import type { Shape } from './shape';

export interface Conv2DTransposeArgs extends ConvArgs {
  /** Output channels. */
  filters: number;
  /** Kernel height and width: one number for both, or [kH, kW]. */
  kernelSize: number | number[];
  /** The upsampling factor: one number or [strideH, strideW] (default 1). */
  strides?: number | number[];
  /** 'valid' (default) or 'same' (output size input·stride). */
  padding?: 'valid' | 'same';
  /** Only 'channelsLast' (images as [height, width, channels]). */
  dataFormat?: 'channelsLast';
  kernelInitializer?: InitializerIdentifier;
  kernelRegularizer?: RegularizerIdentifier;
}

/** Keras' deconv_output_length without output padding: the output size along one axis. */
function transposedLength(size: number, kernel: number, stride: number, padding: Padding): number {
  return padding === 'same' ? size * stride : size * stride + Math.max(kernel - stride, 0);
}

export class Conv2DTranspose extends ConvLayer {
  readonly className = 'Conv2DTranspose';
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  readonly kernelInitializer: Initializer;
  readonly kernelRegularizer?: Regularizer;

  constructor(args: Conv2DTransposeArgs) {
    const where = 'layers.conv2dTranspose()';
    if (!args || typeof args !== 'object') throw new Error(`${where}: expected { filters, kernelSize, ... }`);
    super(args, where);
    if (!Number.isSafeInteger(args.filters) || args.filters < 1 || args.filters > MAX_DIMENSION) {
      throw new Error(
        `${where}: 'filters' must be a positive integer, got ${args.filters}. ` +
          'Example: layers.conv2dTranspose({ filters: 16, kernelSize: 3, strides: 2, padding: "same" })',
      );
    }
    this.filters = args.filters;
    this.kernelSize = tupleArg(where, 'kernelSize', args.kernelSize, 2, MAX_DIMENSION) as [number, number];
    this.strides = tupleArg(where, 'strides', args.strides ?? 1, 2, MAX_DIMENSION) as [number, number];
    this.padding = paddingArg(where, args.padding, ['valid', 'same']);
    dataFormatArg(where, args.dataFormat);
    const extra = args as Conv2DTransposeArgs & { dilationRate?: unknown; outputPadding?: unknown };
    if (
      extra.dilationRate !== undefined &&
      extra.dilationRate !== 1 &&
      JSON.stringify(extra.dilationRate) !== '[1,1]'
    ) {
      throw new Error(
        `${where}: 'dilationRate' must be 1, got ${JSON.stringify(extra.dilationRate)} ` +
          '(TF.js has no dilated transposed convolution)',
      );
    }
    if ((extra.outputPadding ?? null) !== null) {
      throw new Error(`${where}: 'outputPadding' is not supported (TF.js has none); the output size follows 'padding'`);
    }
    this.kernelInitializer = getInitializer(args.kernelInitializer ?? 'glorotUniform');
    if (args.kernelRegularizer) this.kernelRegularizer = getRegularizer(args.kernelRegularizer);
  }

  protected get kernelName(): string {
    return 'kernel';
  }

  /** The transposed convolution's dims in ConvDims' order: input [h, w, c], output [outH, outW, filters]. */
  protected convDims(inputShape: Shape): ConvDims {
    if (inputShape.length !== 3) {
      this.badInput(inputShape, 'Conv2DTranspose takes images [height, width, channels], e.g. inputShape: [7, 7, 32]');
    }
    const [h, w, c] = inputShape;
    const [kH, kW] = this.kernelSize,
      [sH, sW] = this.strides;
    const outH = transposedLength(h, kH, sH, this.padding),
      outW = transposedLength(w, kW, sW, this.padding);
    if (outH > MAX_DIMENSION || outW > MAX_DIMENSION) {
      this.badInput(inputShape, `the output (${outH}×${outW}) has sides above ${MAX_DIMENSION}`);
    }
    // The padding of the convolution whose adjoint this is (input outH, output h), as TensorFlow computes it.
    const padTop = axisGeometry(outH, kH, sH, 1, this.padding).padBefore;
    const padLeft = axisGeometry(outW, kW, sW, 1, this.padding).padBefore;
    return [h, w, c, kH, kW, this.filters, sH, sW, padTop, padLeft, 1, 1, outH, outW, 1];
  }

  protected outputShapeOf(d: ConvDims): Shape {
    return [d[12], d[13], this.filters];
  }

  protected kernelSpec(d: ConvDims): Omit<WeightSpec, 'trainable'> {
    return {
      name: 'kernel',
      shape: [d[3], d[4], this.filters, d[2]],
      initializer: this.kernelInitializer,
      regularizer: this.kernelRegularizer,
    };
  }

  override macsPerSample(): number {
    if (!this.inputShape) return 0;
    const [h, w, c] = this.inputShape;
    return h * w * c * this.kernelSize[0] * this.kernelSize[1] * this.filters;
  }

  protected override runForward(b: Backend, a: ConvForwardArgs): void {
    b.conv2dTransposeForward(...forwardWithoutGroups(a));
  }

  protected override runForwardAsync(b: Backend, a: ConvForwardArgs): Promise<void> | undefined {
    return b.conv2dTransposeForwardAsync?.(...forwardWithoutGroups(a));
  }

  protected override runBackward(b: Backend, a: ConvBackwardArgs): void {
    b.conv2dTransposeBackward(...withoutGroups(a));
  }

  protected override hasAsyncBackward(b: Backend): boolean {
    return b.conv2dTransposeBackwardAsync !== undefined;
  }

  protected override runBackwardAsync(b: Backend, a: ConvBackwardArgs): Promise<void> {
    return b.conv2dTransposeBackwardAsync!(...withoutGroups(a));
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: [...this.kernelSize],
      strides: [...this.strides],
      padding: this.padding,
      dataFormat: 'channelsLast',
      ...this.baseConfig(),
      kernelInitializer: serializeInitializer(this.kernelInitializer),
      kernelRegularizer: serializeRegularizer(this.kernelRegularizer),
      kernelConstraint: null,
    };
  }
}

/** conv2dForward's arguments as conv2dTransposeForward takes them (the same, without `groups`). */
function forwardWithoutGroups(a: ConvForwardArgs): Parameters<Backend['conv2dTransposeForward']> {
  const [x, w, b, z, y, batch, inH, inW, inC, kH, kW, outC, sH, sW, pT, pL, dH, dW, outH, outW, , act, alpha] = a;
  return [x, w, b, z, y, batch, inH, inW, inC, kH, kW, outC, sH, sW, pT, pL, dH, dW, outH, outW, act, alpha];
}

/** conv2dBackward's arguments as conv2dTransposeBackward takes them (the same, without `groups`). */
function withoutGroups(a: ConvBackwardArgs): Parameters<Backend['conv2dTransposeBackward']> {
  const [
    x,
    w,
    z,
    y,
    dy,
    dz,
    dw,
    db,
    dx,
    batch,
    inH,
    inW,
    inC,
    kH,
    kW,
    outC,
    sH,
    sW,
    pT,
    pL,
    dH,
    dW,
    outH,
    outW,
    ,
    act,
    alpha,
  ] = a;
  return [
    x,
    w,
    z,
    y,
    dy,
    dz,
    dw,
    db,
    dx,
    batch,
    inH,
    inW,
    inC,
    kH,
    kW,
    outC,
    sH,
    sW,
    pT,
    pL,
    dH,
    dW,
    outH,
    outW,
    act,
    alpha,
  ];
}

export const conv2dTransposeEntry: LayerEntry = {
  className: 'Conv2DTranspose',
  fromConfig(c: ConfigReader): Conv2DTranspose {
    c.unsupported('kernelConstraint', 'outputPadding');
    if (c.has('groups')) c.int('groups', 1, 1);
    const args = convConfigArgs(c, 2);
    if (args.dilationRate.some((d) => d !== 1)) {
      c.fail('dilationRate', 'must be 1: TF.js has no dilated transposed convolution, and backprop follows it');
    }
    const { dilationRate: _unused, ...rest } = args;
    return new Conv2DTranspose({
      ...rest,
      filters: c.int('filters', 1, MAX_DIMENSION),
      padding: c.oneOf('padding', ['valid', 'same'] as const, 'valid'),
      kernelInitializer: c.initializer('kernelInitializer', 'glorotUniform'),
      kernelRegularizer: c.regularizer('kernelRegularizer'),
    });
  },
};
