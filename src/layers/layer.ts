/**
 * The layer contract (TF.js Layers anatomy over flat, batch-major buffers).
 *
 * A layer maps a per-sample input shape of any rank to a per-sample output shape. The model knows layers
 * only through this class: `build` creates the weights described by `weightSpecs` (checked against the memory
 * limit before anything is allocated), `forward`/`backward` run a batch of `rows` samples through flat typed
 * arrays of rows × size(shape) values, `macsPerSample` says what a sample costs (the model routes steps to a
 * backend, and off the main thread, by it), and `getConfig` is the TF.js config the registry saves and reads.
 * Optional abilities a layer declares, which the model then uses for any layer that has them:
 * - `outputActivation` + `preActivation()`: the activation applied last, so a loss can fuse with it
 *   (softmax/sigmoid + cross-entropy computed from the logits in one stable kernel);
 * - `canFoldSgd`: backward can apply a plain SGD update inside its gradient gemms (no gradient buffers).
 *
 * Buffers belong to the layer and are reused across steps (one set per batch size seen: the full batch and
 * the last partial one), so a training step allocates nothing after warm-up. Buffers handed to async ops
 * live on non-growable SharedArrayBuffers (they cannot be detached or resized while an op runs).
 *
 * Masks (variable-length sequences). A mask says which time steps of each sample are real: a float array of
 * rows × steps values of the model's dtype (0 = padding, anything else = a real step), `steps` being the
 * first axis of the per-sample shape it goes with. Embedding({ maskZero }) and Masking make one. The model
 * passes each layer the mask of its input (`forward`'s `mask`) and asks it for the mask of its output
 * (`outputMask`); a layer that uses the mask keeps it from forward for its backward. Which outputs carry a
 * mask follows from the layers alone (`maskFlow`), and is checked when the model is built: by default a
 * layer cannot take a masked input (an error naming it, e.g. Flatten after Embedding({ maskZero })). Layers
 * that work step by step pass the mask on (Dense, Activation, Dropout, TimeDistributed, LayerNormalization);
 * recurrent layers keep their state over padded steps and pass the mask on only with returnSequences;
 * GlobalAveragePooling1D averages real steps only. When the model's output carries a mask, the loss and
 * the metrics count real steps only (model/masked-loss.ts).
 */
import type { Backend, DType, FloatArray } from '../backend/ops';
import { floatArray } from '../backend/memory';
import type { ActivationName } from '../backend/ops';
import type { FoldedSgd, Initializer, Param, Regularizer } from '../training/contracts';
import type { Rng } from '../random';
import { GraphNode, SymbolicTensor, isSymbolic } from '../autodiff/symbolic';
import { checkShape, formatShape, shapeSize, type Shape } from './shape';

/**
 * Counts changes of any layer's `trainable` flag: a model caches its trainable parameters and its plan (which
 * calls need backward at all) and rebuilds them when this has moved.
 */
let trainableVersion = 0;

/** The current trainable-flag version (see above). @internal */
export function trainableFlagsVersion(): number {
  return trainableVersion;
}

export interface LayerArgs {
  /** Layer name; defaults to `<kind>_<n>` (e.g. `dense_1`), unique within the model. */
  name?: string;
  /** Shape of one input sample (`[784]`, `[28, 28, 1]`); needed on the first layer unless data infers it. */
  inputShape?: number[];
  /** `[null, ...inputShape]`, as Keras writes it. */
  batchInputShape?: (number | null)[];
  /** Same as `inputShape: [inputDim]`. */
  inputDim?: number;
  /** Whether the optimizer updates this layer's weights (default true). */
  trainable?: boolean;
}

/** A weight `build` creates, in TF.js order. */
export interface WeightSpec {
  /** Name within the layer: 'kernel', 'bias', 'gamma', 'moving_mean', ... */
  name: string;
  shape: number[];
  /** Non-trainable weights (moving statistics) are saved and loaded but not updated by the optimizer. */
  trainable: boolean;
  initializer: Initializer;
  regularizer?: Regularizer;
}

/** A training step's SGD update folded into the layer (see `canFoldSgd`). */
export type { FoldedSgd };

