/**
 * What SimpleRNN, LSTM and GRU share (TF.js arguments, defaults and config keys): inputs [steps, features],
 * outputs [units] (the last state) or [steps, units] with returnSequences; weights kernel [features, k·units],
 * recurrent_kernel [units, k·units], bias [k·units]; goBackwards; input dropout; masks (padded steps keep
 * the state). Each layer runs its whole sequence in one backend op (forward, and backward through time) over
 * workspaces it owns, one set per batch size; long steps run that op off the main thread.
 *
 * Not supported (an error says so): returnState (a Sequential model has one output), stateful, and
 * recurrentDropout other than 0. `unroll` and `implementation` are accepted and change nothing (the fused op
 * is the fastest form of either).
 */
import type { ActivationName, Backend, FloatArray } from '../backend/ops';
import { isAsyncSafe } from '../backend/memory';
import { RECURRENT_ACTIVATIONS } from '../backend/js/recurrent-activations';
import type { Initializer, Regularizer } from '../training/contracts';
import { getInitializer, type InitializerIdentifier } from '../training/initializers';
import { getRegularizer, type RegularizerIdentifier } from '../training/regularizers';
import type { Rng } from '../random';
import { resolveActivation, type ActivationIdentifier } from './activation-names';
import { MAX_DIMENSION, type ConfigReader } from './config-reader';
import { Layer, type LayerArgs, type WeightSpec } from './layer';
import { serializeInitializer, serializeRegularizer } from './serialize';
import type { Shape } from './shape';
import { preview } from '../quote';

export interface RecurrentArgs extends LayerArgs {
  /** Size of the state (and of each output step). */
  units: number;
  /** Activation of the candidate state (and of the LSTM's cell output); default 'tanh'. */
  activation?: ActivationIdentifier;
  /** Whether to add biases (default true). */
  useBias?: boolean;
  /** Default 'glorotUniform'. */
  kernelInitializer?: InitializerIdentifier;
  /** Default 'orthogonal'. */
  recurrentInitializer?: InitializerIdentifier;
  /** Default 'zeros'. */
  biasInitializer?: InitializerIdentifier;
  kernelRegularizer?: RegularizerIdentifier;
  recurrentRegularizer?: RegularizerIdentifier;
  biasRegularizer?: RegularizerIdentifier;
  /** Output every step ([steps, units]) instead of the last state ([units]); default false. */
  returnSequences?: boolean;
  /** Process the steps from last to first (outputs in that order, as Keras); default false. */
  goBackwards?: boolean;
  /** Fraction of input features dropped while training (one mask per sequence, as Keras); default 0. */
  dropout?: number;
  /** Only 0 (recurrent dropout is not supported). */
  recurrentDropout?: number;
  /** Only false: a Sequential model has one output. */
  returnState?: boolean;
  /** Only false. */
  stateful?: boolean;
  /** Accepted for TF.js compatibility; the fused op is used either way. */
  unroll?: boolean;
  /** Accepted for TF.js compatibility; the fused op is used either way. */
  implementation?: number | null;
}

/** Recurrent layers with gates (LSTM, GRU). */
export interface GatedArgs extends RecurrentArgs {
  /** Activation of the gates: TF.js's default 'hardSigmoid' (Keras' is 'sigmoid'). */
  recurrentActivation?: ActivationIdentifier;
}

/** The buffers of one batch size. */
export interface Workspace {
  xT: FloatArray;
  gates: FloatArray;
  /** LSTM: cells; GRU: rh; SimpleRNN: unused. */
  aux: FloatArray;
  hs: FloatArray;
  /** The output sequence (returnSequences), else null. */
  y: FloatArray | null;
  /** The last state: a view of hs's last step. */
  last: FloatArray;
  dx: FloatArray;
  dh: FloatArray;
  dc: FloatArray;
  scratch: FloatArray;
  xDrop: FloatArray;
  dropMask: FloatArray;
}

/** An activation a recurrent op accepts, by name (TF.js spellings too); the error names the layer. */
export function recurrentActivation(id: ActivationIdentifier, where: string, key: string) {
  const a = resolveActivation(id, where);
  if (!RECURRENT_ACTIVATIONS.includes(a.code)) {
    throw new Error(
      `${where}: '${key}' ${a.name} is not supported in recurrent layers; use one of ` +
        `linear, sigmoid, tanh, relu, elu, selu, softplus, softsign, hardSigmoid`,
    );
  }
  return a;
}

function check(where: string, ok: boolean, message: string): void {
  if (!ok) throw new Error(`${where}: ${message}`);
}

