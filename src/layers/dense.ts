/**
 * Dense (fully connected): `y = act(x·W + b)` with kernel `[in, units]`, applied to the last axis of inputs
 * of any rank (as TF.js: [..., in] → [..., units]). Computed by the fused denseForward / denseBackward ops:
 * one gemm plus one pass for bias and activation; back, one pass for the activation derivative, then the
 * dW and dX gemms. A plain SGD update can be folded into the dW gemm (`canFoldSgd`).
 */
import type { ActivationName, Backend, FloatArray } from '../backend/ops';
import { Activation } from '../backend/ops';
import type { FoldedSgd, Initializer, Regularizer } from '../training/contracts';
import { getInitializer, type InitializerIdentifier } from '../training/initializers';
import { getRegularizer, type RegularizerIdentifier } from '../training/regularizers';
import { resolveActivation, type ActivationIdentifier } from './activation-names';
import { MAX_DIMENSION, type ConfigReader } from './config-reader';
import { floatArray, isAsyncSafe } from '../backend/memory';
import { Layer, type LayerArgs, type WeightSpec } from './layer';
import type { LayerEntry } from './layer-entry';
import { shapeSize, type Shape } from './shape';
import { serializeInitializer, serializeRegularizer } from './serialize';

export interface DenseArgs extends LayerArgs {
  /** Number of output units. */
  units: number;
  /** Activation name (`'relu'`, `'softmax'`, ...); default linear. */
  activation?: ActivationIdentifier;
  /** Whether to add a bias vector (default true). */
  useBias?: boolean;
  kernelInitializer?: InitializerIdentifier;
  biasInitializer?: InitializerIdentifier;
  kernelRegularizer?: RegularizerIdentifier;
  biasRegularizer?: RegularizerIdentifier;
}

export class Dense extends Layer {
  readonly className = 'Dense';
  readonly units: number;
  readonly activation: ActivationName;
  readonly actCode: number;
  readonly actAlpha: number;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;
  readonly kernelRegularizer?: Regularizer;
  readonly biasRegularizer?: Regularizer;
  private lastX?: FloatArray;
  private lastZ?: FloatArray;
  private lastY?: FloatArray;
  private ones = new Map<number, FloatArray>();

  constructor(args: DenseArgs) {
    super(args, 'layers.dense()');
    if (!Number.isSafeInteger(args.units) || args.units < 1 || args.units > MAX_DIMENSION) {
      throw new Error(
        `layers.dense(): 'units' must be an integer in [1, ${MAX_DIMENSION}], got ${args?.units}. ` +
          'Example: layers.dense({ units: 10 })',
      );
    }
    this.units = args.units;
    const act = resolveActivation(args.activation ?? 'linear', 'layers.dense()');
    this.activation = act.name;
    this.actCode = act.code;
    this.actAlpha = act.alpha;
    if (args.useBias !== undefined && typeof args.useBias !== 'boolean') {
      throw new Error(`layers.dense(): 'useBias' must be true or false, got ${String(args.useBias)}`);
    }
    this.useBias = args.useBias ?? true;
    this.kernelInitializer = getInitializer(args.kernelInitializer ?? 'glorotUniform');
    this.biasInitializer = getInitializer(args.biasInitializer ?? 'zeros');
    if (args.kernelRegularizer) this.kernelRegularizer = getRegularizer(args.kernelRegularizer);
    if (args.biasRegularizer) this.biasRegularizer = getRegularizer(args.biasRegularizer);
  }

  /** Works on each step alone, so a sequence mask passes through. */
  override maskFlow(inputMasked: boolean): boolean {
    return inputMasked;
  }

  computeOutputShape(inputShape: Shape): Shape {
    return [...inputShape.slice(0, -1), this.units];
  }

  override weightSpecs(inputShape: Shape): WeightSpec[] {
    const k = inputShape[inputShape.length - 1];
    const specs: WeightSpec[] = [
      {
        name: 'kernel',
        shape: [k, this.units],
        trainable: true,
        initializer: this.kernelInitializer,
        regularizer: this.kernelRegularizer,
      },
    ];
    if (this.useBias) {
      specs.push({
        name: 'bias',
        shape: [this.units],
        trainable: true,
        initializer: this.biasInitializer,
        regularizer: this.biasRegularizer,
      });
    }
    return specs;
  }