export abstract class Layer {
  /** TF.js class name, the registry key ('Dense', 'Flatten', ...). */
  abstract readonly className: string;
  name: string;
  private trainableFlag: boolean;
  /**
   * The calls of this layer in graphs (`layer.apply(...)`), in order: Keras' inbound nodes. A layer applied
   * twice is shared: one set of weights, two calls.
   */
  readonly inboundNodes: GraphNode[] = [];
  /** True for layers taking several inputs (merge layers); they implement the `...Many` methods. */
  get multiInput(): boolean {
    return false;
  }
  /** The per-sample input shape given to the constructor (inputShape / batchInputShape / inputDim). */
  readonly declaredInputShape?: Shape;
  private inShape?: Shape;
  private outShape?: Shape;
  private builtFlag = false;
  protected dtype: DType = 'float32';
  /**
   * Prefix of this layer's weight names (default: its name). A wrapper sets it for the layer it wraps, so
   * weights are named as TF.js names them: `time_distributed/kernel`, `bidirectional/forward_lstm/kernel`.
   */
  weightScope?: string;
  private allWeights: Param[] = [];
  private trainableWeights: Param[] = [];
  private pools = new Map<number, FloatArray[]>();

  constructor(args: LayerArgs | undefined, where: string) {
    const a = args ?? {};
    if (typeof a !== 'object') throw new Error(`${where}: expected an options object, got ${typeof args}`);
    if (a.name !== undefined && (typeof a.name !== 'string' || !/^[A-Za-z0-9][-A-Za-z0-9._/]{0,254}$/.test(a.name))) {
      throw new Error(`${where}: 'name' must match [A-Za-z0-9][-A-Za-z0-9._/]*, got ${JSON.stringify(a.name)}`);
    }
    this.name = a.name ?? '';
    if (a.trainable !== undefined && typeof a.trainable !== 'boolean') {
      throw new Error(`${where}: 'trainable' must be true or false, got ${String(a.trainable)}`);
    }
    this.trainableFlag = a.trainable ?? true;
    const given = [a.inputShape, a.batchInputShape, a.inputDim].filter((v) => v !== undefined).length;
    if (given > 1) throw new Error(`${where}: give only one of 'inputShape', 'batchInputShape' and 'inputDim'`);
    if (a.inputShape !== undefined) this.declaredInputShape = checkShape(where, 'inputShape', a.inputShape);
    else if (a.inputDim !== undefined) this.declaredInputShape = checkShape(where, 'inputDim', [a.inputDim]);
    else if (a.batchInputShape !== undefined) {
      const b = a.batchInputShape;
      if (!Array.isArray(b) || b.length < 2 || (b[0] !== null && typeof b[0] !== 'number')) {
        throw new Error(`${where}: 'batchInputShape' must be [null, ...inputShape], got ${JSON.stringify(b)}`);
      }
      this.declaredInputShape = checkShape(where, 'batchInputShape', b.slice(1));
    }
  }

  /** Whether the layer has its weights (build ran). */
  get built(): boolean {
    return this.builtFlag;
  }
  set built(v: boolean) {
    this.builtFlag = v;
  }

  /** Per-sample input shape, known once built. */
  get inputShape(): Shape | undefined {
    return this.inShape;
  }
  set inputShape(v: Shape | undefined) {
    this.inShape = v;
  }

  /** Per-sample output shape, known once built. */
  get outputShape(): Shape | undefined {
    return this.outShape;
  }
  set outputShape(v: Shape | undefined) {
    this.outShape = v;
  }

  /**
   * The default-name stem: the class name in snake_case as TF.js writes it ('Dense' → 'dense', 'Conv2D' →
   * 'conv2d', 'MaxPooling2D' → 'max_pooling2d', 'LeakyReLU' → 'leaky_re_lu').
   */
  get kind(): string {
    return this.className
      .replace(/(.)([A-Z][a-z0-9]+)/g, '$1_$2')
      .replace(/([a-z])([A-Z])/g, '$1_$2')
      .toLowerCase();
  }

  /**
   * Whether the optimizer updates this layer's weights. Setting it to false freezes the layer: its weights get
   * no gradient and no update, and a model skips backward work that nothing trainable needs (a frozen
   * BatchNormalization also runs in inference mode, as in Keras).
   */
  get trainable(): boolean {
    return this.trainableFlag;
  }
  set trainable(v: boolean) {
    if (typeof v !== 'boolean')
      throw new Error(`${this.describe()}: 'trainable' must be true or false, got ${String(v)}`);
    if (v !== this.trainableFlag) trainableVersion++;
    this.trainableFlag = v;
  }

