/**
 * Dot: the dot product of two inputs per sample along `axes`, as Keras and TF.js (`batch_dot`): per-sample ranks
 * 1 or 2 (TF.js supports no more). The output's shape is the first input's without its axis followed by the
 * second's without its axis (`[1]` when nothing remains). `normalize` L2-normalises both along their axes first,
 * giving cosine similarities (x · rsqrt(max(Σx², 1e-12)), as Keras). A mask is not passed on (Keras).
 *
 * Per sample the product is a small matrix product x1 (m × k) · x2 (k × n), read with strides, so no transposed
 * copies are made.
 */
import type { Backend, FloatArray } from '../backend/ops';
import type { ConfigReader } from './config-reader';
import type { LayerArgs } from './layer';
import type { LayerEntry } from './layer-entry';
import { MergeLayer } from './merge-layer';
import { formatShape, shapeSize, type Shape } from './shape';

export interface DotArgs extends LayerArgs {
  /** The axis of each input to multiply along (counting the batch axis as 0; negative from the end). */
  axes: number | [number, number];
  /** L2-normalise both inputs along their axes first (cosine similarity); default false. */
  normalize?: boolean;
}

const EPS = 1e-12;

interface Strides {
  m: number;
  k: number;
  n: number;
  /** x1 (i, c) at i·s1i + c·s1c; x2 (c, j) at c·s2c + j·s2j. */
  s1i: number;
  s1c: number;
  s2c: number;
  s2j: number;
}

export class Dot extends MergeLayer {
  readonly className = 'Dot';
  readonly axes: [number, number];
  readonly normalize: boolean;
  private st: Strides = { m: 1, k: 1, n: 1, s1i: 0, s1c: 1, s2c: 1, s2j: 0 };
  private lastA?: FloatArray;
  private lastB?: FloatArray;

  constructor(args: DotArgs) {
    super(args, 'layers.dot()');
    if (!args || args.axes === undefined)
      throw new Error(`layers.dot(): 'axes' is required, e.g. layers.dot({ axes: 1 })`);
    const ax = Array.isArray(args.axes) ? args.axes : [args.axes, args.axes];
    if (ax.length !== 2 || !ax.every((a) => Number.isInteger(a) && a !== 0 && Math.abs(a) <= 3)) {
      throw new Error(
        `layers.dot(): 'axes' must be a non-zero integer (0 is the batch axis) or two of them, ` +
          `got ${JSON.stringify(args.axes)}`,
      );
    }
    this.axes = [ax[0], ax[1]];
    if (args.normalize !== undefined && typeof args.normalize !== 'boolean') {
      throw new Error(`layers.dot(): 'normalize' must be true or false, got ${String(args.normalize)}`);
    }
    this.normalize = args.normalize ?? false;
  }

  protected override get maxInputs(): number {
    return 2;
  }

  /** Per-sample axis of input `i` for a per-sample rank. */
  private axisOf(i: number, rank: number): number {
    const a = this.axes[i];
    const s = a < 0 ? rank + a : a - 1;
    if (s < 0 || s >= rank) {
      throw new Error(`${this.describe()}: axis ${a} is outside input ${i} of rank ${rank + 1} (batch included)`);
    }
    return s;
  }

  protected outputShapeFor(shapes: readonly Shape[]): Shape {
    const [s1, s2] = shapes;
    if (s1.length > 2 || s2.length > 2) {
      throw new Error(
        `${this.describe()}: inputs of rank ${s1.length + 1} and ${s2.length + 1} (batch included); Dot supports ` +
          `ranks 2 and 3 (as TF.js)`,
      );
    }
    const a1 = this.axisOf(0, s1.length),
      a2 = this.axisOf(1, s2.length);
    if (s1[a1] !== s2[a2]) {
      throw new Error(
        `${this.describe()}: inputs ${formatShape(s1)} and ${formatShape(s2)} differ along axes ${this.axes[0]} and ` +
          `${this.axes[1]} (${s1[a1]} vs ${s2[a2]})`,
      );
    }
    const out = [...s1.filter((_, k) => k !== a1), ...s2.filter((_, k) => k !== a2)];
    return out.length === 0 ? [1] : out;
  }

  protected override onBuiltMerge(): void {
    const [s1, s2] = this.inputShapes;
    const a1 = this.axisOf(0, s1.length),
      a2 = this.axisOf(1, s2.length);
    const k = s1[a1];
    const m = s1.length === 2 ? s1[1 - a1] : 1;
    const n = s2.length === 2 ? s2[1 - a2] : 1;
    // Row-major strides of the contracted and remaining axes.
    const s1c = s1.length === 2 ? (a1 === 1 ? 1 : s1[1]) : 1;
    const s1i = s1.length === 2 ? (a1 === 1 ? s1[1] : 1) : 0;
    const s2c = s2.length === 2 ? (a2 === 1 ? 1 : s2[1]) : 1;
    const s2j = s2.length === 2 ? (a2 === 1 ? s2[1] : 1) : 0;
    this.st = { m, k, n, s1i, s1c, s2c, s2j };
  }

  override maskFlowMany(): boolean {
    return false;
  }

  override outputMaskMany(): null {
    return null;
  }

