/**
 * Your own layers, as in TF.js: subclass `bp.layers.Layer`, create weights with `this.addWeight(...)` in
 * `build(inputShape)`, compute in `call(inputs, kwargs)` with bp.ops, declare `computeOutputShape`, `getConfig` and
 * `static className`; register the class (`bp.registerLayer(MyLayer)`) to save, load and gradcheck models with it.
 * There is no backward to write: `call` is traced once per batch size into a program (autodiff/program.ts) whose
 * backward comes from the gradient table, and the layer's forward and backward run that program: its buffers are
 * planned once, and a training step allocates nothing after warm-up. Shapes given to build and computeOutputShape
 * are per sample (without the batch axis), as everywhere in backprop; `call` sees the whole batch.
 *
 * This class adds no member to the layer contract (layer.ts declares `call` and `addWeight`), so a value typed
 * `bp.layers.Layer` can hold any layer, and `x instanceof bp.layers.Layer` holds for built-in layers too.
 */
import type { Backend, DType, FloatArray } from '../backend/ops';
import { Program } from '../autodiff/program';
import { Tensor, Variable } from '../autodiff/tensor';
import type { FoldedSgd } from '../training/contracts';
import type { WeightSpec } from './layer';
import { Layer, type LayerArgs } from './layer';
import { getInitializer, type InitializerIdentifier } from '../training/initializers';
import { getRegularizer, type RegularizerIdentifier } from '../training/regularizers';
import type { Rng } from '../random';
import { checkShape, formatShape, sameShape, shapeSize, type Shape } from './shape';

/** What a custom layer keeps besides the contract's fields (here, so the class declares no member of its own). */
interface State {
  /** Weights addWeight recorded while the user's build ran: their specs and the holders their variables read. */
  collecting?: { spec: WeightSpec; holder: { value: FloatArray; grad: FloatArray } }[];
  /** The dtype of the build in progress. */
  dtype: DType;
  /** Traced programs by batch size, training flag and trainability (a few: the full batch and the last one). */
  programs: Map<string, Program>;
  /** The program of the last forward, for backward. */
  last?: Program;
  /** The user's build (the subclass's method, wrapped by the instance's own `build`). */
  userBuild: (inputShape: Shape) => void;
  /**
   * The specs of the built weights: asking a built layer for them must not run the user's build again, which
   * would replace the variables it keeps (this.kernel = this.addWeight(...)) with unbound ones.
   */
  builtSpecs?: WeightSpec[];
  /** Each variable's holder with the weight it reads (rebound when a replica shares its primary's values). */
  bound?: { holder: { value: FloatArray; grad: FloatArray }; param: { value: FloatArray; grad: FloatArray } }[];
  /** Cached per-sample costs: multiply-adds and buffer values. */
  cost?: { macs: number; workspace: number };
}

const states = new WeakMap<object, State>();
const EMPTY = new Float32Array(0);
const MAX_PROGRAMS = 4;

function stateOf(layer: object): State {
  const s = states.get(layer);
  if (!s) throw new Error('internal: custom layer state missing');
  return s;
}

/**
 * The base class of your layers (exported as `bp.layers.Layer`).
 * @example
 * class Scale extends bp.layers.Layer {
 *   static className = 'Scale';
 *   build(inputShape) { this.w = this.addWeight('w', [inputShape[inputShape.length - 1]], 'float32', 'ones'); }
 *   computeOutputShape(inputShape) { return inputShape; }
 *   call(x) { return bp.ops.mul(x, this.w); }
 * }
 * bp.registerLayer(Scale);
 */
export abstract class CustomLayer extends Layer {
  /** `static className` of your subclass names it in saved models (TF.js's class_name). */
  static className?: string;

  constructor(args?: LayerArgs) {
    const name = (new.target as unknown as { className?: string }).className;
    super(args, `${name ?? 'Layer'}`);
    // The subclass's build(inputShape) is the user's hook; the model calls build(inputShape, dtype, rng): an own
    // property wraps the hook with the bookkeeping (weights allocated from addWeight's specs, bound to variables).
    const userBuild = this.build as unknown as (inputShape: Shape) => void;
    states.set(this, { dtype: 'float32', programs: new Map(), userBuild });
    Object.defineProperty(this, 'build', {
      value: (inputShape: Shape, dtype?: DType, rng?: Rng) => buildCustom(this, inputShape, dtype, rng),
      writable: true,
      configurable: true,
    });
  }

  /** `x instanceof bp.layers.Layer` holds for every layer (built-in ones too); for subclasses, as usual. */
  static override [Symbol.hasInstance](v: unknown): boolean {
    return this === CustomLayer ? v instanceof Layer : Function.prototype[Symbol.hasInstance].call(this, v);
  }