  /**
   * The per-sample output shape for `inputShape`; throws, naming the layer and the fix, when the layer
   * cannot take that input.
   */
  abstract computeOutputShape(inputShape: Shape): Shape;

  /** The output shape for the per-sample shapes of the inputs of one call (single-input layers take one). */
  computeOutputShapeFor(inputShapes: readonly Shape[]): Shape {
    if (inputShapes.length !== 1) {
      throw new Error(
        `${this.describe()} takes one input, got ${inputShapes.length}; ` +
          'merge them first (bp.layers.concatenate(), add(), ...)',
      );
    }
    return this.computeOutputShape(inputShapes[0]);
  }

  /**
   * Calls the layer on symbolic tensors (from `bp.input()` or other layers' `apply`), as in TF.js and Keras:
   * records the call and returns the symbolic output; weights are created when a model containing the call is
   * built. Applying one layer several times shares it (one set of weights; gradients summed).
   * @example
   * const x = bp.input({ shape: [32] });
   * const h = bp.layers.dense({ units: 16, activation: 'relu' }).apply(x);
   * const y = bp.layers.add().apply([x2, h2]);
   */
  apply(inputs: SymbolicTensor | SymbolicTensor[]): SymbolicTensor {
    const out = this.applyNode(inputs);
    if (out.length !== 1) throw new Error(`${this.describe()}: apply() produced ${out.length} outputs`);
    return out[0];
  }

  /** Records one call on `inputs` and returns its outputs (one per output of the layer). @internal */
  protected applyNode(inputs: SymbolicTensor | SymbolicTensor[]): SymbolicTensor[] {
    const where = `${this.describe()}.apply()`;
    const listCall = Array.isArray(inputs);
    const list = listCall ? inputs : [inputs];
    if (list.length === 0) throw new Error(`${where}: expected a symbolic tensor or a list of them, got []`);
    if (list.length > MAX_FAN_IN) throw new Error(`${where}: at most ${MAX_FAN_IN} inputs, got ${list.length}`);
    for (const [i, t] of list.entries()) {
      if (!isSymbolic(t)) {
        throw new Error(
          `${where}: input ${i} is ${describeValue(t)}, not a symbolic tensor; start from bp.input({ shape }) ` +
            `(for data, build a model with bp.model({ inputs, outputs }) and call predict)`,
        );
      }
    }
    if (!this.multiInput && list.length !== 1) {
      throw new Error(
        `${where}: takes one input, got ${list.length}; merge them first (bp.layers.concatenate(), add(), ...)`,
      );
    }
    const shapes = list.map((t) => t.sampleShape);
    if (!this.multiInput && this.declaredInputShape && !sameShapes(shapes[0], this.declaredInputShape)) {
      throw new Error(
        `${where}: the layer declares inputShape ${formatShape(this.declaredInputShape)} but is applied to ` +
          `${formatShape(shapes[0])}`,
      );
    }
    if (this.built && !this.multiInput && this.inputShape) this.checkSharedShape(shapes[0]);
    const outShape = this.computeOutputShapeFor(shapes);
    const node = new GraphNode(this, list, this.inboundNodes.length, listCall);
    const out = new SymbolicTensor([...outShape], 'float32', node, 0);
    node.outputs.push(out);
    this.inboundNodes.push(node);
    return node.outputs;
  }

  /** A built layer applied again must produce weights of the same shapes (it shares them). */
  private checkSharedShape(shape: Shape): void {
    const mine = this.weightSpecs(this.inputShape!);
    const theirs = this.weightSpecs(shape);
    const same = mine.length === theirs.length && mine.every((w, i) => sameShapes(w.shape, theirs[i].shape));
    if (!same) {
      throw new Error(
        `${this.describe()} was built for inputs ${formatShape(this.inputShape!)}; applied to ` +
          `${formatShape(shape)} it would need weights of other shapes. A shared layer needs inputs with the same ` +
          `last dimension; use a new layer instead`,
      );
    }
  }

  /** The input of the layer's only call (`layer.input` in TF.js); getInputAt(i) when it was applied several times. */
  get input(): SymbolicTensor | SymbolicTensor[] {
    return this.nodeTensors('input', 0, true);
  }

