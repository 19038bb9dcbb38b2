/**
 * Reshape to `targetShape` (one dimension may be -1: inferred from the rest). Like Flatten it only
 * reinterprets the flat batch: forward returns its input, backward its gradient.
 */
import type { Backend, FloatArray } from '../backend/ops';
import type { ConfigReader } from './config-reader';
import { Layer, type LayerArgs } from './layer';
import type { LayerEntry } from './layer-entry';
import { formatShape, MAX_RANK, shapeSize, type Shape } from './shape';

export interface ReshapeArgs extends LayerArgs {
  /** The per-sample output shape; at most one -1, inferred so the sizes match. */
  targetShape: number[];
}

export class Reshape extends Layer {
  /** None: forward and backward hand on their argument. */
  override stepBufferValues(): number {
    return 0;
  }

  readonly className = 'Reshape';
  readonly targetShape: number[];

  constructor(args: ReshapeArgs) {
    super(args, 'layers.reshape()');
    const t = args?.targetShape;
    const ok =
      Array.isArray(t) &&
      t.length >= 1 &&
      t.length <= MAX_RANK &&
      t.every((d) => Number.isSafeInteger(d) && (d >= 1 || d === -1)) &&
      t.filter((d) => d === -1).length <= 1;
    if (!ok) {
      throw new Error(
        `layers.reshape(): 'targetShape' must be 1 to ${MAX_RANK} positive integers with at most one -1, got ` +
          `${JSON.stringify(t)}. Example: layers.reshape({ targetShape: [28, 28, 1] })`,
      );
    }
    this.targetShape = [...t];
  }

  computeOutputShape(inputShape: Shape): Shape {
    const size = shapeSize(inputShape);
    const known = this.targetShape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    if (!this.targetShape.includes(-1)) {
      if (known !== size) this.badInput(inputShape, `${size} values do not fit ${formatShape(this.targetShape)}`);
      return [...this.targetShape];
    }
    if (size % known !== 0) {
      this.badInput(inputShape, `${size} values cannot be arranged as ${formatShape(this.targetShape)}`);
    }
    return this.targetShape.map((d) => (d === -1 ? size / known : d));
  }

  forward(_b: Backend, x: FloatArray): FloatArray {
    return x;
  }

  backward(_b: Backend, dy: FloatArray): FloatArray | null {
    return dy;
  }

  override getConfig(): Record<string, unknown> {
    // Once built, -1 is written resolved: TF.js cannot infer it when it loads a file (its symbolic shape
    // keeps the axis unknown, and a following Dense then fails to build).
    return { ...super.getConfig(), targetShape: [...(this.outputShape ?? this.targetShape)] };
  }
}

export const reshapeEntry: LayerEntry = {
  className: 'Reshape',
  fromConfig(c: ConfigReader): Reshape {
    const t = c.get('targetShape');
    if (!Array.isArray(t) || t.length > MAX_RANK) c.fail('targetShape', 'expected an array of dimensions');
    const targetShape = t.map((d, i) => {
      if (d === -1 || d === null) return -1;
      if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 1 || d > 2 ** 28) {
        c.fail(`targetShape[${i}]`, `expected a positive integer or -1, got ${JSON.stringify(d)}`);
      }
      return d;
    });
    return new Reshape({ ...c.layerArgs(), targetShape });
  },
};