export abstract class Recurrent extends Layer {
  readonly units: number;
  readonly activation: ActivationName;
  readonly actCode: number;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  readonly recurrentInitializer: Initializer;
  readonly biasInitializer: Initializer;
  readonly kernelRegularizer?: Regularizer;
  readonly recurrentRegularizer?: Regularizer;
  readonly biasRegularizer?: Regularizer;
  readonly returnSequences: boolean;
  readonly goBackwards: boolean;
  readonly dropout: number;
  readonly unroll: boolean;
  readonly implementation: number | null;
  /** Gate blocks in the kernels: 1 (SimpleRNN), 3 (GRU), 4 (LSTM). */
  protected abstract readonly blocks: number;
  /** The constructor's arguments, for the copy a Bidirectional layer runs backwards. */
  protected readonly args: RecurrentArgs;
  private readonly spaces = new Map<number, Workspace>();
  private lastX?: FloatArray;
  private lastMask: FloatArray | null = null;
  private dropping = false;

  constructor(args: RecurrentArgs, where: string) {
    super(args, where);
    check(where, !!args && typeof args === 'object', 'expected an options object such as { units: 32 }');
    this.args = { ...args };
    const { units } = args;
    check(
      where,
      Number.isSafeInteger(units) && units >= 1 && units <= MAX_DIMENSION,
      `'units' must be a positive integer, got ${String(units)}. Example: ${where.replace('()', '({ units: 32 })')}`,
    );
    this.units = units;
    const act = recurrentActivation(args.activation ?? 'tanh', where, 'activation');
    this.activation = act.name;
    this.actCode = act.code;
    for (const key of ['useBias', 'returnSequences', 'goBackwards', 'returnState', 'stateful', 'unroll'] as const) {
      const v = args[key];
      check(where, v === undefined || typeof v === 'boolean', `'${key}' must be true or false, got ${preview(v)}`);
    }
    check(where, !args.returnState, `'returnState' is not supported: a Sequential model has one output`);
    check(where, !args.stateful, `'stateful' is not supported (each batch starts from a zero state)`);
    this.useBias = args.useBias ?? true;
    this.returnSequences = args.returnSequences ?? false;
    this.goBackwards = args.goBackwards ?? false;
    this.unroll = args.unroll ?? false;
    const dropout = args.dropout ?? 0;
    check(where, typeof dropout === 'number' && dropout >= 0 && dropout < 1, `'dropout' must be in [0, 1)`);
    this.dropout = dropout;
    check(
      where,
      args.recurrentDropout === undefined || args.recurrentDropout === 0,
      `'recurrentDropout' is not supported (use 'dropout', which drops input features)`,
    );
    const impl = args.implementation ?? null;
    check(
      where,
      impl === null || (Number.isInteger(impl) && impl >= 0 && impl <= 2),
      `'implementation' must be 1 or 2`,
    );
    this.implementation = impl;
    this.kernelInitializer = getInitializer(args.kernelInitializer ?? 'glorotUniform');
    this.recurrentInitializer = getInitializer(args.recurrentInitializer ?? 'orthogonal');
    this.biasInitializer = getInitializer(args.biasInitializer ?? 'zeros');
    if (args.kernelRegularizer) this.kernelRegularizer = getRegularizer(args.kernelRegularizer);
    if (args.recurrentRegularizer) this.recurrentRegularizer = getRegularizer(args.recurrentRegularizer);
    if (args.biasRegularizer) this.biasRegularizer = getRegularizer(args.biasRegularizer);
  }

  /** The same layer processing the other way round (Bidirectional's backward layer), unbuilt. */
  reversedCopy(): Recurrent {
    const Ctor = this.constructor as new (args: RecurrentArgs) => Recurrent;
    return new Ctor({ ...this.args, name: this.name, goBackwards: !this.goBackwards });
  }

  computeOutputShape(inputShape: Shape): Shape {
    if (inputShape.length !== 2) {
      this.badInput(inputShape, 'expected [steps, features] per sample (e.g. inputShape: [50, 32])');
    }
    return this.returnSequences ? [inputShape[0], this.units] : [this.units];
  }

  /** The bias's shape (GRU with resetAfter has two). */
  protected biasShape(): number[] {
    return [this.blocks * this.units];
  }

  /** The initializer that fills the bias (LSTM's unitForgetBias overrides it). */
  protected biasFiller(): Initializer {
    return this.biasInitializer;
  }

  override weightSpecs(inputShape: Shape): WeightSpec[] {
    const k = this.blocks * this.units;
    const specs: WeightSpec[] = [
      {
        name: 'kernel',
        shape: [inputShape[inputShape.length - 1], k],
        trainable: true,
        initializer: this.kernelInitializer,
        regularizer: this.kernelRegularizer,
      },
      {
        name: 'recurrent_kernel',
        shape: [this.units, k],
        trainable: true,
        initializer: this.recurrentInitializer,
        regularizer: this.recurrentRegularizer,
      },
    ];
    if (this.useBias) {
      specs.push({
        name: 'bias',
        shape: this.biasShape(),
        trainable: true,
        initializer: this.biasFiller(),
        regularizer: this.biasRegularizer,
      });
    }
    return specs;
  }