  /** The output of the layer's only call (`layer.output` in TF.js); getOutputAt(i) when applied several times. */
  get output(): SymbolicTensor | SymbolicTensor[] {
    return this.nodeTensors('output', 0, true);
  }

  /** The input(s) of call `nodeIndex`. */
  getInputAt(nodeIndex: number): SymbolicTensor | SymbolicTensor[] {
    return this.nodeTensors('input', nodeIndex, false);
  }

  /** The output(s) of call `nodeIndex`. */
  getOutputAt(nodeIndex: number): SymbolicTensor | SymbolicTensor[] {
    return this.nodeTensors('output', nodeIndex, false);
  }

  private nodeTensors(which: 'input' | 'output', i: number, only: boolean): SymbolicTensor | SymbolicTensor[] {
    if (this.inboundNodes.length === 0) {
      throw new Error(`${this.describe()} has not been applied to anything yet, so it has no ${which}`);
    }
    if (only && this.inboundNodes.length > 1) {
      throw new Error(
        `${this.describe()} has been applied ${this.inboundNodes.length} times, so its ${which} is ambiguous; ` +
          `use get${which === 'input' ? 'Input' : 'Output'}At(nodeIndex)`,
      );
    }
    if (!Number.isInteger(i) || i < 0 || i >= this.inboundNodes.length) {
      throw new Error(`${this.describe()}: no call ${String(i)} (it was applied ${this.inboundNodes.length} times)`);
    }
    const node = this.inboundNodes[i];
    const list = which === 'input' ? node.inputs : node.outputs;
    return list.length === 1 && !(which === 'input' && node.listCall) ? list[0] : [...list];
  }

  /** The weights `build` creates for `inputShape`, in TF.js order, without allocating them. */
  weightSpecs(_inputShape: Shape): WeightSpec[] {
    return [];
  }

  /** Creates the weights (from the seeded RNG) for inputs of `inputShape`. */
  build(inputShape: Shape, dtype: DType, rng: Rng): void {
    const outputShape = this.computeOutputShape(inputShape);
    this.dtype = dtype;
    this.inputShape = [...inputShape];
    this.outputShape = [...outputShape];
    this.resetBuffers();
    this.allWeights = this.weightSpecs(inputShape).map((spec) => {
      const p = allocParam(`${this.scope}/${spec.name}`, spec.shape, dtype, spec.trainable);
      spec.initializer.fill(p.value, p.shape, rng);
      if (spec.regularizer) p.regularizer = spec.regularizer;
      return p;
    });
    this.trainableWeights = this.allWeights.filter((p) => p.trainable !== false);
    this.built = true;
    this.onBuilt();
  }

  /** Hook for a layer to bind its weights to fields after build (e.g. Dense's kernel and bias). */
  protected onBuilt(): void {}

  /**
   * The layer's weight `name` ('kernel'), once built. Found once per build: layers look their weights up on
   * every step, and a search building `${scope}/${name}` each time allocated per call.
   */
  protected weight(name: string): Param {
    const known = this.weightIndex.get(name);
    if (known && known.from === this.allWeights) return known.param;
    const p = this.allWeights.find((w) => w.name === `${this.scope}/${name}`);
    if (!p) throw new Error(`${this.className} '${this.name}': no weight '${name}' (is the layer built?)`);
    this.weightIndex.set(name, { from: this.allWeights, param: p });
    return p;
  }

  /** weight()'s answers, each valid for the weights list it was found in. */
  private readonly weightIndex = new Map<string, { from: Param[]; param: Param }>();

  private get scope(): string {
    return this.weightScope ?? this.name;
  }

  /** Every weight, TF.js order (trainable and non-trainable): what save, load and getWeights see. */
  weights(): Param[] {
    return this.allWeights;
  }

  /** The weights the optimizer updates (none when `trainable` is false). */
  params(): Param[] {
    return this.trainable ? this.trainableWeights : [];
  }

  /**
   * Makes this (built) layer use `primary`'s weight values: the replica a model makes for the second and later
   * calls of a shared layer, which has its own buffers and gradients but no weights of its own. @internal
   */
  shareWeightsFrom(primary: Layer): void {
    const mine = this.weights();
    const theirs = primary.weights();
    if (mine.length !== theirs.length || mine.some((p, i) => p.value.length !== theirs[i].value.length)) {
      throw new Error(`${this.describe()}: cannot share the weights of ${primary.describe()} (other shapes)`);
    }
    mine.forEach((p, i) => {
      p.value = theirs[i].value;
      p.name = theirs[i].name;
    });
    this.onBuilt();
  }

