/**
 * What Conv2D, Conv1D, DepthwiseConv2D and Conv2DTranspose share: a convolution over NHWC images computed by the
 * fused conv2dForward / conv2dBackward ops (bias and activation in the same pass), the activation the loss may
 * fuse with, and the off-main-thread variants for long steps. A subclass says how its input shape maps to a 2-D
 * convolution (Conv1D: height 1; DepthwiseConv2D: one group per input channel), its kernel's name and shape, and
 * its config; Conv2DTranspose also runs its own ops (runForward, runBackward) on the same arguments.
 */
import type { ActivationName, Backend, FloatArray } from '../backend/ops';
import { Activation } from '../backend/ops';
import { isAsyncSafe } from '../backend/memory';
import type { Initializer, Regularizer } from '../training/contracts';
import { getInitializer, type InitializerIdentifier } from '../training/initializers';
import { getRegularizer, type RegularizerIdentifier } from '../training/regularizers';
import { resolveActivation, type ActivationIdentifier } from './activation-names';
import { Layer, type LayerArgs, type WeightSpec } from './layer';
import { shapeSize, type Shape } from './shape';
import { serializeInitializer, serializeRegularizer } from './serialize';

export interface ConvArgs extends LayerArgs {
  /** Activation name (`'relu'`, ...); default linear. */
  activation?: ActivationIdentifier;
  /** Whether to add a bias per output channel (default true). */
  useBias?: boolean;
  biasInitializer?: InitializerIdentifier;
  biasRegularizer?: RegularizerIdentifier;
}

/**
 * A convolution as the ops see it, without the batch: [inH, inW, inC, kH, kW, outC, strideH, strideW, padTop,
 * padLeft, dilationH, dilationW, outH, outW, groups].
 */
export type ConvDims = [
  inH: number,
  inW: number,
  inC: number,
  kH: number,
  kW: number,
  outC: number,
  strideH: number,
  strideW: number,
  padTop: number,
  padLeft: number,
  dilationH: number,
  dilationW: number,
  outH: number,
  outW: number,
  groups: number,
];

/** The arguments of conv2dForward and conv2dBackward, which every convolution layer's ops take. */
export type ConvForwardArgs = Readonly<Parameters<Backend['conv2dForward']>>;
export type ConvBackwardArgs = Readonly<Parameters<Backend['conv2dBackward']>>;

const SOFTMAX = Activation.softmax;
const LINEAR = Activation.linear;
const RELU = Activation.relu;

export abstract class ConvLayer extends Layer {
  readonly activation: ActivationName;
  readonly actCode: number;
  readonly actAlpha: number;
  readonly useBias: boolean;
  readonly biasInitializer: Initializer;
  readonly biasRegularizer?: Regularizer;
  private dims?: ConvDims;
  private lastX?: FloatArray;
  private lastZ?: FloatArray;
  private lastY?: FloatArray;

  constructor(args: ConvArgs, where: string) {
    super(args, where);
    const act = resolveActivation(args.activation ?? 'linear', where);
    this.activation = act.name;
    this.actCode = act.code;
    this.actAlpha = act.alpha;
    if (args.useBias !== undefined && typeof args.useBias !== 'boolean') {
      throw new Error(`${where}: 'useBias' must be true or false, got ${String(args.useBias)}`);
    }
    this.useBias = args.useBias ?? true;
    this.biasInitializer = getInitializer(args.biasInitializer ?? 'zeros');
    if (args.biasRegularizer) this.biasRegularizer = getRegularizer(args.biasRegularizer);
  }

  /** The convolution for inputs of `inputShape`; throws (naming the layer and the fix) when it cannot take them. */
  protected abstract convDims(inputShape: Shape): ConvDims;
  /** The per-sample output shape for these dims. */
  protected abstract outputShapeOf(dims: ConvDims, inputShape: Shape): Shape;
  /** The kernel weight: its name ('kernel', 'depthwise_kernel') and TF.js shape. */
  protected abstract kernelSpec(dims: ConvDims): Omit<WeightSpec, 'trainable'>;

  computeOutputShape(inputShape: Shape): Shape {
    return this.outputShapeOf(this.convDims(inputShape), inputShape);
  }

  override weightSpecs(inputShape: Shape): WeightSpec[] {
    const dims = this.convDims(inputShape);
    const specs: WeightSpec[] = [{ ...this.kernelSpec(dims), trainable: true }];
    if (this.useBias) {
      specs.push({
        name: 'bias',
        shape: [dims[5]],
        trainable: true,
        initializer: this.biasInitializer,
        regularizer: this.biasRegularizer,
      });
    }
    return specs;
  }

  protected override onBuilt(): void {
    this.dims = this.convDims(this.inputShape!);
  }

  /** The kernel weight's name within the layer. */
  protected abstract get kernelName(): string;

  /** z, y (unless in place) and dx (see bufferSizes). */
  override stepBufferValues(inputShape: Shape): number {
    const out = shapeSize(this.computeOutputShape(inputShape));
    return out * (this.inPlace ? 1 : 2) + shapeSize(inputShape);
  }

  override macsPerSample(): number {
    if (!this.dims) return 0;
    const [, , inC, kH, kW, outC, , , , , , , outH, outW, groups] = this.dims;
    return outH * outW * outC * kH * kW * (inC / groups);
  }

  override get outputActivation(): ActivationName {
    return this.activation;
  }

  override preActivation(): FloatArray {
    // A relu layer keeps relu(z) only (no loss fuses with relu).
    if (this.actCode === RELU) throw new Error(`${this.describe()} keeps no pre-activation values (relu)`);
    return this.lastZ!;
  }

