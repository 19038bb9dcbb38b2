/**
 * UpSampling2D: images [height, width, channels] → [height·sH, width·sW, channels], by repeating pixels
 * ('nearest') or interpolating between them ('bilinear'), computed exactly as TF.js does (tf.image.resize* with
 * alignCorners and halfPixelCenters false: output pixel o reads source position o·in/out). Keras (TF 2) computes
 * 'bilinear' with half-pixel centers instead, so a Keras model with bilinear upsampling predicts slightly
 * differently in Keras than in TF.js and backprop; 'nearest' agrees everywhere. The source rows and columns of
 * each output, with their weights, are computed once per input shape; backward sums the gradient back into them
 * in float64, one sample at a time.
 */
import type { Backend, FloatArray } from '../backend/ops';
import type { ConfigReader } from './config-reader';
import { MAX_DIMENSION } from './config-reader';
import { dataFormatArg, tupleArg } from './conv-geometry';
import { Layer, type LayerArgs } from './layer';
import type { LayerEntry } from './layer-entry';
import type { Shape } from './shape';

export type Interpolation = 'nearest' | 'bilinear';

export interface UpSampling2DArgs extends LayerArgs {
  /** The factors for rows and columns: one number or [sH, sW] (default 2). */
  size?: number | number[];
  /** 'nearest' (default) or 'bilinear'. */
  interpolation?: Interpolation;
  /** Only 'channelsLast'. */
  dataFormat?: 'channelsLast';
}

/** Along one axis: each output position's two source positions and the weight of the second. */
interface AxisMap {
  lo: Int32Array;
  hi: Int32Array;
  frac: Float64Array;
}

/** TF.js's source positions along one axis (ResizeBilinear / ResizeNearestNeighbor, no corner alignment). */
function axisMap(size: number, out: number, interpolation: Interpolation): AxisMap {
  const ratio = size / out;
  const m: AxisMap = { lo: new Int32Array(out), hi: new Int32Array(out), frac: new Float64Array(out) };
  for (let o = 0; o < out; o++) {
    const source = ratio * o;
    if (interpolation === 'nearest') {
      m.lo[o] = m.hi[o] = Math.min(size - 1, Math.floor(source));
      continue;
    }
    m.lo[o] = Math.max(0, Math.floor(source));
    m.hi[o] = Math.min(size - 1, Math.ceil(source));
    m.frac[o] = source - m.lo[o];
  }
  return m;
}

export class UpSampling2D extends Layer {
  readonly className = 'UpSampling2D';
  readonly size: [number, number];
  readonly interpolation: Interpolation;
  private rowMap?: AxisMap;
  private colMap?: AxisMap;
  /** One sample's input gradient, summed in float64. */
  private sums?: Float64Array;

  constructor(args: UpSampling2DArgs = {}) {
    const where = 'layers.upSampling2d()';
    super(args, where);
    this.size = tupleArg(where, 'size', args?.size ?? 2, 2, MAX_DIMENSION) as [number, number];
    const interpolation = args?.interpolation ?? 'nearest';
    if (interpolation !== 'nearest' && interpolation !== 'bilinear') {
      throw new Error(
        `${where}: 'interpolation' must be 'nearest' or 'bilinear' (what TF.js supports), ` +
          `got ${JSON.stringify(interpolation)}`,
      );
    }
    this.interpolation = interpolation;
    dataFormatArg(where, args?.dataFormat);
  }

  computeOutputShape(inputShape: Shape): Shape {
    if (inputShape.length !== 3) {
      this.badInput(inputShape, 'UpSampling2D takes images [height, width, channels], e.g. inputShape: [14, 14, 8]');
    }
    const h = inputShape[0] * this.size[0],
      w = inputShape[1] * this.size[1];
    if (h > MAX_DIMENSION || w > MAX_DIMENSION)
      this.badInput(inputShape, `the output has sides above ${MAX_DIMENSION}`);
    return [h, w, inputShape[2]];
  }