  /** Values per input sample. */
  get inputSize(): number {
    return shapeSize(this.requireShape().inputShape);
  }

  /** Values per output sample. */
  get outputSize(): number {
    return shapeSize(this.requireShape().outputShape);
  }

  private requireShape(): { inputShape: Shape; outputShape: Shape } {
    if (!this.inputShape || !this.outputShape) throw new Error(`layer '${this.name}' is not built yet`);
    return { inputShape: this.inputShape, outputShape: this.outputShape };
  }

  /** Multiply-adds one sample costs in a forward pass (the model routes steps by the sum over layers). */
  macsPerSample(): number {
    return 0;
  }

  /**
   * Values per sample of every buffer the layer allocates for one batch size — what its `buffers(rows, sizes)`
   * calls ask for (output, pre-activation, input gradient, recurrent workspaces, dropout masks), and any other
   * per-row array it keeps (token ids, argmax indices) — for inputs of `inputShape`, whether the layer is
   * built or not. The memory checks sum it over layers and batch sizes before anything is allocated
   * (model/step-memory.ts), so a layer whose buffers differ from the default [output, input gradient] says so
   * here; test/model/step-memory.test.ts compares it with what every layer really allocates.
   */
  stepBufferValues(inputShape: Shape): number {
    return shapeSize(this.computeOutputShape(inputShape)) + shapeSize(inputShape);
  }

  /** stepBufferValues for a call with inputs of `inputShapes` (multi-input layers override it). */
  stepBufferValuesFor(inputShapes: readonly Shape[]): number {
    return this.stepBufferValues(inputShapes[0]);
  }

  /**
   * Whether this layer's output carries a mask, given whether its input does (see the file comment). The
   * default takes no masked input: an Error naming the layer and the fix. Layers that pass masks on or use
   * them override it.
   */
  maskFlow(inputMasked: boolean): boolean {
    if (inputMasked) {
      throw new Error(
        `${this.describe()} cannot take a masked input (the mask of Embedding({ maskZero: true }) or Masking); ` +
          `put a recurrent layer (lstm, gru, simpleRNN) or globalAveragePooling1d before it, or do without the mask`,
      );
    }
    return false;
  }

  /**
   * The mask of the last forward's output, given the mask of its input (null: none): by default the input's
   * mask when the layer passes masks on (see maskFlow). Valid until the layer's next forward.
   */
  outputMask(inputMask: FloatArray | null): FloatArray | null {
    return inputMask && this.maskFlow(true) ? inputMask : null;
  }

  // The multi-input side of the contract (merge layers override these; single-input layers never see them).

  /** maskFlow for a call with several inputs (`masked[i]`: whether input i carries a mask). */
  maskFlowMany(masked: readonly boolean[]): boolean {
    return this.maskFlow(masked[0]);
  }

  /** outputMask for a call with several inputs. */
  outputMaskMany(masks: readonly (FloatArray | null)[]): FloatArray | null {
    return this.outputMask(masks[0]);
  }

  /** The weights build creates for the inputs of one call. */
  weightSpecsFor(inputShapes: readonly Shape[]): WeightSpec[] {
    return this.weightSpecs(inputShapes[0]);
  }

  /** build() for the inputs of one call. */
  buildFor(inputShapes: readonly Shape[], dtype: DType, rng: Rng): void {
    this.build(inputShapes[0], dtype, rng);
  }

  /** Forward for a call with several inputs `xs` (masks per input); merge layers implement it. */
  forwardMany(
    _b: Backend,
    _xs: readonly FloatArray[],
    _rows: number,
    _training: boolean,
    _rng: Rng,
    _masks: readonly (FloatArray | null)[],
  ): FloatArray {
    throw new Error(`${this.describe()} takes one input`);
  }

