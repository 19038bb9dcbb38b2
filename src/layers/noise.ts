/**
 * The noise layers of TF.js and Keras, active only in training and the identity at inference:
 * - GaussianNoise({ stddev }): `x + n`, n ~ N(0, stddev²) (a regularizer; augmentation of real-valued inputs);
 * - GaussianDropout({ rate }): `x·m`, m ~ N(1, rate/(1 − rate)) (multiplicative noise with dropout's variance);
 * - AlphaDropout({ rate, noiseShape }): dropout for SELU networks, which keeps the mean and variance of its
 *   inputs: dropped values are set to SELU's negative saturation −λα, then an affine map restores the moments.
 * Noise comes from the model's seeded RNG (checkpoints save its state), so training repeats and resumes exactly,
 * and the forward keeps it for backward. Every layer works on each value alone, so a sequence mask passes through.
 */
import type { Backend, FloatArray } from '../backend/ops';
import { SELU_ALPHA, SELU_SCALE } from '../backend/js/activations';
import type { Rng } from '../random';
import type { ConfigReader } from './config-reader';
import { Layer, type LayerArgs } from './layer';
import type { LayerEntry } from './layer-entry';
import { formatShape, MAX_RANK, shapeSize, type Shape } from './shape';

/** What the three layers share: identity at inference, noise from the model's RNG in training. */
abstract class NoiseLayer extends Layer {
  private lastTraining = false;
  private lastRows = 0;

  constructor(args: LayerArgs | undefined, where: string) {
    super(args, where);
    const seed = ((args ?? {}) as { seed?: unknown }).seed;
    if (seed !== undefined && seed !== null) {
      throw new Error(
        `${where}: 'seed' is not supported: the noise comes from the model's seeded RNG ` +
          `(bp.sequential({ seed })), which checkpoints save so training resumes exactly`,
      );
    }
  }

  override maskFlow(inputMasked: boolean): boolean {
    return inputMasked;
  }

  computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }

  /**
   * In training, y and (multiplicative noise) the noise kept for backward, which scales dy in place; a layer
   * with no noise (rate or stddev 0) passes x and dy through and allocates nothing.
   */
  override stepBufferValues(inputShape: Shape): number {
    return this.active ? shapeSize(inputShape) * (this.keepsNoise ? 2 : 1) : 0;
  }

  /** Whether this layer adds noise at all (a rate or stddev of 0 does not). */
  protected abstract get active(): boolean;
  /** Whether backward needs the noise (a multiplicative one): then `keep` has outputSize values per sample. */
  protected readonly keepsNoise: boolean = true;
  /** y from x with fresh noise, keeping what backward needs in `keep` (empty unless keepsNoise). */
  protected abstract addNoise(x: FloatArray, y: FloatArray, keep: FloatArray, rows: number, rng: Rng): void;
  /** dy ← dL/dx in place, from what addNoise kept. */
  protected abstract gradient(dy: FloatArray, keep: FloatArray, rows: number): void;

  forward(_b: Backend, x: FloatArray, rows: number, training: boolean, rng: Rng): FloatArray {
    this.lastTraining = training && this.active;
    this.lastRows = rows;
    if (!this.lastTraining) return x;
    const [y, keep] = this.buffers(rows, this.bufferSizes());
    this.addNoise(x, y, keep, rows, rng);
    return y;
  }

  backward(_b: Backend, dy: FloatArray, rows: number, needDx: boolean): FloatArray | null {
    if (!needDx) return null;
    if (!this.lastTraining) return dy;
    if (rows !== this.lastRows) throw new Error(`${this.describe()}: backward's batch size differs from the forward's`);
    this.gradient(dy, this.buffers(rows, this.bufferSizes())[1], rows);
    return dy;
  }

  /** y and the kept noise; the input gradient is dy, scaled in place. */
  private bufferSizes(): number[] {
    return [this.outputSize, this.keepsNoise ? this.outputSize : 0];
  }
}

/** A rate in [0, 1), naming the layer and the key. */
function rateArg(where: string, v: unknown): number {
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) {
    throw new Error(`${where}: 'rate' must be a number in [0, 1), got ${JSON.stringify(v)}. Example: { rate: 0.1 }`);
  }
  return v;
}

export interface GaussianNoiseArgs extends LayerArgs {
  /** Standard deviation of the noise (>= 0). */
  stddev: number;
}

export class GaussianNoise extends NoiseLayer {
  readonly className = 'GaussianNoise';
  readonly stddev: number;

  constructor(args: GaussianNoiseArgs) {
    const where = 'layers.gaussianNoise()';
    super(args, where);
    const s = args?.stddev;
    if (typeof s !== 'number' || !Number.isFinite(s) || s < 0) {
      throw new Error(
        `${where}: 'stddev' must be a finite number >= 0, got ${JSON.stringify(s)}. Example: { stddev: 0.1 }`,
      );
    }
    this.stddev = s;
  }