  /** The subclass's `static className`. */
  get className(): string {
    const name = (this.constructor as { className?: unknown }).className;
    if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(name)) {
      throw new Error(
        `custom layer ${this.constructor.name}: declare its class name, e.g. static className = 'MyLayer' (letters, ` +
          'digits and _), as TF.js layers do',
      );
    }
    return name;
  }

  /** Your hook: create the layer's weights with this.addWeight(...). The default creates none. */
  override build(_inputShape: Shape, _dtype?: DType, _rng?: Rng): void {}

  override addWeight(
    name: string,
    shape: number[],
    _dtype?: DType | null,
    initializer: InitializerIdentifier = 'glorotUniform',
    regularizer?: RegularizerIdentifier | null,
    trainable = true,
  ): Variable {
    const s = stateOf(this);
    const where = `${this.className} '${this.name || '(unnamed)'}' addWeight()`;
    if (!s.collecting) throw new Error(`${where}: create weights in build(inputShape), not elsewhere`);
    if (typeof name !== 'string' || !/^[A-Za-z0-9_][-A-Za-z0-9._]{0,127}$/.test(name)) {
      throw new Error(`${where}: 'name' must match [A-Za-z0-9_][-A-Za-z0-9._]*, got ${JSON.stringify(name)}`);
    }
    if (s.collecting.some((w) => w.spec.name === name)) throw new Error(`${where}: a weight named '${name}' exists`);
    const checked = checkShape(where, 'shape', shape);
    if (typeof trainable !== 'boolean') throw new Error(`${where}: 'trainable' must be true or false`);
    const spec: WeightSpec = {
      name,
      shape: checked,
      trainable,
      initializer: getInitializer(initializer),
      regularizer: regularizer ? getRegularizer(regularizer) : undefined,
    };
    const holder = { value: EMPTY as FloatArray, grad: EMPTY as FloatArray };
    s.collecting.push({ spec, holder });
    const scope = this.weightScope ?? this.name;
    return new Variable(null, checked, s.dtype, `${scope}/${name}`, trainable, holder);
  }

  /** A replica of a shared layer reads its primary's weight values: its variables must read them too. */
  override shareWeightsFrom(primary: Layer): void {
    super.shareWeightsFrom(primary);
    for (const { holder, param } of stateOf(this).bound ?? []) holder.value = param.value;
  }

  /** The weights `build` creates: those your build adds (it runs to find out, without allocating). */
  override weightSpecs(inputShape: Shape): WeightSpec[] {
    const s = stateOf(this);
    if (s.collecting) return s.collecting.map((w) => w.spec);
    if (this.built && s.builtSpecs) return s.builtSpecs;
    return collect(this, inputShape).map((w) => w.spec);
  }

  /** The per-sample output shape; by default traced from `call` on a batch of one. */
  computeOutputShape(inputShape: Shape): Shape {
    const program = programFor(this, 1, false, inputShape, false);
    return program.outputShapes[0].slice(1);
  }

  // (Full parameter lists, so this class's type stays that of every layer: `bp.layers.Layer` holds built-in ones.)
  forward(
    b: Backend,
    x: FloatArray,
    rows: number,
    training: boolean,
    _rng?: Rng,
    _mask?: FloatArray | null,
  ): FloatArray {
    const p = programFor(this, rows, training, this.inputShape!, true);
    stateOf(this).last = p;
    return p.forward(b, [x])[0];
  }

  override async forwardAsync(
    b: Backend,
    x: FloatArray,
    rows: number,
    training: boolean,
    _rng?: Rng,
    _mask?: FloatArray | null,
  ): Promise<FloatArray> {
    const p = programFor(this, rows, training, this.inputShape!, true);
    stateOf(this).last = p;
    return (await p.forwardAsync(b, [x]))[0];
  }

  backward(
    b: Backend,
    dy: FloatArray,
    _rows: number,
    needDx: boolean,
    _lossFused?: boolean,
    _fold?: FoldedSgd | null,
  ): FloatArray | null {
    const p = lastProgram(this);
    return p.backward(b, [dy], needDx)[0];
  }

  override async backwardAsync(
    b: Backend,
    dy: FloatArray,
    _rows: number,
    needDx: boolean,
    _lossFused?: boolean,
  ): Promise<FloatArray | null> {
    const p = lastProgram(this);
    return (await p.backwardAsync(b, [dy], needDx))[0];
  }

  override macsPerSample(): number {
    return this.built ? costOf(this).macs : 0;
  }

  /** The traced program's arena per sample (every value of a training step at batch 1) once built. */
  override stepBufferValues(inputShape: Shape): number {
    if (!this.built) return super.stepBufferValues(inputShape);
    return costOf(this).workspace + shapeSize(this.outputShape!);
  }
}

