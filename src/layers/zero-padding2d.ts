/**
 * ZeroPadding2D: adds rows and columns of zeros around images [height, width, channels]. Forward copies each
 * image row into the interior of the layer's output buffer (its border is never written, so it stays zero);
 * backward copies the interior of the gradient back.
 */
import type { Backend, FloatArray } from '../backend/ops';
import type { ConfigReader } from './config-reader';
import { MAX_DIMENSION } from './config-reader';
import { dataFormatArg } from './conv-geometry';
import { Layer, type LayerArgs } from './layer';
import type { LayerEntry } from './layer-entry';
import type { Shape } from './shape';

export interface ZeroPadding2DArgs extends LayerArgs {
  /**
   * One number for all four sides, [rows, columns] (symmetric), or [[top, bottom], [left, right]] (default 1).
   */
  padding?: number | [number, number] | [[number, number], [number, number]];
  /** Only 'channelsLast'. */
  dataFormat?: 'channelsLast';
}

export class ZeroPadding2D extends Layer {
  readonly className = 'ZeroPadding2D';
  /** [[top, bottom], [left, right]] */
  readonly padding: [[number, number], [number, number]];

  constructor(args: ZeroPadding2DArgs = {}) {
    const where = 'layers.zeroPadding2d()';
    super(args, where);
    this.padding = paddingPairs(where, args?.padding ?? 1);
    dataFormatArg(where, args?.dataFormat);
  }

  computeOutputShape(inputShape: Shape): Shape {
    if (inputShape.length !== 3) {
      this.badInput(inputShape, 'ZeroPadding2D takes images [height, width, channels], e.g. inputShape: [28, 28, 1]');
    }
    const [[t, b], [l, r]] = this.padding;
    return [inputShape[0] + t + b, inputShape[1] + l + r, inputShape[2]];
  }

  /** Copies image rows between the input layout (`toPadded`: into the padded one) and the padded one. */
  private copyRows(src: FloatArray, dst: FloatArray, rows: number, toPadded: boolean): void {
    const [h, w, c] = this.inputShape!;
    const [oh, ow] = this.outputShape!;
    const [[t], [l]] = this.padding;
    const rowLen = w * c;
    for (let n = 0; n < rows; n++) {
      for (let y = 0; y < h; y++) {
        const plain = (n * h + y) * rowLen,
          padded = ((n * oh + t + y) * ow + l) * c;
        if (toPadded) for (let i = 0; i < rowLen; i++) dst[padded + i] = src[plain + i];
        else for (let i = 0; i < rowLen; i++) dst[plain + i] = src[padded + i];
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
    return {
      ...super.getConfig(),
      padding: this.padding.map((p) => [...p]),
      dataFormat: 'channelsLast',
    };
  }
}

/**
 * [[top, bottom], [left, right]] from one number, [rows, columns] or the pairs (Cropping2D reads `cropping` so).
 */
export function paddingPairs(where: string, p: unknown, key = 'padding'): [[number, number], [number, number]] {
  const ok = (v: unknown): v is number =>
    Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= MAX_DIMENSION;
  if (ok(p))
    return [
      [p, p],
      [p, p],
    ];
  if (Array.isArray(p) && p.length === 2 && ok(p[0]) && ok(p[1])) {
    return [
      [p[0], p[0]],
      [p[1], p[1]],
    ];
  }
  if (
    Array.isArray(p) &&
    p.length === 2 &&
    p.every((q) => Array.isArray(q) && q.length === 2 && ok(q[0]) && ok(q[1]))
  ) {
    return [
      [p[0][0], p[0][1]],
      [p[1][0], p[1][1]],
    ];
  }
  throw new Error(
    `${where}: '${key}' must be a non-negative integer, [rows, columns] or [[top, bottom], [left, right]], ` +
      `got ${JSON.stringify(p)}`,
  );
}

export const zeroPadding2dEntry: LayerEntry = {
  className: 'ZeroPadding2D',
  fromConfig(c: ConfigReader): ZeroPadding2D {
    if (c.has('dataFormat')) c.oneOf('dataFormat', ['channelsLast', 'channels_last'] as const);
    let padding: ZeroPadding2DArgs['padding'];
    try {
      padding = paddingPairs('padding', c.get('padding') ?? 1);
    } catch (e) {
      return c.fail('padding', (e as Error).message);
    }
    return new ZeroPadding2D({ ...c.layerArgs(), padding });
  },
};
