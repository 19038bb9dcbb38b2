/**
 * Cropping2D: removes rows and columns at the edges of images [height, width, channels] (U-Net skip connections
 * cropped to the decoder's size). Forward copies the kept part of each image row; backward copies the gradient
 * into the interior of the layer's input-gradient buffer, whose border is never written and stays zero.
 */
import type { Backend, FloatArray } from '../backend/ops';
import type { ConfigReader } from './config-reader';
import { dataFormatArg } from './conv-geometry';
import { Layer, type LayerArgs } from './layer';
import type { LayerEntry } from './layer-entry';
import type { Shape } from './shape';
import { paddingPairs } from './zero-padding2d';

export interface Cropping2DArgs extends LayerArgs {
  /**
   * One number for all four sides, [rows, columns] (symmetric), or [[top, bottom], [left, right]] (default 0).
   */
  cropping?: number | [number, number] | [[number, number], [number, number]];
  /** Only 'channelsLast'. */
  dataFormat?: 'channelsLast';
}

export class Cropping2D extends Layer {
  readonly className = 'Cropping2D';
  /** [[top, bottom], [left, right]] */
  readonly cropping: [[number, number], [number, number]];

  constructor(args: Cropping2DArgs = {}) {
    const where = 'layers.cropping2d()';
    super(args, where);
    this.cropping = paddingPairs(where, args?.cropping ?? 0, 'cropping');
    dataFormatArg(where, args?.dataFormat);
  }

  computeOutputShape(inputShape: Shape): Shape {
    if (inputShape.length !== 3) {
      this.badInput(inputShape, 'Cropping2D takes images [height, width, channels], e.g. inputShape: [28, 28, 1]');
    }
    const [[t, b], [l, r]] = this.cropping;
    const h = inputShape[0] - t - b,
      w = inputShape[1] - l - r;
    if (h < 1 || w < 1) this.badInput(inputShape, `cropping ${JSON.stringify(this.cropping)} leaves no pixels`);
    return [h, w, inputShape[2]];
  }

  /** Copies the kept rows between the input layout and the cropped one (`toCropped`: input → output). */
  private copyRows(src: FloatArray, dst: FloatArray, rows: number, toCropped: boolean): void {
    const [h, w, c] = this.inputShape!;
    const [oh, ow] = this.outputShape!;
    const [[t], [l]] = this.cropping;
    const rowLen = ow * c;
    for (let n = 0; n < rows; n++) {
      for (let y = 0; y < oh; y++) {
        const full = ((n * h + t + y) * w + l) * c,
          cropped = (n * oh + y) * rowLen;
        if (toCropped) for (let i = 0; i < rowLen; i++) dst[cropped + i] = src[full + i];
        else for (let i = 0; i < rowLen; i++) dst[full + i] = src[cropped + i];
      }
    }
  }

  forward(_b: Backend, x: FloatArray, rows: number): FloatArray {
    const [y] = this.buffers(rows, [this.outputSize, this.inputSize]);
    this.copyRows(x, y, rows, true);
    return y;
  }

  backward(_b: Backend, dy: FloatArray, rows: number, needDx: boolean): FloatArray | null {
    if (!needDx) return null;
    const dx = this.buffers(rows, [this.outputSize, this.inputSize])[1];
    this.copyRows(dy, dx, rows, false);
    return dx;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), cropping: this.cropping.map((p) => [...p]), dataFormat: 'channelsLast' };
  }
}

export const cropping2dEntry: LayerEntry = {
  className: 'Cropping2D',
  fromConfig(c: ConfigReader): Cropping2D {
    if (c.has('dataFormat')) c.oneOf('dataFormat', ['channelsLast', 'channels_last'] as const);
    let cropping: Cropping2DArgs['cropping'];
    try {
      cropping = paddingPairs('cropping', c.get('cropping') ?? 0, 'cropping');
    } catch (e) {
      return c.fail('cropping', (e as Error).message);
    }
    return new Cropping2D({ ...c.layerArgs(), cropping });
  },
};