  /** Whether y is z's buffer: linear, or relu (the op keeps relu(z) only; its derivative reads z > 0 from it). */
  private get inPlace(): boolean {
    return this.actCode === LINEAR || this.actCode === RELU;
  }

  /** z, y (none when in place), dx; a subclass may add its own buffers after these. */
  protected bufferSizes(): number[] {
    const out = this.outputSize;
    return [out, this.inPlace ? 0 : out, this.inputSize];
  }

  /** The op's activation: softmax runs as a separate pass over channels (the fused epilogue is elementwise). */
  private get opAct(): number {
    return this.actCode === SOFTMAX ? LINEAR : this.actCode;
  }

  private forwardArgs(x: FloatArray, rows: number) {
    const [z, y] = this.buffers(rows, this.bufferSizes());
    const out = this.inPlace ? z : y;
    this.lastX = x;
    this.lastZ = z;
    this.lastY = out;
    const w = this.weight(this.kernelName).value;
    const b = this.useBias ? this.weight('bias').value : null;
    // With softmax the op writes z only (y is z for a linear op); softmax then fills y.
    const opOut = this.actCode === SOFTMAX ? z : out;
    return [x, w, b, z, opOut, rows, ...this.dims!, this.opAct, this.actAlpha] as const;
  }

  private softmaxForward(b: Backend, rows: number): void {
    if (this.actCode !== SOFTMAX) return;
    const outC = this.dims![5];
    b.activationForward(SOFTMAX, 0, this.lastZ!, this.lastY!, (rows * this.outputSize) / outC, outC);
  }

  /** Runs the forward op on conv2dForward's arguments (Conv2DTranspose runs its own op on the same ones). */
  protected runForward(b: Backend, a: ConvForwardArgs): void {
    b.conv2dForward(...a);
  }

  /** The forward op off the main thread, or undefined when the backend cannot (see runForward). */
  protected runForwardAsync(b: Backend, a: ConvForwardArgs): Promise<void> | undefined {
    return b.conv2dForwardAsync?.(...a);
  }

  /** Runs the backward op on conv2dBackward's arguments (see runForward). */
  protected runBackward(b: Backend, a: ConvBackwardArgs): void {
    b.conv2dBackward(...a);
  }

  /** Whether the backend can run the backward op off the main thread. */
  protected hasAsyncBackward(b: Backend): boolean {
    return b.conv2dBackwardAsync !== undefined;
  }

  /** The backward op off the main thread (only called when hasAsyncBackward). */
  protected runBackwardAsync(b: Backend, a: ConvBackwardArgs): Promise<void> {
    return b.conv2dBackwardAsync!(...a);
  }

  forward(b: Backend, x: FloatArray, rows: number): FloatArray {
    this.runForward(b, this.forwardArgs(x, rows));
    this.softmaxForward(b, rows);
    return this.lastY!;
  }

  override async forwardAsync(b: Backend, x: FloatArray, rows: number): Promise<FloatArray> {
    // An input the caller allocated elsewhere than floatArray() cannot go off-thread: run it here instead.
    const pending = isAsyncSafe(x) ? this.runForwardAsync(b, this.forwardArgs(x, rows)) : undefined;
    if (!pending) return this.forward(b, x, rows);
    await pending;
    this.softmaxForward(b, rows);
    return this.lastY!;
  }

  private backwardArgs(b: Backend, dy: FloatArray, rows: number, needDx: boolean, lossFused: boolean) {
    const dx = needDx ? this.buffers(rows, this.bufferSizes())[2] : null;
    let act = lossFused ? LINEAR : this.actCode;
    if (act === SOFTMAX) {
      // The softmax Jacobian-vector product in place, then the convolution backward as linear.
      const outC = this.dims![5];
      b.activationBackward(SOFTMAX, 0, this.lastZ!, this.lastY!, dy, dy, (rows * this.outputSize) / outC, outC);
      act = LINEAR;
    }
    const kernel = this.weight(this.kernelName);
    const bias = this.useBias ? this.weight('bias').grad : null;
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
      rows,
      ...this.dims!,
      act,
      this.actAlpha,
    ] as const;
  }

  backward(b: Backend, dy: FloatArray, rows: number, needDx: boolean, lossFused: boolean): FloatArray | null {
    const args = this.backwardArgs(b, dy, rows, needDx, lossFused);
    this.runBackward(b, args);
    return args[8];
  }

  override async backwardAsync(
    b: Backend,
    dy: FloatArray,
    rows: number,
    needDx: boolean,
    lossFused: boolean,
  ): Promise<FloatArray | null> {
    if (!this.hasAsyncBackward(b) || !isAsyncSafe(this.lastX!) || !isAsyncSafe(dy)) {
      return this.backward(b, dy, rows, needDx, lossFused);
    }
    // backwardArgs applies softmax's Jacobian to dy in place: it runs once, on the path that is taken.
    const args = this.backwardArgs(b, dy, rows, needDx, lossFused);
    await this.runBackwardAsync(b, args);
    return args[8];
  }

  /** The config keys every convolution writes after its own (TF.js BaseConv). */
  protected baseConfig(): Record<string, unknown> {
    return {
      activation: this.activation,
      useBias: this.useBias,
      biasInitializer: serializeInitializer(this.biasInitializer),
      biasRegularizer: serializeRegularizer(this.biasRegularizer),
      activityRegularizer: null,
      biasConstraint: null,
    };
  }
}