  protected get steps(): number {
    return this.inputShape![0];
  }

  protected get features(): number {
    return this.inputShape![1];
  }

  override macsPerSample(): number {
    if (!this.built) return 0;
    const k = this.blocks * this.units;
    return this.steps * (this.features + this.units) * k;
  }

  /** The workspace (see workspace()): time-major input, gates, states, output, dx, per-step scratch, dropout. */
  override stepBufferValues(inputShape: Shape): number {
    const [T, F] = inputShape;
    const U = this.units;
    const drop = this.dropout > 0 ? T * F + F : 0;
    return T * F + T * this.blocks * U + 2 * T * U + (this.returnSequences ? T * U : 0) + T * F + 5 * U + drop;
  }

  override maskFlow(inputMasked: boolean): boolean {
    return inputMasked && this.returnSequences;
  }

  /**
   * With returnSequences the input's mask, unchanged — also with goBackwards, whose outputs come last step
   * first: TF.js and Keras do so, and a model behaves here as it does there.
   */
  override outputMask(inputMask: FloatArray | null): FloatArray | null {
    return inputMask && this.returnSequences ? inputMask : null;
  }

  protected workspace(rows: number): Workspace {
    let ws = this.spaces.get(rows);
    if (!ws) {
      const T = this.steps,
        F = this.features,
        U = this.units;
      const drop = this.dropout > 0;
      const [xT, gates, aux, hs, y, dx, dh, dc, scratch, xDrop, dropMask] = this.buffers(rows, [
        T * F,
        T * this.blocks * U,
        T * U,
        T * U,
        this.returnSequences ? T * U : 0,
        T * F,
        U,
        U,
        3 * U,
        drop ? T * F : 0,
        drop ? F : 0,
      ]);
      const last = hs.subarray((T - 1) * rows * U, T * rows * U);
      ws = {
        xT,
        gates,
        aux,
        hs,
        y: this.returnSequences ? y : null,
        last,
        dx,
        dh,
        dc,
        scratch,
        xDrop,
        dropMask,
      };
      this.spaces.set(rows, ws);
    }
    return ws;
  }

  protected override resetBuffers(): void {
    super.resetBuffers();
    this.spaces.clear();
  }

  /** Runs the layer's forward op (off the main thread when `offThread`; the promise resolves when done). */
  protected abstract runForward(
    b: Backend,
    x: FloatArray,
    mask: FloatArray | null,
    ws: Workspace,
    rows: number,
    offThread: boolean,
  ): Promise<void> | undefined;

  /** Runs the layer's backward op, writing its weights' gradients and ws.dx (when `needDx`). */
  protected abstract runBackward(
    b: Backend,
    dy: FloatArray,
    mask: FloatArray | null,
    ws: Workspace,
    rows: number,
    needDx: boolean,
    offThread: boolean,
  ): Promise<void> | undefined;

  /** Whether `b` has this layer's off-thread ops. */
  protected abstract hasAsync(b: Backend): boolean;

  /** The input the op sees: x itself, or x with input dropout applied (training). */
  private prepare(x: FloatArray, rows: number, training: boolean, rng: Rng, ws: Workspace): FloatArray {
    this.dropping = training && this.dropout > 0;
    if (!this.dropping) return x;
    const F = this.features,
      T = this.steps;
    const keep = 1 / (1 - this.dropout);
    for (let i = 0; i < rows * F; i++) ws.dropMask[i] = rng.uniform(0, 1) >= this.dropout ? keep : 0;
    for (let r = 0; r < rows; r++) {
      for (let t = 0; t < T; t++) {
        const o = (r * T + t) * F;
        for (let f = 0; f < F; f++) ws.xDrop[o + f] = x[o + f] * ws.dropMask[r * F + f];
      }
    }
    return ws.xDrop;
  }

  private workspaceOutput(ws: Workspace): FloatArray {
    return ws.y ?? ws.last;
  }

  /** The output of the last forward of `rows` rows (its buffer; valid until the next forward). */
  outputOf(rows: number): FloatArray {
    return this.workspaceOutput(this.workspace(rows));
  }

  forward(b: Backend, x: FloatArray, rows: number, training: boolean, rng: Rng, mask?: FloatArray | null): FloatArray {
    const ws = this.workspace(rows);
    const input = this.prepare(x, rows, training, rng, ws);
    this.lastX = input;
    this.lastMask = mask ?? null;
    this.runForward(b, input, this.lastMask, ws, rows, false);
    return this.workspaceOutput(ws);
  }