  /** Input features (the last input axis). */
  private get k(): number {
    return this.inputShape![this.inputShape!.length - 1];
  }

  /** Rows of the gemm per sample: the product of the input's leading axes (1 for a feature vector). */
  private get outer(): number {
    return shapeSize(this.inputShape!) / this.k;
  }

  /** z, y (unless linear: y is z) and dx (see bufferSizes). */
  override stepBufferValues(inputShape: Shape): number {
    const out = (shapeSize(inputShape) / inputShape[inputShape.length - 1]) * this.units;
    return out * (this.actCode === Activation.linear ? 1 : 2) + shapeSize(inputShape);
  }

  override macsPerSample(): number {
    return this.built ? this.outer * this.k * this.units : 0;
  }

  override get outputActivation(): ActivationName {
    return this.activation;
  }

  override preActivation(): FloatArray {
    return this.lastZ!;
  }

  override get canFoldSgd(): boolean {
    return true;
  }

  private forwardArgs(x: FloatArray, rows: number) {
    const [z, y] = this.buffers(rows, this.bufferSizes());
    const out = this.actCode === Activation.linear ? z : y;
    this.lastX = x;
    this.lastZ = z;
    this.lastY = out;
    const w = this.weight('kernel').value;
    const b = this.useBias ? this.weight('bias').value : null;
    const m = rows * this.outer;
    return [x, w, b, z, out, m, this.k, this.units, this.actCode, this.actAlpha] as const;
  }

  /** z, y (none when linear: y is z), dx; fixed once built, so made once. */
  private bufferSizes(): number[] {
    const known = this.sizes;
    if (known && known.shape === this.inputShape) return known.values;
    const out = this.outer * this.units;
    const values = [out, this.actCode === Activation.linear ? 0 : out, this.outer * this.k];
    this.sizes = { shape: this.inputShape, values };
    return values;
  }

  private sizes?: { shape: Shape | undefined; values: number[] };

  forward(b: Backend, x: FloatArray, rows: number): FloatArray {
    // The arguments passed one by one, not as forwardArgs' array: a step allocates nothing.
    const [z, y] = this.buffers(rows, this.bufferSizes());
    const out = this.actCode === Activation.linear ? z : y;
    this.lastX = x;
    this.lastZ = z;
    this.lastY = out;
    const bias = this.useBias ? this.weight('bias').value : null;
    const k = this.k;
    b.denseForward(
      x,
      this.weight('kernel').value,
      bias,
      z,
      out,
      rows * this.outer,
      k,
      this.units,
      this.actCode,
      this.actAlpha,
    );
    return out;
  }

  override async forwardAsync(b: Backend, x: FloatArray, rows: number): Promise<FloatArray> {
    // An input the caller allocated elsewhere than floatArray() cannot go off-thread: run it here instead.
    if (!b.denseForwardAsync || !isAsyncSafe(x)) return this.forward(b, x, rows);
    const args = this.forwardArgs(x, rows);
    await b.denseForwardAsync(...args);
    return args[4];
  }

  private backwardArgs(dy: FloatArray, rows: number, needDx: boolean, lossFused: boolean) {
    const dx = needDx ? this.buffers(rows, this.bufferSizes())[2] : null;
    const act = lossFused ? Activation.linear : this.actCode;
    const kernel = this.weight('kernel');
    const bias = this.useBias ? this.weight('bias').grad : null;
    const m = rows * this.outer;
    return [
      this.lastX!,
      kernel.value,
      this.lastZ!,
      this.lastY!,
      dy,
      dy,
      kernel.grad,
      bias,
      dx,
      m,
      this.k,
      this.units,
      act,
      this.actAlpha,
    ] as const;
  }

