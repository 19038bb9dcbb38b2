/**
 * Dense (fully connected) layer: `y = act(x·W + b)`, kernel `[in, out]`, computed by the fused
 * denseForward/denseBackward ops (one gemm plus one pass for bias and activation; on the way back one
 * pass for the activation derivative, then the dW and dX gemms).
 */
import type { Backend, FloatArray } from '../backend/ops';
import { Activation } from '../backend/ops';
import { floatArray, isAsyncSafe } from '../backend/memory';
import type { FoldedSgd, Initializer, Param, Regularizer } from '../training/contracts';
import type { Rng } from '../random';
import { getInitializer, type InitializerIdentifier } from '../training/initializers';
import { getRegularizer, type RegularizerIdentifier } from '../training/regularizers';
import { resolveActivation, type ActivationIdentifier } from './activation-names';
import { allocParam, Layer, type LayerArgs } from './layer';

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
  readonly kind = 'dense';
  readonly units: number;
  readonly activation: string;
  readonly actCode: number;
  readonly actAlpha: number;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;
  readonly kernelRegularizer?: Regularizer;
  readonly biasRegularizer?: Regularizer;
  kernel?: Param;
  bias?: Param;
  private lastX?: FloatArray;
  private lastZ?: FloatArray;
  private lastY?: FloatArray;

  constructor(args: DenseArgs) {
    super(args);
    if (!args || !Number.isInteger(args.units) || args.units < 1) {
      throw new Error(
        `layers.dense(): 'units' must be a positive integer, got ${args?.units}. Example: layers.dense({ units: 10 })`,
      );
    }
    this.units = args.units;
    const act = resolveActivation(args.activation ?? 'linear', 'layers.dense()');
    this.activation = act.name;
    this.actCode = act.code;
    this.actAlpha = act.alpha;
    this.useBias = args.useBias ?? true;
    this.kernelInitializer = getInitializer(args.kernelInitializer ?? 'glorotUniform');
    this.biasInitializer = getInitializer(args.biasInitializer ?? 'zeros');
    if (args.kernelRegularizer) this.kernelRegularizer = getRegularizer(args.kernelRegularizer);
    if (args.biasRegularizer) this.biasRegularizer = getRegularizer(args.biasRegularizer);
  }

  override parameterCount(inputUnits: number): number {
    return inputUnits * this.units + (this.useBias ? this.units : 0);
  }

  protected computeOutputUnits(): number {
    return this.units;
  }

  protected override createWeights(rng: Rng): void {
    this.resetBuffers();
    this.kernel = allocParam(`${this.name}/kernel`, [this.inputUnits, this.units], this.dtype);
    this.kernelInitializer.fill(this.kernel.value, this.kernel.shape, rng);
    this.kernel.regularizer = this.kernelRegularizer;
    if (this.useBias) {
      this.bias = allocParam(`${this.name}/bias`, [this.units], this.dtype);
      this.biasInitializer.fill(this.bias.value, this.bias.shape, rng);
      this.bias.regularizer = this.biasRegularizer;
    }
  }

  override params(): Param[] {
    return this.bias ? [this.kernel!, this.bias] : [this.kernel!];
  }

  /** The pre-activation of the last forward (what fused losses read). */
  get preActivation(): FloatArray {
    return this.lastZ!;
  }

  private forwardArgs(x: FloatArray, rows: number) {
    const linear = this.actCode === Activation.linear;
    const [z, y] = this.buffers(rows, [this.units, linear ? 0 : this.units, this.inputUnits]);
    const out = linear ? z : y;
    this.lastX = x;
    this.lastZ = z;
    this.lastY = out;
    return [
      x,
      this.kernel!.value,
      this.bias ? this.bias.value : null,
      z,
      out,
      rows,
      this.inputUnits,
      this.units,
      this.actCode,
      this.actAlpha,
    ] as const;
  }

  forward(b: Backend, x: FloatArray, rows: number): FloatArray {
    const args = this.forwardArgs(x, rows);
    b.denseForward(...args);
    return args[4];
  }

  override async forwardAsync(b: Backend, x: FloatArray, rows: number): Promise<FloatArray> {
    // An input the caller allocated elsewhere than floatArray() cannot go off-thread: run it here instead.
    if (!b.denseForwardAsync || !isAsyncSafe(x)) return this.forward(b, x, rows);
    const args = this.forwardArgs(x, rows);
    await b.denseForwardAsync(...args);
    return args[4];
  }

  private backwardArgs(dy: FloatArray, rows: number, needDx: boolean, skipActivation: boolean) {
    const dx = needDx
      ? this.buffers(rows, [this.units, this.actCode === Activation.linear ? 0 : this.units, this.inputUnits])[2]
      : null;
    const act = skipActivation ? Activation.linear : this.actCode;
    return [
      this.lastX!,
      this.kernel!.value,
      this.lastZ!,
      this.lastY!,
      dy,
      dy,
      this.kernel!.grad,
      this.bias ? this.bias.grad : null,
      dx,
      rows,
      this.inputUnits,
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
    skipActivation: boolean,
    fold?: FoldedSgd | null,
  ): FloatArray | null {
    const args = this.backwardArgs(dy, rows, needDx, skipActivation);
    if (fold) return this.backwardFolded(b, args, fold);
    b.denseBackward(...args);
    return args[8];
  }

  /**
   * Backward with the SGD update inside the gradient gemms: dz = f'(z)⊙dy in place, dx = dz·Wᵀ with the
   * old W, then W ← keep·W − lr·xᵀ·dz and b ← keep·b − lr·Σ_rows dz (as 1ᵀ·dz), keep = 1 − lr·weightDecay.
   * Same update as denseBackward + sgdStep, without writing dW or making a second pass over W.
   */
  private backwardFolded(b: Backend, args: ReturnType<Dense['backwardArgs']>, fold: FoldedSgd): FloatArray | null {
    const [x, w, z, y, dy, , , , dx, rows, k, n, act, alpha] = args;
    if (act !== Activation.linear) b.activationBackward(act, alpha, z, y, dy, dy, rows, n);
    if (dx) b.gemm(false, true, rows, k, n, 1, dy, w, 0, dx);
    const keep = 1 - fold.lr * fold.weightDecay;
    b.gemm(true, false, k, n, rows, -fold.lr, x, dy, keep, w);
    if (this.bias) b.gemm(false, false, 1, n, rows, -fold.lr, this.onesColumn(rows), dy, keep, this.bias.value);
    return dx;
  }

  /** 1ᵀ for the bias update, per batch size; dropped with the other buffers on a rebuild. */
  private ones = new Map<number, FloatArray>();
  private onesColumn(rows: number): FloatArray {
    let o = this.ones.get(rows);
    if (!o) {
      o = floatArray(this.dtype, rows).fill(1);
      this.ones.set(rows, o);
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
    skipActivation: boolean,
  ): Promise<FloatArray | null> {
    if (!b.denseBackwardAsync || !isAsyncSafe(this.lastX)) return this.backward(b, dy, rows, needDx, skipActivation);
    const args = this.backwardArgs(dy, rows, needDx, skipActivation);
    await b.denseBackwardAsync(...args);
    return args[8];
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      units: this.units,
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer: { className: this.kernelInitializer.className, config: this.kernelInitializer.getConfig() },
      biasInitializer: { className: this.biasInitializer.className, config: this.biasInitializer.getConfig() },
      kernelRegularizer: this.kernelRegularizer
        ? { className: this.kernelRegularizer.className, config: this.kernelRegularizer.getConfig() }
        : null,
      biasRegularizer: this.biasRegularizer
        ? { className: this.biasRegularizer.className, config: this.biasRegularizer.getConfig() }
        : null,
      activityRegularizer: null,
      kernelConstraint: null,
      biasConstraint: null,
    };
  }
}