  protected override onBuilt(): void {
    const [h, w] = this.inputShape!;
    const [oh, ow] = this.outputShape!;
    this.rowMap = axisMap(h, oh, this.interpolation);
    this.colMap = axisMap(w, ow, this.interpolation);
    this.sums = new Float64Array(this.inputSize);
  }

  forward(_b: Backend, x: FloatArray, rows: number): FloatArray {
    const [y] = this.buffers(rows, [this.outputSize, this.inputSize]);
    const [h, w, c] = this.inputShape!;
    const [oh, ow] = this.outputShape!;
    const { lo: top, hi: bottom, frac: rowFrac } = this.rowMap!;
    const { lo: left, hi: right, frac: colFrac } = this.colMap!;
    const nearest = this.interpolation === 'nearest';
    let o = 0;
    for (let n = 0; n < rows; n++) {
      const base = n * h * w * c;
      for (let oy = 0; oy < oh; oy++) {
        const t = base + top[oy] * w * c,
          bt = base + bottom[oy] * w * c,
          rf = rowFrac[oy];
        for (let ox = 0; ox < ow; ox++) {
          const l = left[ox] * c;
          if (nearest) {
            for (let k = 0; k < c; k++) y[o++] = x[t + l + k];
            continue;
          }
          const r = right[ox] * c,
            cf = colFrac[ox];
          for (let k = 0; k < c; k++) {
            // TF.js's order of operations, so float32 results match it bit for bit.
            const tl = x[t + l + k],
              tr = x[t + r + k],
              bl = x[bt + l + k],
              br = x[bt + r + k];
            const upper = tl + (tr - tl) * cf;
            const lower = bl + (br - bl) * cf;
            y[o++] = upper + (lower - upper) * rf;
          }
        }
      }
    }
    return y;
  }

  backward(_b: Backend, dy: FloatArray, rows: number, needDx: boolean): FloatArray | null {
    if (!needDx) return null;
    const dx = this.buffers(rows, [this.outputSize, this.inputSize])[1];
    const [, w, c] = this.inputShape!;
    const [oh, ow] = this.outputShape!;
    const { lo: top, hi: bottom, frac: rowFrac } = this.rowMap!;
    const { lo: left, hi: right, frac: colFrac } = this.colMap!;
    const sums = this.sums!;
    const size = this.inputSize;
    let o = 0;
    for (let n = 0; n < rows; n++) {
      sums.fill(0);
      for (let oy = 0; oy < oh; oy++) {
        const t = top[oy] * w * c,
          bt = bottom[oy] * w * c,
          rf = rowFrac[oy];
        for (let ox = 0; ox < ow; ox++) {
          const l = left[ox] * c,
            r = right[ox] * c,
            cf = colFrac[ox];
          for (let k = 0; k < c; k++) {
            const d = dy[o++];
            // d(value)/d(corner) of TF.js's formula; with 'nearest' all of it goes to the top-left corner.
            sums[t + l + k] += d * (1 - cf) * (1 - rf);
            if (cf !== 0) sums[t + r + k] += d * cf * (1 - rf);
            if (rf !== 0) {
              sums[bt + l + k] += d * (1 - cf) * rf;
              if (cf !== 0) sums[bt + r + k] += d * cf * rf;
            }
          }
        }
      }
      for (let i = 0; i < size; i++) dx[n * size + i] = sums[i];
    }
    return dx;
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      size: [...this.size],
      dataFormat: 'channelsLast',
      interpolation: this.interpolation,
    };
  }
}

export const upSampling2dEntry: LayerEntry = {
  className: 'UpSampling2D',
  fromConfig(c: ConfigReader): UpSampling2D {
    if (c.has('dataFormat')) c.oneOf('dataFormat', ['channelsLast', 'channels_last'] as const);
    return new UpSampling2D({
      ...c.layerArgs(),
      size: c.ints('size', 2, 1, MAX_DIMENSION, 2),
      interpolation: c.oneOf('interpolation', ['nearest', 'bilinear'] as const, 'nearest'),
    });
  },
};