/** Runs the user's build with addWeight recording (without allocating); returns what it added. */
function collect(layer: CustomLayer, inputShape: Shape, dtype?: DType) {
  const s = stateOf(layer);
  const savedDtype = s.dtype;
  s.collecting = [];
  s.dtype = dtype ?? savedDtype;
  try {
    s.userBuild.call(layer, [...inputShape]);
    return s.collecting;
  } finally {
    s.collecting = undefined;
    if (!dtype) s.dtype = savedDtype;
  }
}

/** The model's build of a custom layer: the user's build, then the weights allocated and bound to its variables. */
function buildCustom(layer: CustomLayer, inputShape: Shape, dtype?: DType, rng?: Rng): void {
  const s = stateOf(layer);
  if (dtype === undefined || rng === undefined) {
    // Called as TF.js code does (build(inputShape) from a subclass): record the weights only.
    collect(layer, inputShape);
    return;
  }
  const added = collect(layer, inputShape, dtype);
  s.programs.clear();
  s.last = undefined;
  s.cost = undefined;
  s.collecting = added;
  try {
    Layer.prototype.build.call(layer, inputShape, dtype, rng);
  } finally {
    s.collecting = undefined;
  }
  const scope = layer.weightScope ?? layer.name;
  s.bound = added.map(({ spec, holder }) => {
    const param = layer.weights().find((w) => w.name === `${scope}/${spec.name}`)!;
    holder.value = param.value;
    holder.grad = param.grad;
    return { holder, param };
  });
  s.builtSpecs = added.map((w) => w.spec);
}

/** The program of `call` for a batch of `rows`, traced on first use. */
function programFor(layer: CustomLayer, rows: number, training: boolean, inputShape: Shape, built: boolean): Program {
  const s = stateOf(layer);
  const key = `${rows}|${training}|${layer.trainable}|${inputShape.join(',')}`;
  let p = s.programs.get(key);
  if (p) return p;
  if (typeof layer.call !== 'function') {
    throw new Error(`${describeLayer(layer)}: a custom layer must implement call(inputs, kwargs) with bp.ops`);
  }
  const who = `${describeLayer(layer)} call()`;
  if (!built && !s.collecting && !layer.built) {
    // computeOutputShape before the model builds the layer: trace with shape-only stand-ins for the weights (a
    // build in progress already made them; a built layer has its real ones).
    collect(layer, inputShape);
  }
  p = new Program(
    (x: Tensor) => {
      const y = layer.call!(x, { training });
      if (!(y instanceof Tensor)) throw new Error(`${who}: must return a tensor (from bp.ops), got ${typeof y}`);
      return y;
    },
    {
      inputs: [{ shape: [rows, ...inputShape], dtype: s.dtype }],
      gradInputs: [training],
      gradParams: training && layer.trainable,
      seed: training ? 'input' : 'none',
      who,
    },
  );
  if (built && layer.outputShape) {
    const want = [rows, ...layer.outputShape];
    if (!sameShape(p.outputShapes[0], want)) {
      throw new Error(
        `${who} returned shape ${formatShape(p.outputShapes[0])} but computeOutputShape says ` +
          `${formatShape(layer.outputShape)} per sample (${formatShape(want)} for ${rows} rows); make them agree`,
      );
    }
  }
  if (!built) return p;
  if (s.programs.size >= MAX_PROGRAMS) s.programs.delete(s.programs.keys().next().value!);
  s.programs.set(key, p);
  return p;
}

function lastProgram(layer: CustomLayer): Program {
  const p = stateOf(layer).last;
  if (!p) throw new Error(`${describeLayer(layer)}: backward before forward`);
  return p;
}

function costOf(layer: CustomLayer): { macs: number; workspace: number } {
  const s = stateOf(layer);
  if (!s.cost) {
    const p = new Program((x: Tensor) => layer.call!(x, { training: true }), {
      inputs: [{ shape: [1, ...layer.inputShape!], dtype: s.dtype }],
      gradInputs: [true],
      gradParams: layer.trainable,
      seed: 'input',
      who: `${describeLayer(layer)} call()`,
    });
    s.cost = { macs: p.stats.macs, workspace: Math.max(0, p.stats.arenaSize - shapeSize(layer.outputShape!)) };
  }
  return s.cost;
}

function describeLayer(layer: CustomLayer): string {
  return `${layer.className} '${layer.name || '(unnamed)'}'`;
}