  protected get active(): boolean {
    return this.stddev > 0;
  }

  /** Additive noise leaves the gradient as it is: nothing to keep. */
  protected override readonly keepsNoise = false;

  protected addNoise(x: FloatArray, y: FloatArray, _keep: FloatArray, rows: number, rng: Rng): void {
    const n = rows * this.outputSize;
    for (let i = 0; i < n; i++) y[i] = x[i] + rng.normal(0, this.stddev);
  }

  /** The gradient of x + n is the identity. */
  protected gradient(): void {}

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), stddev: this.stddev };
  }
}

export interface GaussianDropoutArgs extends LayerArgs {
  /** The dropout rate the noise's variance matches, rate/(1 − rate), in [0, 1). */
  rate: number;
}

export class GaussianDropout extends NoiseLayer {
  readonly className = 'GaussianDropout';
  readonly rate: number;

  constructor(args: GaussianDropoutArgs) {
    const where = 'layers.gaussianDropout()';
    super(args, where);
    this.rate = rateArg(where, args?.rate);
  }

  protected get active(): boolean {
    return this.rate > 0;
  }

  protected addNoise(x: FloatArray, y: FloatArray, keep: FloatArray, rows: number, rng: Rng): void {
    const stddev = Math.sqrt(this.rate / (1 - this.rate));
    const n = rows * this.outputSize;
    for (let i = 0; i < n; i++) {
      keep[i] = rng.normal(1, stddev);
      y[i] = x[i] * keep[i];
    }
  }

  protected gradient(dy: FloatArray, keep: FloatArray, rows: number): void {
    const n = rows * this.outputSize;
    for (let i = 0; i < n; i++) dy[i] *= keep[i];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), rate: this.rate };
  }
}

export interface AlphaDropoutArgs extends LayerArgs {
  /** Fraction of values dropped, in [0, 1). */
  rate: number;
  /**
   * The shape of the drop mask, batch axis first, broadcast over the input: each entry null (the input's size),
   * 1 (one draw shared along that axis) or the input's size; the batch entry null or 1. Default: the input's.
   */
  noiseShape?: (number | null)[] | null;
}

export class AlphaDropout extends NoiseLayer {
  readonly className = 'AlphaDropout';
  readonly rate: number;
  readonly noiseShape: (number | null)[] | null;
  /** With a noise shape: maskSource[j] = the position within a sample whose draw position j shares (j: its own). */
  private maskSource: Int32Array | null = null;
  /** Whether one mask serves the whole batch (a noise-shape batch entry of 1). */
  private sharedBatch = false;

  constructor(args: AlphaDropoutArgs) {
    const where = 'layers.alphaDropout()';
    super(args, where);
    this.rate = rateArg(where, args?.rate);
    const ns = args?.noiseShape ?? null;
    if (
      ns !== null &&
      (!Array.isArray(ns) ||
        ns.length < 2 ||
        ns.length > MAX_RANK + 1 ||
        !ns.every((v) => v === null || (Number.isSafeInteger(v) && v >= 1)) ||
        (ns[0] !== null && ns[0] !== 1))
    ) {
      throw new Error(
        `${where}: 'noiseShape' must be [batch, ...sample axes] with entries null, 1 or the input's size ` +
          `(the batch entry null or 1), got ${JSON.stringify(ns)}. Example: noiseShape: [null, 1, 16]`,
      );
    }
    this.noiseShape = ns === null ? null : [...ns];
  }

  protected get active(): boolean {
    return this.rate > 0;
  }

  override computeOutputShape(inputShape: Shape): Shape {
    const ns = this.noiseShape;
    if (
      ns &&
      !(
        ns.length === inputShape.length + 1 && ns.slice(1).every((v, i) => v === null || v === 1 || v === inputShape[i])
      )
    ) {
      this.badInput(
        inputShape,
        `'noiseShape' ${JSON.stringify(ns)} does not broadcast to [batch, ...${formatShape(inputShape)}]`,
      );
    }
    return inputShape;
  }