  override async forwardAsync(
    b: Backend,
    x: FloatArray,
    rows: number,
    training: boolean,
    rng: Rng,
    mask?: FloatArray | null,
  ): Promise<FloatArray> {
    const safe = this.hasAsync(b) && isAsyncSafe(x) && (!mask || isAsyncSafe(mask));
    if (!safe) return this.forward(b, x, rows, training, rng, mask);
    const ws = this.workspace(rows);
    const input = this.prepare(x, rows, training, rng, ws);
    this.lastX = input;
    this.lastMask = mask ?? null;
    await this.runForward(b, input, this.lastMask, ws, rows, true);
    return this.workspaceOutput(ws);
  }

  /** dx *= the dropout mask (the gradient through input dropout). */
  private finishDx(ws: Workspace, rows: number, needDx: boolean): FloatArray | null {
    if (!needDx) return null;
    if (this.dropping) {
      const F = this.features,
        T = this.steps;
      for (let r = 0; r < rows; r++) {
        for (let t = 0; t < T; t++) {
          const o = (r * T + t) * F;
          for (let f = 0; f < F; f++) ws.dx[o + f] *= ws.dropMask[r * F + f];
        }
      }
    }
    return ws.dx;
  }

  backward(b: Backend, dy: FloatArray, rows: number, needDx: boolean): FloatArray | null {
    const ws = this.workspace(rows);
    this.runBackward(b, dy, this.lastMask, ws, rows, needDx, false);
    return this.finishDx(ws, rows, needDx);
  }

  override async backwardAsync(b: Backend, dy: FloatArray, rows: number, needDx: boolean): Promise<FloatArray | null> {
    if (!this.hasAsync(b) || !isAsyncSafe(dy) || !isAsyncSafe(this.lastX!)) return this.backward(b, dy, rows, needDx);
    const ws = this.workspace(rows);
    await this.runBackward(b, dy, this.lastMask, ws, rows, needDx, true);
    return this.finishDx(ws, rows, needDx);
  }

  /** The layer's own config keys come between these two parts, in TF.js order (see the subclasses). */
  protected configHead(): Record<string, unknown> {
    return { ...super.getConfig(), units: this.units, activation: this.activation };
  }

  protected configInitializers(): Record<string, unknown> {
    return {
      useBias: this.useBias,
      kernelInitializer: serializeInitializer(this.kernelInitializer),
      recurrentInitializer: serializeInitializer(this.recurrentInitializer),
      biasInitializer: serializeInitializer(this.biasInitializer),
    };
  }

  protected configRegularizers(): Record<string, unknown> {
    return {
      kernelRegularizer: serializeRegularizer(this.kernelRegularizer),
      recurrentRegularizer: serializeRegularizer(this.recurrentRegularizer),
      biasRegularizer: serializeRegularizer(this.biasRegularizer),
      activityRegularizer: null,
      kernelConstraint: null,
      recurrentConstraint: null,
      biasConstraint: null,
      dropout: this.dropout,
      recurrentDropout: 0,
    };
  }

  protected configTail(): Record<string, unknown> {
    return {
      returnSequences: this.returnSequences,
      returnState: false,
      goBackwards: this.goBackwards,
      stateful: false,
      unroll: this.unroll,
    };
  }
}

/** Reads the arguments every recurrent layer shares from a config (TF.js keys, camelCase). */
export function readRecurrentArgs(c: ConfigReader): RecurrentArgs {
  c.unsupported('activityRegularizer', 'kernelConstraint', 'recurrentConstraint', 'biasConstraint');
  if (c.has('returnState') && c.bool('returnState')) c.fail('returnState', 'is not supported (set it to false)');
  if (c.has('stateful') && c.bool('stateful')) c.fail('stateful', 'is not supported (set it to false)');
  const recurrentDropout = c.num('recurrentDropout', 0);
  if (recurrentDropout !== 0) c.fail('recurrentDropout', 'is not supported (set it to 0)');
  const dropout = c.num('dropout', 0);
  if (!(dropout >= 0 && dropout < 1)) c.fail('dropout', `must be in [0, 1), got ${dropout}`);
  return {
    ...c.layerArgs(),
    units: c.int('units', 1, MAX_DIMENSION),
    activation: c.activation('activation', 'tanh'),
    useBias: c.bool('useBias', true),
    kernelInitializer: c.initializer('kernelInitializer', 'glorotUniform'),
    recurrentInitializer: c.initializer('recurrentInitializer', 'orthogonal'),
    biasInitializer: c.initializer('biasInitializer', 'zeros'),
    kernelRegularizer: c.regularizer('kernelRegularizer'),
    recurrentRegularizer: c.regularizer('recurrentRegularizer'),
    biasRegularizer: c.regularizer('biasRegularizer'),
    dropout,
    returnSequences: c.bool('returnSequences', false),
    goBackwards: c.bool('goBackwards', false),
    unroll: c.bool('unroll', false),
    implementation: c.has('implementation') ? c.int('implementation', 0, 2) : null,
  };
}
