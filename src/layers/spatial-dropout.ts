/**
 * Spatial dropout: in training, drops whole channels of each sample (every position of a feature map at once)
 * with probability `rate` and scales the kept ones by 1/(1-rate); identity at inference. SpatialDropout1D takes
 * [steps, channels] (as TF.js), SpatialDropout2D [height, width, channels] (as Keras; TF.js 4 has no such class,
 * so a model with it loads in Keras and backprop, not in TF.js). The mask comes from the model's seeded RNG.
 */
import type { Backend, FloatArray } from '../backend/ops';
import type { Rng } from '../random';
import type { ConfigReader } from './config-reader';
import { dataFormatArg } from './conv-geometry';
import { Layer, type LayerArgs } from './layer';
import type { LayerEntry } from './layer-entry';
import { shapeSize, type Shape } from './shape';

export interface SpatialDropoutArgs extends LayerArgs {
  /** Fraction of channels to drop, in [0, 1). */
  rate: number;
  /** Only 'channelsLast' (SpatialDropout2D). */
  dataFormat?: 'channelsLast';
}

abstract class SpatialDropout extends Layer {
  /** y and one mask value per channel. */
  override stepBufferValues(inputShape: Shape): number {
    return shapeSize(inputShape) + inputShape[inputShape.length - 1];
  }

  readonly rate: number;
  private lastTraining = false;
  private lastRows = 0;

  constructor(
    args: SpatialDropoutArgs,
    where: string,
    private readonly rank: 1 | 2,
  ) {
    super(args, where);
    if (!args || typeof args.rate !== 'number' || !(args.rate >= 0 && args.rate < 1)) {
      throw new Error(`${where}: 'rate' must be a number in [0, 1), got ${args?.rate}. Example: { rate: 0.2 }`);
    }
    const extra = args as SpatialDropoutArgs & { seed?: unknown; noiseShape?: unknown };
    if ((extra.seed ?? null) !== null) {
      throw new Error(`${where}: 'seed' is not supported: dropout draws from the model's seeded RNG`);
    }
    if ((extra.noiseShape ?? null) !== null) throw new Error(`${where}: 'noiseShape' is not supported`);
    if (rank === 2) dataFormatArg(where, args.dataFormat);
    this.rate = args.rate;
  }

  computeOutputShape(inputShape: Shape): Shape {
    if (inputShape.length !== this.rank + 1) {
      const wanted = this.rank === 2 ? '[height, width, channels]' : '[steps, channels]';
      this.badInput(inputShape, `${this.className} takes ${wanted}`);
    }
    return inputShape;
  }

  private get channels(): number {
    return this.inputShape![this.inputShape!.length - 1];
  }

  forward(_b: Backend, x: FloatArray, rows: number, training: boolean, rng: Rng): FloatArray {
    this.lastTraining = training && this.rate > 0;
    this.lastRows = rows;
    if (!this.lastTraining) return x;
    const c = this.channels,
      size = this.inputSize;
    const [y, mask] = this.buffers(rows, [size, c]);
    const keep = 1 / (1 - this.rate);
    for (let i = 0; i < rows * c; i++) mask[i] = rng.uniform(0, 1) >= this.rate ? keep : 0;
    for (let n = 0; n < rows; n++) {
      for (let o = n * size; o < (n + 1) * size; o += c) {
        for (let j = 0; j < c; j++) y[o + j] = x[o + j] * mask[n * c + j];
      }
    }
    return y;
  }

  backward(_b: Backend, dy: FloatArray, rows: number): FloatArray | null {
    if (!this.lastTraining) return dy;
    if (rows !== this.lastRows)
      throw new Error(`${this.className}.backward(): batch size differs from the last forward`);
    const c = this.channels,
      size = this.inputSize;
    const mask = this.buffers(rows, [size, c])[1];
    for (let n = 0; n < rows; n++) {
      for (let o = n * size; o < (n + 1) * size; o += c) {
        for (let j = 0; j < c; j++) dy[o + j] *= mask[n * c + j];
      }
    }
    return dy;
  }

  override getConfig(): Record<string, unknown> {
    const config: Record<string, unknown> = { ...super.getConfig(), rate: this.rate, noiseShape: null, seed: null };
    if (this.rank === 2) config.dataFormat = 'channelsLast';
    return config;
  }
}

export class SpatialDropout1D extends SpatialDropout {
  readonly className = 'SpatialDropout1D';
  constructor(args: SpatialDropoutArgs) {
    super(args, 'layers.spatialDropout1d()', 1);
  }
}

export class SpatialDropout2D extends SpatialDropout {
  readonly className = 'SpatialDropout2D';
  constructor(args: SpatialDropoutArgs) {
    super(args, 'layers.spatialDropout2d()', 2);
  }
}

function spatialArgs(c: ConfigReader): SpatialDropoutArgs {
  c.unsupported('noiseShape', 'seed');
  if (c.has('dataFormat')) c.oneOf('dataFormat', ['channelsLast', 'channels_last'] as const);
  const rate = c.num('rate');
  if (!(rate >= 0 && rate < 1)) c.fail('rate', `must be in [0, 1), got ${rate}`);
  return { ...c.layerArgs(), rate };
}

export const spatialDropout1dEntry: LayerEntry = {
  className: 'SpatialDropout1D',
  fromConfig: (c) => new SpatialDropout1D(spatialArgs(c)),
};
export const spatialDropout2dEntry: LayerEntry = {
  className: 'SpatialDropout2D',
  fromConfig: (c) => new SpatialDropout2D(spatialArgs(c)),
};