  /**
   * Backward for a call with several inputs: writes into `dxs[i]` the gradient of input i where `needDx[i]`
   * (null elsewhere). Each returned buffer must be distinct (the engine hands each to another producer, which
   * may overwrite it). `dy` may be overwritten.
   */
  backwardMany(
    _b: Backend,
    _dy: FloatArray,
    _rows: number,
    _needDx: readonly boolean[],
    _dxs: (FloatArray | null)[],
  ): void {
    throw new Error(`${this.describe()} takes one input`);
  }

  /** The activation this layer applies last, which a loss may fuse with; undefined when none. */
  get outputActivation(): ActivationName | undefined {
    return undefined;
  }

  /** The last forward's values before `outputActivation` (valid after forward when outputActivation is set). */
  preActivation(): FloatArray {
    throw new Error(`${this.className} has no fused output activation`);
  }

  /** Whether backward can apply a plain SGD update itself (`fold`), inside its gradient gemms. */
  get canFoldSgd(): boolean {
    return false;
  }

  /**
   * Output for `rows` samples of `x`; returns the layer's own buffer (valid until its next call) or `x`
   * itself for layers that only reinterpret the shape. `training` enables dropout-like behaviour. `mask` is
   * the mask of `x` (null when none; see the file comment).
   */
  abstract forward(
    b: Backend,
    x: FloatArray,
    rows: number,
    training: boolean,
    rng: Rng,
    mask?: FloatArray | null,
  ): FloatArray;

  /**
   * Given dL/d(output) of the last training forward, writes the gradients of the layer's trainable
   * weights and returns dL/d(input) (null when `needDx` is false). `dy` may be overwritten.
   * `lossFused`: dy is already the gradient before `outputActivation` (the loss fused with it).
   * `fold`: apply this SGD update inside backward instead of writing gradients (only when canFoldSgd).
   */
  abstract backward(
    b: Backend,
    dy: FloatArray,
    rows: number,
    needDx: boolean,
    lossFused: boolean,
    fold: FoldedSgd | null,
  ): FloatArray | null;

  /** forward() that may run its heavy part off the main thread (default: the synchronous forward). */
  async forwardAsync(
    b: Backend,
    x: FloatArray,
    rows: number,
    training: boolean,
    rng: Rng,
    mask?: FloatArray | null,
  ): Promise<FloatArray> {
    return this.forward(b, x, rows, training, rng, mask);
  }

  /** backward() that may run its heavy part off the main thread (default: the synchronous backward). */
  async backwardAsync(
    b: Backend,
    dy: FloatArray,
    rows: number,
    needDx: boolean,
    lossFused: boolean,
  ): Promise<FloatArray | null> {
    return this.backward(b, dy, rows, needDx, lossFused, null);
  }

  /**
   * The TF.js config of this layer (camelCase; the saver writes snake_case): `name`, `trainable`, then
   * the layer's own keys. The registry rebuilds an equal layer from it (`fromConfig(getConfig(x))`).
   */
  getConfig(): Record<string, unknown> {
    return this.name ? { name: this.name, trainable: this.trainable } : { trainable: this.trainable };
  }

  /** Buffers of rows × size values each, allocated once per distinct row count. */
  protected buffers(rows: number, sizes: number[]): FloatArray[] {
    let views = this.pools.get(rows);
    if (!views) {
      views = sizes.map((n) => floatArray(this.dtype, rows * n));
      this.pools.set(rows, views);
    }
    return views;
  }

  /** Drops cached buffers (on a rebuild). */
  protected resetBuffers(): void {
    this.pools.clear();
  }

  /** "Dense 'dense_1'" for error messages. */
  describe(): string {
    return `${this.className} '${this.name || '(unnamed)'}'`;
  }

  /** Throws, naming the layer, that it cannot take `inputShape`. */
  protected badInput(inputShape: Shape, why: string): never {
    throw new Error(`${this.describe()}: cannot take inputs of shape ${formatShape(inputShape)}: ${why}`);
  }
}

/** Most inputs one call may take (a merge of this many tensors is already absurd). */
export const MAX_FAN_IN = 1024;

function sameShapes(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (ArrayBuffer.isView(v)) return 'a typed array';
  return typeof v === 'object' ? 'an object' : typeof v;
}

export function allocParam(name: string, shape: number[], dtype: DType, trainable = true): Param {
  const n = shapeSize(shape);
  return {
    name,
    shape: [...shape],
    value: floatArray(dtype, n),
    grad: floatArray(dtype, trainable ? n : 0),
    trainable,
  };
}
