/**
 * Concatenate: joins its inputs along `axis` (default -1, the last; axis 0 would be the batch axis and is
 * refused), the other dimensions equal, as Keras and TF.js. Masks (Keras rules): along the last axis the output
 * step is real where every masked input's step is; along the steps axis (1) the masks are joined too.
 */
import type { Backend, FloatArray } from '../backend/ops';
import { floatArray } from '../backend/memory';
import type { ConfigReader } from './config-reader';
import type { LayerArgs } from './layer';
import type { LayerEntry } from './layer-entry';
import { MergeLayer } from './merge-layer';
import { formatShape, shapeSize, type Shape } from './shape';

export interface ConcatenateArgs extends LayerArgs {
  /** The axis to join along, counting the batch axis as 0 (default -1: the last). */
  axis?: number;
}

export class Concatenate extends MergeLayer {
  readonly className = 'Concatenate';
  readonly axis: number;
  /** The per-sample axis joined along (0-based, without the batch axis), once built. */
  private sampleAxis = 0;
  /** Per input: values per block (one block per position before the axis), and the output's. */
  private blocks: number[] = [];
  private outBlock = 0;
  private outer = 1;
  private readonly masks = new Map<number, FloatArray>();

  constructor(args: ConcatenateArgs = {}) {
    super(args, 'layers.concatenate()');
    const axis = args.axis ?? -1;
    if (!Number.isInteger(axis) || axis === 0) {
      throw new Error(
        `layers.concatenate(): 'axis' must be a non-zero integer (0 is the batch axis; -1 the last), ` +
          `got ${String(args.axis)}`,
      );
    }
    this.axis = axis;
  }

  /** The per-sample axis for inputs of `rank` per-sample dimensions. */
  private axisFor(rank: number): number {
    const a = this.axis < 0 ? rank + this.axis : this.axis - 1;
    if (a < 0 || a >= rank) {
      throw new Error(`${this.describe()}: axis ${this.axis} is outside inputs of rank ${rank + 1} (batch included)`);
    }
    return a;
  }

  protected outputShapeFor(shapes: readonly Shape[]): Shape {
    const rank = shapes[0].length;
    if (shapes.some((s) => s.length !== rank)) {
      throw new Error(`${this.describe()}: inputs must have the same rank, got ${shapes.map(formatShape).join(', ')}`);
    }
    const a = this.axisFor(rank);
    const out = [...shapes[0]];
    out[a] = 0;
    for (const s of shapes) {
      for (let k = 0; k < rank; k++) {
        if (k !== a && s[k] !== shapes[0][k]) {
          throw new Error(
            `${this.describe()}: inputs ${shapes.map(formatShape).join(', ')} differ outside the joined axis ` +
              `${this.axis}; only that axis may differ`,
          );
        }
      }
      out[a] += s[a];
    }
    return out;
  }

  protected override onBuiltMerge(): void {
    const rank = this.inputShapes[0].length;
    this.sampleAxis = this.axisFor(rank);
    this.outer = shapeSize(this.inputShapes[0].slice(0, this.sampleAxis));
    this.blocks = this.inputShapes.map((s) => shapeSize(s.slice(this.sampleAxis)));
    this.outBlock = shapeSize(this.outputShape!.slice(this.sampleAxis));
    this.masks.clear();
  }

  /** Masks are per step (the first per-sample axis): joined along it, or ANDed along the last axis. */
  override maskFlowMany(masked: readonly boolean[]): boolean {
    if (!masked.some((m) => m)) return false;
    const rank = this.inputShapes[0]?.length ?? 2;
    const a = this.inputShapes.length ? this.sampleAxis : this.axisFor(rank);
    if (a !== 0 && a !== rank - 1) {
      throw new Error(`${this.describe()}: cannot join masked inputs along axis ${this.axis}; use axis 1 or -1`);
    }
    return true;
  }

  override outputMaskMany(masks: readonly (FloatArray | null)[]): FloatArray | null {
    if (!masks.some((m) => m)) return null;
    if (this.sampleAxis !== 0 || this.inputShapes[0].length === 1) return super.outputMaskMany(masks);
    // Joined along the steps axis: each input's mask (all ones when it has none) side by side.
    const steps = this.inputShapes.map((s) => s[0]);
    const total = this.outputShape![0];
    const rows = masks.find((m) => m)!.length / steps[masks.findIndex((m) => m)];
    let out = this.masks.get(rows);
    if (!out) {
      out = floatArray(this.dtype, rows * total);
      this.masks.set(rows, out);
    }
    for (let r = 0; r < rows; r++) {
      let at = r * total;
      masks.forEach((m, i) => {
        for (let t = 0; t < steps[i]; t++) out![at + t] = m ? m[r * steps[i] + t] : 1;
        at += steps[i];
      });
    }
    return out;
  }

  forwardMany(_b: Backend, xs: readonly FloatArray[], rows: number): FloatArray {
    const [y] = this.allBuffers(rows);
    const blocks = rows * this.outer;
    let at = 0;
    for (let i = 0; i < xs.length; i++) {
      const w = this.blocks[i];
      const x = xs[i];
      for (let k = 0; k < blocks; k++) y.set(x.subarray(k * w, (k + 1) * w), k * this.outBlock + at);
      at += w;
    }
    return y;
  }

  backwardMany(
    _b: Backend,
    dy: FloatArray,
    rows: number,
    needDx: readonly boolean[],
    dxs: (FloatArray | null)[],
  ): void {
    const sizes = this.inputShapes.map((s) => shapeSize(s));
    const bufs = this.allBuffers(rows);
    const blocks = rows * this.outer;
    let at = 0;
    for (let i = 0; i < sizes.length; i++) {
      const w = this.blocks[i];
      dxs[i] = null;
      if (needDx[i]) {
        const dx = bufs[1 + i];
        for (let k = 0; k < blocks; k++) dx.set(dy.subarray(k * this.outBlock + at, k * this.outBlock + at + w), k * w);
        dxs[i] = dx;
      }
      at += w;
    }
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), axis: this.axis };
  }
}

export const concatenateEntry: LayerEntry = {
  className: 'Concatenate',
  fromConfig(c: ConfigReader): Concatenate {
    return new Concatenate({ ...c.layerArgs(), axis: c.int('axis', -64, 64, -1) });
  },
};
