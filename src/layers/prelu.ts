/**
 * PReLU, the parametric ReLU: `f(x) = x` for x > 0, `alpha·x` otherwise, with a learned `alpha` per input value
 * (its shape is the per-sample input shape) or shared along `sharedAxes` (1-based per-sample axes, as TF.js and
 * Keras: `sharedAxes: [1, 2]` over images gives one alpha per channel, alpha [1, 1, channels]). Forward and
 * backward run through a map from each input position to its alpha built once per input shape; alpha's gradient
 * is summed over the batch and the shared axes in float64.
 */
import type { Backend, FloatArray } from '../backend/ops';
import type { Initializer, Regularizer } from '../training/contracts';
import { getInitializer, type InitializerIdentifier } from '../training/initializers';
import { getRegularizer, type RegularizerIdentifier } from '../training/regularizers';
import type { ConfigReader } from './config-reader';
import { Layer, type LayerArgs, type WeightSpec } from './layer';
import type { LayerEntry } from './layer-entry';
import { serializeInitializer, serializeRegularizer } from './serialize';
import { MAX_RANK, shapeSize, type Shape } from './shape';

export interface PReLUArgs extends LayerArgs {
  /** Initial alpha (default 'zeros': the layer starts as a ReLU). */
  alphaInitializer?: InitializerIdentifier;
  alphaRegularizer?: RegularizerIdentifier;
  /** Per-sample axes (1-based) along which one alpha is shared, e.g. [1, 2] for one alpha per image channel. */
  sharedAxes?: number | number[] | null;
}

export class PReLU extends Layer {
  readonly className = 'PReLU';
  readonly alphaInitializer: Initializer;
  readonly alphaRegularizer?: Regularizer;
  readonly sharedAxes: number[] | null;
  /** alphaIndex[j] = the alpha of input position j within a sample. */
  private alphaIndex?: Int32Array;
  /** alpha's gradient, summed in float64 before it is rounded into the weight's gradient. */
  private alphaSums?: Float64Array;
  private lastX?: FloatArray;

  constructor(args: PReLUArgs = {}) {
    const where = 'layers.pReLU()';
    super(args, where);
    const a = args ?? {};
    this.alphaInitializer = getInitializer(a.alphaInitializer ?? 'zeros');
    if (a.alphaRegularizer) this.alphaRegularizer = getRegularizer(a.alphaRegularizer);
    const constraint = (a as { alphaConstraint?: unknown }).alphaConstraint;
    if (constraint !== undefined && constraint !== null) {
      throw new Error(`${where}: 'alphaConstraint' is not supported (backprop has no weight constraints)`);
    }
    const s = a.sharedAxes;
    const list = s === undefined || s === null ? null : typeof s === 'number' ? [s] : s;
    if (
      list !== null &&
      (!Array.isArray(list) ||
        list.length > MAX_RANK ||
        !list.every((v) => Number.isSafeInteger(v) && v >= 1 && v <= MAX_RANK))
    ) {
      throw new Error(
        `${where}: 'sharedAxes' must be a per-sample axis (1-based) or a list of them, got ${JSON.stringify(s)}. ` +
          'Example: sharedAxes: [1, 2] (one alpha per channel of [height, width, channels] images)',
      );
    }
    this.sharedAxes = list === null ? null : [...list];
  }

  /** Works on each value alone, so a sequence mask passes through. */
  override maskFlow(inputMasked: boolean): boolean {
    return inputMasked;
  }

  /** y only: backward scales dy in place into the input gradient. */
  override stepBufferValues(inputShape: Shape): number {
    return shapeSize(inputShape);
  }

  computeOutputShape(inputShape: Shape): Shape {
    for (const axis of this.sharedAxes ?? []) {
      if (axis > inputShape.length) {
        this.badInput(inputShape, `'sharedAxes' names axis ${axis}, but samples have ${inputShape.length} axes`);
      }
    }
    return inputShape;
  }

  /** alpha's shape: the sample shape with the shared axes set to 1. */
  private alphaShape(inputShape: Shape): number[] {
    return inputShape.map((d, i) => (this.sharedAxes?.includes(i + 1) ? 1 : d));
  }

  override weightSpecs(inputShape: Shape): WeightSpec[] {
    return [
      {
        name: 'alpha',
        shape: this.alphaShape(inputShape),
        trainable: true,
        initializer: this.alphaInitializer,
        regularizer: this.alphaRegularizer,
      },
    ];
  }

  protected override onBuilt(): void {
    const shape = this.inputShape!;
    const alpha = this.alphaShape(shape);
    const size = shapeSize(shape);
    const index = new Int32Array(size);
    const pos = new Array<number>(shape.length).fill(0);
    for (let j = 0; j < size; j++) {
      let k = 0;
      for (let a = 0; a < shape.length; a++) k = k * alpha[a] + (alpha[a] === 1 ? 0 : pos[a]);
      index[j] = k;
      for (let a = shape.length - 1; a >= 0 && ++pos[a] === shape[a]; a--) pos[a] = 0;
    }
    this.alphaIndex = index;
    this.alphaSums = new Float64Array(shapeSize(alpha));
  }

  forward(_b: Backend, x: FloatArray, rows: number): FloatArray {
    const [y] = this.buffers(rows, [this.outputSize]);
    const alpha = this.weight('alpha').value;
    const index = this.alphaIndex!;
    const size = index.length;
    for (let r = 0; r < rows; r++) {
      const o = r * size;
      for (let j = 0; j < size; j++) {
        const v = x[o + j];
        y[o + j] = v > 0 ? v : alpha[index[j]] * v;
      }
    }
    this.lastX = x;
    return y;
  }

  backward(_b: Backend, dy: FloatArray, rows: number, needDx: boolean): FloatArray | null {
    const p = this.weight('alpha');
    const x = this.lastX!;
    const index = this.alphaIndex!;
    const sums = this.alphaSums!;
    const size = index.length;
    sums.fill(0);
    for (let r = 0; r < rows; r++) {
      const o = r * size;
      for (let j = 0; j < size; j++) {
        const v = x[o + j];
        if (v > 0) continue;
        const k = index[j];
        sums[k] += dy[o + j] * v;
        dy[o + j] *= p.value[k];
      }
    }
    for (let k = 0; k < sums.length; k++) p.grad[k] = sums[k];
    return needDx ? dy : null;
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      alphaInitializer: serializeInitializer(this.alphaInitializer),
      alphaRegularizer: serializeRegularizer(this.alphaRegularizer),
      alphaConstraint: null,
      sharedAxes: this.sharedAxes ? [...this.sharedAxes] : null,
    };
  }
}

export const preluEntry: LayerEntry = {
  className: 'PReLU',
  fromConfig(c: ConfigReader): PReLU {
    c.unsupported('alphaConstraint');
    let sharedAxes: number[] | null = null;
    if (c.has('sharedAxes')) {
      const v = c.get('sharedAxes');
      sharedAxes = typeof v === 'number' ? c.ints('sharedAxes', 1, 1, MAX_RANK) : null;
      if (sharedAxes === null) {
        if (!Array.isArray(v) || v.length > MAX_RANK) c.fail('sharedAxes', 'expected an axis or a list of axes');
        sharedAxes = c.ints('sharedAxes', v.length, 1, MAX_RANK);
      }
    }
    return new PReLU({
      ...c.layerArgs(),
      alphaInitializer: c.initializer('alphaInitializer', 'zeros'),
      alphaRegularizer: c.regularizer('alphaRegularizer'),
      sharedAxes,
    });
  },
};