  forwardMany(_b: Backend, xs: readonly FloatArray[], rows: number): FloatArray {
    const [y, na, nb] = this.buffers(rows, this.sizes());
    let a = xs[0],
      b = xs[1];
    this.raw[0] = a;
    this.raw[1] = b;
    if (this.normalize) {
      a = this.normalizeInto(a, na, rows, 0);
      b = this.normalizeInto(b, nb, rows, 1);
    }
    this.lastA = a;
    this.lastB = b;
    const { m, k, n, s1i, s1c, s2c, s2j } = this.st;
    const sa = this.inputSizeOf(0),
      sb = this.inputSizeOf(1),
      so = m * n;
    for (let r = 0; r < rows; r++) {
      const ao = r * sa,
        bo = r * sb,
        yo = r * so;
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let acc = 0;
          for (let c = 0; c < k; c++) acc += a[ao + i * s1i + c * s1c] * b[bo + c * s2c + j * s2j];
          y[yo + i * n + j] = acc;
        }
      }
    }
    return y;
  }

  override stepBufferValuesFor(inputShapes: readonly Shape[]): number {
    const inputs = shapeSize(inputShapes[0]) + shapeSize(inputShapes[1] ?? []);
    return shapeSize(this.computeOutputShapeFor(inputShapes)) + inputs * (this.normalize ? 3 : 1);
  }

  /** Buffers: y, the normalised inputs, their gradients, then the raw inputs' gradients. */
  private sizes(): number[] {
    const sa = this.inputSizeOf(0),
      sb = this.inputSizeOf(1);
    const norm = this.normalize;
    return [this.outputSize, norm ? sa : 0, norm ? sb : 0, sa, sb, norm ? sa : 0, norm ? sb : 0];
  }

  /** x / ‖x‖ along input i's axis, per vector, into `out`. */
  private normalizeInto(x: FloatArray, out: FloatArray, rows: number, i: number): FloatArray {
    const { m, k, n, s1i, s1c, s2c, s2j } = this.st;
    const count = i === 0 ? m : n,
      sv = i === 0 ? s1i : s2j,
      sc = i === 0 ? s1c : s2c;
    const size = this.inputSizeOf(i);
    for (let r = 0; r < rows; r++) {
      for (let v = 0; v < count; v++) {
        const base = r * size + v * sv;
        let ss = 0;
        for (let c = 0; c < k; c++) ss += x[base + c * sc] * x[base + c * sc];
        const inv = 1 / Math.sqrt(Math.max(ss, EPS));
        for (let c = 0; c < k; c++) out[base + c * sc] = x[base + c * sc] * inv;
      }
    }
    return out;
  }

  backwardMany(
    _b: Backend,
    dy: FloatArray,
    rows: number,
    needDx: readonly boolean[],
    dxs: (FloatArray | null)[],
  ): void {
    const bufs = this.buffers(rows, this.sizes());
    const [, , , ga, gb, da, db] = bufs;
    const a = this.lastA!,
      b = this.lastB!;
    const { m, k, n, s1i, s1c, s2c, s2j } = this.st;
    const sa = this.inputSizeOf(0),
      sb = this.inputSizeOf(1),
      so = m * n;
    // Gradients with respect to what was multiplied (the normalised inputs when normalize is on).
    for (let r = 0; r < rows; r++) {
      const ao = r * sa,
        bo = r * sb,
        yo = r * so;
      if (needDx[0]) {
        for (let i = 0; i < m; i++)
          for (let c = 0; c < k; c++) {
            let acc = 0;
            for (let j = 0; j < n; j++) acc += dy[yo + i * n + j] * b[bo + c * s2c + j * s2j];
            ga[ao + i * s1i + c * s1c] = acc;
          }
      }
      if (needDx[1]) {
        for (let c = 0; c < k; c++)
          for (let j = 0; j < n; j++) {
            let acc = 0;
            for (let i = 0; i < m; i++) acc += a[ao + i * s1i + c * s1c] * dy[yo + i * n + j];
            gb[bo + c * s2c + j * s2j] = acc;
          }
      }
    }
    dxs[0] = needDx[0] ? (this.normalize ? this.unnormalize(ga, a, da, rows, 0) : ga) : null;
    dxs[1] = needDx[1] ? (this.normalize ? this.unnormalize(gb, b, db, rows, 1) : gb) : null;
  }

  /** The gradient through x̂ = x·rsqrt(max(Σx², ε)): (g − x̂·(g·x̂)) / ‖x‖, or g/√ε where the max took ε. */
  private unnormalize(g: FloatArray, xhat: FloatArray, out: FloatArray, rows: number, i: number): FloatArray {
    const { m, k, n, s1i, s1c, s2c, s2j } = this.st;
    const count = i === 0 ? m : n,
      sv = i === 0 ? s1i : s2j,
      sc = i === 0 ? s1c : s2c;
    const size = this.inputSizeOf(i);
    const raw = i === 0 ? this.rawInput(0) : this.rawInput(1);
    for (let r = 0; r < rows; r++) {
      for (let v = 0; v < count; v++) {
        const base = r * size + v * sv;
        let ss = 0,
          dot = 0;
        for (let c = 0; c < k; c++) {
          const x = raw[base + c * sc];
          ss += x * x;
          dot += g[base + c * sc] * xhat[base + c * sc];
        }
        const inv = 1 / Math.sqrt(Math.max(ss, EPS));
        const clamped = ss < EPS;
        for (let c = 0; c < k; c++) {
          const at = base + c * sc;
          out[at] = clamped ? g[at] * inv : (g[at] - xhat[at] * dot) * inv;
        }
      }
    }
    return out;
  }

  /** The un-normalised inputs of the last forward (a fixed pair: a step allocates nothing). */
  private readonly raw: FloatArray[] = [];

  /** The un-normalised input i of the last forward. */
  private rawInput(i: number): FloatArray {
    return this.raw[i];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), axes: [...this.axes], normalize: this.normalize };
  }
}

export const dotEntry: LayerEntry = {
  className: 'Dot',
  fromConfig(c: ConfigReader): Dot {
    const v = c.get('axes');
    const axes = Array.isArray(v) ? (c.ints('axes', 2, -3, 3) as [number, number]) : c.int('axes', -3, 3);
    return new Dot({ ...c.layerArgs(), axes, normalize: c.bool('normalize', false) });
  },
};
