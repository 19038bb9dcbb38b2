/**
 * Global pooling: the maximum or mean of each channel over a whole image [height, width, channels]
 * (GlobalMaxPooling2D, GlobalAveragePooling2D) or sequence [steps, channels] (GlobalMaxPooling1D) → [channels].
 * Computed by the pooling ops with one window covering the input. GlobalAveragePooling1D, which averages
 * only a sequence's unmasked steps, has its own file.
 */
import type { ConfigReader } from './config-reader';
import type { LayerArgs } from './layer';
import type { LayerEntry } from './layer-entry';
import { Pooling, type PoolDims } from './pooling';
import { dataFormatArg } from './conv-geometry';
import type { Shape } from './shape';

export interface GlobalPoolingArgs extends LayerArgs {
  /** Only 'channelsLast'. */
  dataFormat?: 'channelsLast';
}

abstract class GlobalPooling extends Pooling {
  constructor(args: GlobalPoolingArgs = {}, where: string, rank: 1 | 2, mode: 'max' | 'avg') {
    super({ ...(args ?? {}), dataFormat: undefined }, where, rank, mode);
    dataFormatArg(where, args?.dataFormat);
  }

  protected override poolDims(inputShape: Shape): PoolDims {
    const wanted = this.rank === 2 ? '[height, width, channels], e.g. [7, 7, 64]' : '[steps, channels], e.g. [100, 8]';
    if (inputShape.length !== this.rank + 1) this.badInput(inputShape, `${this.className} takes ${wanted}`);
    const [h, w, c] = this.rank === 2 ? inputShape : [1, inputShape[0], inputShape[1]];
    return [h, w, c, h, w, 1, 1, 0, 0, 1, 1];
  }

  protected override outputShapeOf(d: PoolDims): Shape {
    return [d[2]];
  }

  override getConfig(): Record<string, unknown> {
    const { name, trainable } = super.getConfig();
    const config: Record<string, unknown> = name === undefined ? { trainable } : { name, trainable };
    if (this.rank === 2) config.dataFormat = 'channelsLast';
    return config;
  }
}

export class GlobalAveragePooling2D extends GlobalPooling {
  readonly className = 'GlobalAveragePooling2D';
  constructor(args: GlobalPoolingArgs = {}) {
    super(args, 'layers.globalAveragePooling2d()', 2, 'avg');
  }
}

export class GlobalMaxPooling2D extends GlobalPooling {
  readonly className = 'GlobalMaxPooling2D';
  constructor(args: GlobalPoolingArgs = {}) {
    super(args, 'layers.globalMaxPooling2d()', 2, 'max');
  }
}

export class GlobalMaxPooling1D extends GlobalPooling {
  readonly className = 'GlobalMaxPooling1D';
  constructor(args: GlobalPoolingArgs = {}) {
    super(args, 'layers.globalMaxPooling1d()', 1, 'max');
  }
}

function globalArgs(c: ConfigReader): GlobalPoolingArgs {
  if (c.has('dataFormat')) c.oneOf('dataFormat', ['channelsLast', 'channels_last'] as const);
  // Keras writes keepdims; only the TF.js behaviour (the spatial axes removed) is supported.
  if (c.has('keepdims') && c.bool('keepdims')) c.fail('keepdims', 'keepdims: true is not supported (use false)');
  return c.layerArgs();
}

export const globalAveragePooling2dEntry: LayerEntry = {
  className: 'GlobalAveragePooling2D',
  fromConfig: (c) => new GlobalAveragePooling2D(globalArgs(c)),
};
export const globalMaxPooling2dEntry: LayerEntry = {
  className: 'GlobalMaxPooling2D',
  fromConfig: (c) => new GlobalMaxPooling2D(globalArgs(c)),
};
export const globalMaxPooling1dEntry: LayerEntry = {
  className: 'GlobalMaxPooling1D',
  fromConfig: (c) => new GlobalMaxPooling1D(globalArgs(c)),
};
