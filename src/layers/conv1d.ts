/**
 * Conv1D: a convolution along the steps of sequences [steps, channels], kernel [kernelSize, inChannels, filters]
 * as TF.js stores it. Computed as a Conv2D of height 1 (the kernel's memory layout is the same). Padding 'valid',
 * 'same', or 'causal' (pads before only, so output t sees inputs up to t; Keras has it, TF.js 4 does not).
 */
import type { ConfigReader } from './config-reader';
import { MAX_DIMENSION } from './config-reader';
import type { Initializer, Regularizer } from '../training/contracts';
import { getInitializer, type InitializerIdentifier } from '../training/initializers';
import { getRegularizer, type RegularizerIdentifier } from '../training/regularizers';
import { axisGeometry, paddingArg, tupleArg, type Padding } from './conv-geometry';
import { ConvLayer, type ConvArgs, type ConvDims } from './conv-layer';
import { checkStridesOrDilation, convConfigArgs } from './conv2d';
import type { WeightSpec } from './layer';
import type { LayerEntry } from './layer-entry';
import { serializeInitializer, serializeRegularizer } from './serialize';
import type { Shape } from './shape';

export interface Conv1DArgs extends ConvArgs {
  /** Output channels. */
  filters: number;
  /** Kernel length (a number or [n]). */
  kernelSize: number | number[];
  /** Step between windows (default 1). */
  strides?: number | number[];
  /** 'valid' (default), 'same' or 'causal'. */
  padding?: 'valid' | 'same' | 'causal';
  /** Spacing of kernel taps (default 1; cannot combine with strides > 1). */
  dilationRate?: number | number[];
  kernelInitializer?: InitializerIdentifier;
  kernelRegularizer?: RegularizerIdentifier;
}

export class Conv1D extends ConvLayer {
  readonly className = 'Conv1D';
  readonly filters: number;
  readonly kernelSize: number;
  readonly strides: number;
  readonly padding: Padding;
  readonly dilationRate: number;
  readonly kernelInitializer: Initializer;
  readonly kernelRegularizer?: Regularizer;

  constructor(args: Conv1DArgs) {
    const where = 'layers.conv1d()';
    if (!args || typeof args !== 'object') throw new Error(`${where}: expected { filters, kernelSize, ... }`);
    super(args, where);
    if (!Number.isSafeInteger(args.filters) || args.filters < 1 || args.filters > MAX_DIMENSION) {
      throw new Error(
        `${where}: 'filters' must be a positive integer, got ${args.filters}. ` +
          'Example: layers.conv1d({ filters: 16, kernelSize: 3 })',
      );
    }
    this.filters = args.filters;
    this.kernelSize = tupleArg(where, 'kernelSize', args.kernelSize, 1, MAX_DIMENSION)[0];
    this.strides = tupleArg(where, 'strides', args.strides ?? 1, 1, MAX_DIMENSION)[0];
    this.padding = paddingArg(where, args.padding, ['valid', 'same', 'causal']);
    this.dilationRate = tupleArg(where, 'dilationRate', args.dilationRate ?? 1, 1, MAX_DIMENSION)[0];
    checkStridesOrDilation(where, [this.strides], [this.dilationRate]);
    this.kernelInitializer = getInitializer(args.kernelInitializer ?? 'glorotUniform');
    if (args.kernelRegularizer) this.kernelRegularizer = getRegularizer(args.kernelRegularizer);
  }

  protected get kernelName(): string {
    return 'kernel';
  }

  protected convDims(inputShape: Shape): ConvDims {
    if (inputShape.length !== 2) {
      this.badInput(inputShape, 'Conv1D takes sequences [steps, channels], e.g. inputShape: [100, 8]');
    }
    const [steps, c] = inputShape;
    const g = axisGeometry(steps, this.kernelSize, this.strides, this.dilationRate, this.padding);
    if (g.out < 1) {
      this.badInput(
        inputShape,
        `the kernel (${this.kernelSize}, dilation ${this.dilationRate}) is longer than the input`,
      );
    }
    const k = this.kernelSize;
    return [1, steps, c, 1, k, this.filters, 1, this.strides, 0, g.padBefore, 1, this.dilationRate, 1, g.out, 1];
  }

  protected outputShapeOf(d: ConvDims): Shape {
    return [d[13], this.filters];
  }

  protected kernelSpec(d: ConvDims): Omit<WeightSpec, 'trainable'> {
    return {
      name: 'kernel',
      shape: [this.kernelSize, d[2], this.filters],
      initializer: this.kernelInitializer,
      regularizer: this.kernelRegularizer,
    };
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: [this.kernelSize],
      strides: [this.strides],
      padding: this.padding,
      dilationRate: [this.dilationRate],
      ...this.baseConfig(),
      kernelInitializer: serializeInitializer(this.kernelInitializer),
      kernelRegularizer: serializeRegularizer(this.kernelRegularizer),
      kernelConstraint: null,
    };
  }
}

export const conv1dEntry: LayerEntry = {
  className: 'Conv1D',
  fromConfig(c: ConfigReader): Conv1D {
    c.unsupported('kernelConstraint');
    if (c.has('groups')) c.int('groups', 1, 1);
    return new Conv1D({
      ...convConfigArgs(c, 1),
      filters: c.int('filters', 1, MAX_DIMENSION),
      padding: c.oneOf('padding', ['valid', 'same', 'causal'] as const, 'valid'),
      kernelInitializer: c.initializer('kernelInitializer', 'glorotUniform'),
      kernelRegularizer: c.regularizer('kernelRegularizer'),
    });
  },
};
