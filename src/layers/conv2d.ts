/**
 * Conv2D: `y = act(conv(x, kernel) + bias)` over images [height, width, channels] (channels last), kernel
 * [kH, kW, inChannels, filters] as TF.js stores it. Padding 'valid' or 'same', strides and dilation per axis.
 */
import type { ConfigReader } from './config-reader';
import { MAX_DIMENSION } from './config-reader';
import type { Initializer, Regularizer } from '../training/contracts';
import { getInitializer, type InitializerIdentifier } from '../training/initializers';
import { getRegularizer, type RegularizerIdentifier } from '../training/regularizers';
import { axisGeometry, dataFormatArg, paddingArg, tupleArg, type Padding } from './conv-geometry';
import { ConvLayer, type ConvArgs, type ConvDims } from './conv-layer';
import type { WeightSpec } from './layer';
import type { LayerEntry } from './layer-entry';
import { serializeInitializer, serializeRegularizer } from './serialize';
import { formatShape, type Shape } from './shape';

export interface Conv2DArgs extends ConvArgs {
  /** Output channels. */
  filters: number;
  /** Kernel height and width: one number for both, or [kH, kW]. */
  kernelSize: number | number[];
  /** Step between windows: one number or [strideH, strideW] (default 1). */
  strides?: number | number[];
  /** 'valid' (default: only windows inside the input) or 'same' (output size ⌈input/stride⌉). */
  padding?: 'valid' | 'same';
  /** Only 'channelsLast' (images as [height, width, channels]). */
  dataFormat?: 'channelsLast';
  /** Spacing of kernel taps: one number or [dH, dW] (default 1; cannot combine with strides > 1). */
  dilationRate?: number | number[];
  kernelInitializer?: InitializerIdentifier;
  kernelRegularizer?: RegularizerIdentifier;
}

export class Conv2D extends ConvLayer {
  readonly className = 'Conv2D';
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  readonly dilationRate: [number, number];
  readonly kernelInitializer: Initializer;
  readonly kernelRegularizer?: Regularizer;

  constructor(args: Conv2DArgs) {
    const where = 'layers.conv2d()';
    if (!args || typeof args !== 'object') throw new Error(`${where}: expected { filters, kernelSize, ... }`);
    super(args, where);
    if (!Number.isSafeInteger(args.filters) || args.filters < 1 || args.filters > MAX_DIMENSION) {
      throw new Error(
        `${where}: 'filters' must be a positive integer, got ${args.filters}. ` +
          'Example: layers.conv2d({ filters: 32, kernelSize: 3 })',
      );
    }
    this.filters = args.filters;
    this.kernelSize = tupleArg(where, 'kernelSize', args.kernelSize, 2, MAX_DIMENSION) as [number, number];
    this.strides = tupleArg(where, 'strides', args.strides ?? 1, 2, MAX_DIMENSION) as [number, number];
    this.padding = paddingArg(where, args.padding, ['valid', 'same']);
    dataFormatArg(where, args.dataFormat);
    this.dilationRate = tupleArg(where, 'dilationRate', args.dilationRate ?? 1, 2, MAX_DIMENSION) as [number, number];
    checkStridesOrDilation(where, this.strides, this.dilationRate);
    this.kernelInitializer = getInitializer(args.kernelInitializer ?? 'glorotUniform');
    if (args.kernelRegularizer) this.kernelRegularizer = getRegularizer(args.kernelRegularizer);
  }

  protected get kernelName(): string {
    return 'kernel';
  }

  protected convDims(inputShape: Shape): ConvDims {
    if (inputShape.length !== 3) {
      this.badInput(inputShape, 'Conv2D takes images [height, width, channels], e.g. inputShape: [28, 28, 1]');
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
    return [h, w, c, kH, kW, this.filters, sH, sW, rows.padBefore, cols.padBefore, dH, dW, rows.out, cols.out, 1];
  }

  protected outputShapeOf(d: ConvDims): Shape {
    return [d[12], d[13], this.filters];
  }

  protected kernelSpec(d: ConvDims): Omit<WeightSpec, 'trainable'> {
    return {
      name: 'kernel',
      shape: [d[3], d[4], d[2], this.filters],
      initializer: this.kernelInitializer,
      regularizer: this.kernelRegularizer,
    };
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
      kernelInitializer: serializeInitializer(this.kernelInitializer),
      kernelRegularizer: serializeRegularizer(this.kernelRegularizer),
      kernelConstraint: null,
    };
  }
}

/** TF.js and Keras refuse strides > 1 together with dilation > 1 along the same layer. */
export function checkStridesOrDilation(where: string, strides: number[], dilation: number[]): void {
  if (strides.some((s) => s > 1) && dilation.some((d) => d > 1)) {
    throw new Error(`${where}: strides > 1 cannot be combined with dilationRate > 1 (as in TF.js and Keras)`);
  }
}

/** The keys every convolution config shares, read and checked. */
export function convConfigArgs(
  c: ConfigReader,
  rank: number,
): ConvArgs & {
  kernelSize: number[];
  strides: number[];
  dilationRate: number[];
} {
  c.unsupported('activityRegularizer', 'biasConstraint');
  if (c.has('dataFormat')) dataFormatArgFrom(c);
  return {
    ...c.layerArgs(),
    kernelSize: c.ints('kernelSize', rank, 1, MAX_DIMENSION),
    strides: c.ints('strides', rank, 1, MAX_DIMENSION, 1),
    dilationRate: c.ints('dilationRate', rank, 1, MAX_DIMENSION, 1),
    activation: c.activation('activation'),
    useBias: c.bool('useBias', true),
    biasInitializer: c.initializer('biasInitializer', 'zeros'),
    biasRegularizer: c.regularizer('biasRegularizer'),
  };
}

function dataFormatArgFrom(c: ConfigReader): void {
  c.oneOf('dataFormat', ['channelsLast', 'channels_last'] as const);
}

export const conv2dEntry: LayerEntry = {
  className: 'Conv2D',
  fromConfig(c: ConfigReader): Conv2D {
    c.unsupported('kernelConstraint');
    if (c.has('groups')) c.int('groups', 1, 1);
    return new Conv2D({
      ...convConfigArgs(c, 2),
      filters: c.int('filters', 1, MAX_DIMENSION),
      padding: c.oneOf('padding', ['valid', 'same'] as const, 'valid'),
      kernelInitializer: c.initializer('kernelInitializer', 'glorotUniform'),
      kernelRegularizer: c.regularizer('kernelRegularizer'),
    });
  },
};
