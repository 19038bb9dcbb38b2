/**
 * DepthwiseConv2D: each input channel convolved with its own `depthMultiplier` filters, kernel
 * [kH, kW, inChannels, depthMultiplier] as TF.js stores it; output channel c·depthMultiplier + m. Computed as a
 * grouped convolution with one group per input channel (the kernel's memory layout is the same).
 */
import type { ConfigReader } from './config-reader';
import { MAX_DIMENSION } from './config-reader';
import type { Initializer, Regularizer } from '../training/contracts';
import { getInitializer, type InitializerIdentifier } from '../training/initializers';
import { getRegularizer, type RegularizerIdentifier } from '../training/regularizers';
import { axisGeometry, dataFormatArg, paddingArg, tupleArg, type Padding } from './conv-geometry';
import { ConvLayer, type ConvArgs, type ConvDims } from './conv-layer';
import { checkStridesOrDilation, convConfigArgs } from './conv2d';
import type { WeightSpec } from './layer';
import type { LayerEntry } from './layer-entry';
import { serializeInitializer, serializeRegularizer } from './serialize';
import type { Shape } from './shape';

export interface DepthwiseConv2DArgs extends ConvArgs {
  /** Kernel height and width: one number for both, or [kH, kW]. */
  kernelSize: number | number[];
  /** Filters per input channel (default 1). */
  depthMultiplier?: number;
  /** Step between windows: one number or [strideH, strideW] (default 1). */
  strides?: number | number[];
  /** 'valid' (default) or 'same'. */
  padding?: 'valid' | 'same';
  /** Only 'channelsLast'. */
  dataFormat?: 'channelsLast';
  /** Spacing of kernel taps (default 1; TF.js 4 ignores it when predicting, so keep 1 for TF.js models). */
  dilationRate?: number | number[];
  depthwiseInitializer?: InitializerIdentifier;
  depthwiseRegularizer?: RegularizerIdentifier;
}

export class DepthwiseConv2D extends ConvLayer {
  readonly className = 'DepthwiseConv2D';
  readonly kernelSize: [number, number];
  readonly depthMultiplier: number;
  readonly strides: [number, number];
  readonly padding: Padding;
  readonly dilationRate: [number, number];
  readonly depthwiseInitializer: Initializer;
  readonly depthwiseRegularizer?: Regularizer;

  constructor(args: DepthwiseConv2DArgs) {
    const where = 'layers.depthwiseConv2d()';
    if (!args || typeof args !== 'object') throw new Error(`${where}: expected { kernelSize, ... }`);
    super(args, where);
    this.kernelSize = tupleArg(where, 'kernelSize', args.kernelSize, 2, MAX_DIMENSION) as [number, number];
    this.depthMultiplier = tupleArg(where, 'depthMultiplier', args.depthMultiplier ?? 1, 1, MAX_DIMENSION)[0];
    this.strides = tupleArg(where, 'strides', args.strides ?? 1, 2, MAX_DIMENSION) as [number, number];
    this.padding = paddingArg(where, args.padding, ['valid', 'same']);
    dataFormatArg(where, args.dataFormat);
    this.dilationRate = tupleArg(where, 'dilationRate', args.dilationRate ?? 1, 2, MAX_DIMENSION) as [number, number];
    checkStridesOrDilation(where, this.strides, this.dilationRate);
    this.depthwiseInitializer = getInitializer(args.depthwiseInitializer ?? 'glorotUniform');
    if (args.depthwiseRegularizer) this.depthwiseRegularizer = getRegularizer(args.depthwiseRegularizer);
  }

  protected get kernelName(): string {
    return 'depthwise_kernel';
  }

  protected convDims(inputShape: Shape): ConvDims {
    if (inputShape.length !== 3) {
      this.badInput(inputShape, 'DepthwiseConv2D takes images [height, width, channels], e.g. inputShape: [28, 28, 3]');
    }
    const [h, w, c] = inputShape;
    const [kH, kW] = this.kernelSize,
      [sH, sW] = this.strides,
      [dH, dW] = this.dilationRate;
    const rows = axisGeometry(h, kH, sH, dH, this.padding);
    const cols = axisGeometry(w, kW, sW, dW, this.padding);
    if (rows.out < 1 || cols.out < 1) {
      this.badInput(inputShape, `the kernel is larger than the input; use padding: 'same'`);
    }
    const outC = c * this.depthMultiplier;
    return [h, w, c, kH, kW, outC, sH, sW, rows.padBefore, cols.padBefore, dH, dW, rows.out, cols.out, c];
  }

  protected outputShapeOf(d: ConvDims): Shape {
    return [d[12], d[13], d[5]];
  }

  protected kernelSpec(d: ConvDims): Omit<WeightSpec, 'trainable'> {
    return {
      name: 'depthwise_kernel',
      shape: [d[3], d[4], d[2], this.depthMultiplier],
      initializer: this.depthwiseInitializer,
      regularizer: this.depthwiseRegularizer,
    };
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      kernelSize: [...this.kernelSize],
      strides: [...this.strides],
      padding: this.padding,
      dataFormat: 'channelsLast',
      dilationRate: [...this.dilationRate],
      ...this.baseConfig(),
      depthMultiplier: this.depthMultiplier,
      depthwiseInitializer: serializeInitializer(this.depthwiseInitializer),
      depthwiseRegularizer: serializeRegularizer(this.depthwiseRegularizer),
      depthwiseConstraint: null,
    };
  }
}

export const depthwiseConv2dEntry: LayerEntry = {
  className: 'DepthwiseConv2D',
  fromConfig(c: ConfigReader): DepthwiseConv2D {
    // TF.js 4 writes the regularizer into depthwiseConstraint by mistake; only that value is tolerated there.
    if (JSON.stringify(c.get('depthwiseConstraint')) !== JSON.stringify(c.get('depthwiseRegularizer') ?? null)) {
      c.unsupported('depthwiseConstraint');
    }
    return new DepthwiseConv2D({
      ...convConfigArgs(c, 2),
      depthMultiplier: c.int('depthMultiplier', 1, MAX_DIMENSION, 1),
      padding: c.oneOf('padding', ['valid', 'same'] as const, 'valid'),
      depthwiseInitializer: c.initializer('depthwiseInitializer', 'glorotUniform'),
      depthwiseRegularizer: c.regularizer('depthwiseRegularizer'),
    });
  },
};