  protected override onBuilt(): void {
    const ns = this.noiseShape;
    const shape = this.inputShape!;
    this.sharedBatch = ns !== null && ns[0] === 1;
    const shared = shape.map((d, a) => ns !== null && ns[a + 1] === 1 && d !== 1);
    if (!shared.some((s) => s)) {
      this.maskSource = null;
      return;
    }
    // Row-major walk: a position along a shared axis takes the draw at index 0 of that axis (an earlier position).
    const strides = new Array<number>(shape.length);
    for (let a = shape.length - 1, s = 1; a >= 0; a--) {
      strides[a] = s;
      s *= shape[a];
    }
    const source = new Int32Array(this.outputSize);
    const pos = new Array<number>(shape.length).fill(0);
    for (let j = 0; j < source.length; j++) {
      let k = j;
      for (let a = 0; a < shape.length; a++) if (shared[a]) k -= pos[a] * strides[a];
      source[j] = k;
      for (let a = shape.length - 1; a >= 0 && ++pos[a] === shape[a]; a--) pos[a] = 0;
    }
    this.maskSource = source;
  }

  /**
   * keep[i] = a·m and y = keep·x + a·α'·(1 − m) + b, m ∈ {0, 1} (1 with probability 1 − rate) drawn per
   * noise-shape position, α' = −λα, a = ((1 − rate)(1 + rate·α'²))^(−1/2), b = −a·α'·rate (Keras' formula; TF.js
   * 4 adds α' with the opposite sign, which moves the mean it is meant to keep).
   */
  protected addNoise(x: FloatArray, y: FloatArray, keep: FloatArray, rows: number, rng: Rng): void {
    const rate = this.rate;
    // Dropped values become −λα, SELU's negative saturation.
    const alphaP = -SELU_ALPHA * SELU_SCALE;
    const a = ((1 - rate) * (1 + rate * alphaP * alphaP)) ** -0.5;
    const b = -a * alphaP * rate;
    const size = this.outputSize;
    const draw = () => (rng.uniform(0, 1) >= rate ? 1 : 0);
    for (let r = 0; r < rows; r++) {
      if (r === 0 || !this.sharedBatch) this.drawMask(keep, r * size, draw);
      else keep.copyWithin(r * size, 0, size);
    }
    for (let i = 0; i < rows * size; i++) {
      const m = keep[i];
      keep[i] = a * m;
      y[i] = keep[i] * x[i] + (a * alphaP * (1 - m) + b);
    }
  }

  /** One sample's mask (0/1) at `offset`, one draw per noise-shape position, broadcast along shared axes. */
  private drawMask(keep: FloatArray, offset: number, draw: () => number): void {
    const source = this.maskSource;
    const size = this.outputSize;
    if (!source) {
      for (let j = 0; j < size; j++) keep[offset + j] = draw();
      return;
    }
    for (let j = 0; j < size; j++) keep[offset + j] = source[j] === j ? draw() : keep[offset + source[j]];
  }

  protected gradient(dy: FloatArray, keep: FloatArray, rows: number): void {
    const n = rows * this.outputSize;
    for (let i = 0; i < n; i++) dy[i] *= keep[i];
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      rate: this.rate,
      noiseShape: this.noiseShape ? [...this.noiseShape] : null,
      seed: null,
    };
  }
}

export const gaussianNoiseEntry: LayerEntry = {
  className: 'GaussianNoise',
  fromConfig(c: ConfigReader): GaussianNoise {
    c.unsupported('seed');
    const stddev = c.num('stddev');
    if (stddev < 0) c.fail('stddev', `must be >= 0, got ${stddev}`);
    return new GaussianNoise({ ...c.layerArgs(), stddev });
  },
};

export const gaussianDropoutEntry: LayerEntry = {
  className: 'GaussianDropout',
  fromConfig(c: ConfigReader): GaussianDropout {
    c.unsupported('seed');
    const rate = c.num('rate');
    if (!(rate >= 0 && rate < 1)) c.fail('rate', `must be in [0, 1), got ${rate}`);
    return new GaussianDropout({ ...c.layerArgs(), rate });
  },
};

export const alphaDropoutEntry: LayerEntry = {
  className: 'AlphaDropout',
  fromConfig(c: ConfigReader): AlphaDropout {
    c.unsupported('seed');
    const rate = c.num('rate');
    if (!(rate >= 0 && rate < 1)) c.fail('rate', `must be in [0, 1), got ${rate}`);
    let noiseShape: (number | null)[] | null = null;
    if (c.has('noiseShape')) {
      const v = c.get('noiseShape');
      const ok =
        Array.isArray(v) &&
        v.length >= 2 &&
        v.length <= MAX_RANK + 1 &&
        v.every((d) => d === null || (Number.isSafeInteger(d) && d >= 1 && d <= 2 ** 28));
      if (!ok)
        c.fail('noiseShape', `expected [batch, ...sample axes] of null or positive integers, got ${JSON.stringify(v)}`);
      noiseShape = v as (number | null)[];
    }
    try {
      return new AlphaDropout({ ...c.layerArgs(), rate, noiseShape });
    } catch (e) {
      return c.fail('noiseShape', (e as Error).message);
    }
  },
};