  backward(
    b: Backend,
    dy: FloatArray,
    rows: number,
    needDx: boolean,
    lossFused: boolean,
    fold: FoldedSgd | null,
  ): FloatArray | null {
    // The arguments passed one by one, not as backwardArgs' array: a step allocates nothing.
    const dx = needDx ? this.buffers(rows, this.bufferSizes())[2] : null;
    const act = lossFused ? Activation.linear : this.actCode;
    const kernel = this.weight('kernel');
    const m = rows * this.outer,
      k = this.k,
      n = this.units;
    if (fold) {
      // SGD inside the gradient gemms: dz = f'(z)⊙dy in place, dx = dz·Wᵀ with the old W, then
      // W ← keep·W − lr·xᵀ·dz and b ← keep·b − lr·Σ_rows dz (as 1ᵀ·dz), keep = 1 − lr·weightDecay: the update of
      // denseBackward + sgdStep without writing dW or a second pass over W.
      if (act !== Activation.linear) b.activationBackward(act, this.actAlpha, this.lastZ!, this.lastY!, dy, dy, m, n);
      if (dx) b.gemm(false, true, m, k, n, 1, dy, kernel.value, 0, dx);
      const keep = 1 - fold.lr * fold.weightDecay;
      b.gemm(true, false, k, n, m, -fold.lr, this.lastX!, dy, keep, kernel.value);
      if (this.useBias)
        b.gemm(false, false, 1, n, m, -fold.lr, this.onesColumn(m), dy, keep, this.weight('bias').value);
      return dx;
    }
    const biasGrad = this.useBias ? this.weight('bias').grad : null;
    b.denseBackward(
      this.lastX!,
      kernel.value,
      this.lastZ!,
      this.lastY!,
      dy,
      dy,
      kernel.grad,
      biasGrad,
      dx,
      m,
      k,
      n,
      act,
      this.actAlpha,
    );
    return dx;
  }

  /** 1ᵀ for the bias update, per row count; dropped with the other buffers on a rebuild. */
  private onesColumn(m: number): FloatArray {
    let o = this.ones.get(m);
    if (!o) {
      o = floatArray(this.dtype, m).fill(1);
      this.ones.set(m, o);
    }
    return o;
  }

  protected override resetBuffers(): void {
    super.resetBuffers();
    this.ones.clear();
  }

  override async backwardAsync(
    b: Backend,
    dy: FloatArray,
    rows: number,
    needDx: boolean,
    lossFused: boolean,
  ): Promise<FloatArray | null> {
    if (!b.denseBackwardAsync || !isAsyncSafe(this.lastX!)) return this.backward(b, dy, rows, needDx, lossFused, null);
    const args = this.backwardArgs(dy, rows, needDx, lossFused);
    await b.denseBackwardAsync(...args);
    return args[8];
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      units: this.units,
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer: serializeInitializer(this.kernelInitializer),
      biasInitializer: serializeInitializer(this.biasInitializer),
      kernelRegularizer: serializeRegularizer(this.kernelRegularizer),
      biasRegularizer: serializeRegularizer(this.biasRegularizer),
      activityRegularizer: null,
      kernelConstraint: null,
      biasConstraint: null,
    };
  }
}

export const denseEntry: LayerEntry = {
  className: 'Dense',
  fromConfig(c: ConfigReader): Dense {
    c.unsupported('activityRegularizer', 'kernelConstraint', 'biasConstraint');
    return new Dense({
      ...c.layerArgs(),
      units: c.int('units', 1, MAX_DIMENSION),
      activation: c.activation('activation'),
      useBias: c.bool('useBias', true),
      kernelInitializer: c.initializer('kernelInitializer', 'glorotUniform'),
      biasInitializer: c.initializer('biasInitializer', 'zeros'),
      kernelRegularizer: c.regularizer('kernelRegularizer'),
      biasRegularizer: c.regularizer('biasRegularizer'),
    });
  },
  // TF.js has no leaky-relu activation string: a leakyRelu Dense is written as a linear Dense + LeakyReLU.
  toFile(layer) {
    const d = layer as Dense;
    const config = d.getConfig();
    if (d.activation !== 'leakyRelu') return [{ className: 'Dense', config }];
    return [
      { className: 'Dense', config: { ...config, activation: 'linear' } },
      { className: 'LeakyReLU', config: { name: `${d.name}_leaky_relu`, trainable: true, alpha: d.actAlpha } },
    ];
  },
};
