/**
 * The model core. A model is a graph of layer calls between its inputs and outputs, compiled into a plan
 * (plan.ts) that the engine runs: a Sequential model is the chain of its layers (`add`), a functional model the
 * nodes `layer.apply` recorded between `bp.input`s and the outputs (`new Model({ inputs, outputs })`). Weights
 * are created from the seeded RNG in the plan's canonical order; compile sets an optimizer and a loss (and
 * metrics, and a loss weight) per output; inference, evaluation, one-batch training and weights in TF.js order
 * work on both kinds. A model is a layer too: applied inside another model, its calls are inlined there.
 * The epoch loop (fit), saving (io) and the callbacks are built on top of this class and never imported by it.
 */
import type { Backend, DType, FloatArray } from '../backend/ops';
import { Rng } from '../random';
import type { Loss, Optimizer, Param } from '../training/contracts';
import type { LossIdentifier } from '../training/losses';
import type { MetricIdentifier } from '../training/metrics';
import { getOptimizer, type OptimizerIdentifier } from '../optimizers';
import { Layer, trainableFlagsVersion } from '../layers/layer';
import { cloneLayer } from '../layers/registry';
import { InputLayer } from '../layers/input-layer';
import { formatShape, sameShape, shapeSize, type Shape } from '../layers/shape';
import { GraphNode, SymbolicTensor, isSymbolic } from '../autodiff/symbolic';
import { checkModelSize } from '../limits';
import { engineOf } from './engine';
import type { InputLike, TargetLike } from './inputs';
import { checkInputs, checkTargets, type InputsLike, type TargetsLike } from './io-lists';
import { outputSettings, type PerOutput } from './compile-args';
import { compilePlan, GraphBuilder, type FlatGraph, type Plan } from './plan';
import { orderTopology, type Topology } from './topology';
import { assignWeights, copyWeights, type WeightArray, type WeightsLike } from './weight-arrays';
import { formatSummary, type SummaryRow } from './summary';
import { LayerNames } from './layer-names';
import type { Tensor } from './tensor';
import { weightVariable } from '../autodiff/gradients';
import type { Tensor as AutodiffTensor, TensorLike, Variable } from '../autodiff/tensor';
import { applyToTensor, applyOptions } from './model-call';

export type { WeightArray };

export interface ModelArgs {
  /** Layers of a Sequential model, in order. */
  layers?: Layer[];
  /** Inputs of a functional model (from bp.input()). */
  inputs?: SymbolicTensor | SymbolicTensor[];
  /** Outputs of a functional model (from layer.apply()). */
  outputs?: SymbolicTensor | SymbolicTensor[];
  /** Seed for weight initialisation, shuffling and dropout (default: 0, so runs repeat exactly). */
  seed?: number;
  /** Float type of weights and computation (default 'float32'). */
  dtype?: DType;
  name?: string;
  /**
   * A functional model is built (its weights created) when made, unless this is set: the model-file loader first
   * checks what the weights would take. @internal
   */
  deferBuild?: boolean;
}

export interface CompileArgs {
  /** An optimizer name ('sgd', 'adam', ...) or object (bp.optimizers.adam({ learningRate: 1e-3 })). */
  optimizer: OptimizerIdentifier;
  /**
   * A loss name ('meanSquaredError', 'categoricalCrossentropy', ...), a Loss, or a function; for a model with
   * several outputs one for all, or one per output (an array in output order, or an object by output name).
   */
  loss: PerOutput<LossIdentifier>;
  /**
   * Metric names ('accuracy', 'mse', ...) or functions (yTrue, yPred) → per-sample values written with bp.ops
   * (logged under the function's name; not saved): for every output, or per output (array of lists, or by name).
   */
  metrics?: MetricIdentifier[] | MetricIdentifier[][] | Record<string, MetricIdentifier[]>;
  /** How much each output's loss counts in the total (default 1 each): an array in output order or by name. */
  lossWeights?: number[] | Record<string, number>;
}

/** Where training stands; saved with checkpoints so fit can resume exactly. */
export interface TrainingState {
  /** Epochs completed (resume with fit's initialEpoch). */
  epoch: number;
  /** State of stateful callbacks (reduceLROnPlateau, earlyStopping) at the last completed epoch, by key. */
  callbacks: Record<string, Record<string, number>>;
}

const modelCounters = new Map<string, number>();

/** Most layers a model may hold (as the model-file loader). */
export const MAX_MODEL_LAYERS = 10000;

export class Model extends Layer {
  readonly className: string;
  /** The layers, in TF.js order (a functional model's InputLayers included, as in TF.js). */
  readonly layers: Layer[] = [];
  override dtype: DType;
  readonly seed: number;
  /** The RNG behind initialisation, shuffling and dropout; its state is saved with checkpoints. */
  readonly rng: Rng;
  optimizer?: Optimizer;
  /** The compiled loss of each output (undefined for an output trained without one). */
  outputLosses: (Loss | undefined)[] = [];
  /** The weight of each output's loss in the total. */
  lossWeights: number[] = [];
  /** Metric names per output. */
  outputMetrics: MetricIdentifier[][] = [];
  /**
   * Your own JSON-serialisable data saved with the model (in model.json's userDefinedMetadata, which TF.js
   * ignores), e.g. the CLI stores feature names, classes and the input scaler here.
   */
  metadata: Record<string, unknown> = {};
  readonly trainingState: TrainingState = { epoch: 0, callbacks: {} };
  /** Set by callbacks (earlyStopping, terminateOnNaN) to end fit after the current epoch or batch. */
  stopTraining = false;
  /**
   * The name of the custom (function) loss a loaded model was trained with: it cannot be saved, so it must be
   * given again (`loadLayersModel(dir, { loss })` or compile) before training.
   */
  unsavedLoss?: string;
  /** The model's inputs and outputs as symbolic tensors (a Sequential's once it is built). */
  inputs: SymbolicTensor[] = [];
  outputs: SymbolicTensor[] = [];
  /** Per-sample shapes of the inputs and outputs, once known. */
  inputShapes: Shape[] = [];
  outputShapes: Shape[] = [];
  private topology?: Topology;
  private paramCache?: Param[];
  private weightCache?: Param[];
  private cacheVersion = -1;
  private sequentialBuilt = false;
  /** A Sequential whose add() records shapes but creates no weights (see prepareShapes). */
  private deferred = false;
  private cachedPlan?: Plan;
  private planVersion = -1;
  /** Names taken in this model (its layers' and, for default names, those of nested models' layers). */
  private readonly layerNames = new LayerNames();
  /** The layers' own names and the layers, so add() checks a layer in O(1), not by scanning the model. */
  private readonly topNames = new Set<string>();
  private readonly members = new Set<Layer>();

  constructor(args: ModelArgs = {}) {
    super({}, 'model');
    if (!args || typeof args !== 'object') throw new Error(`model(): expected an options object`);
    const functional = args.inputs !== undefined || args.outputs !== undefined;
    const where = functional ? 'model()' : 'sequential()';
    const dtype = args.dtype ?? 'float32';
    if (dtype !== 'float32' && dtype !== 'float64')
      throw new Error(`${where}: 'dtype' must be 'float32' or 'float64', got '${String(dtype)}'`);
    this.dtype = dtype;
    this.seed = args.seed ?? 0;
    if (typeof this.seed !== 'number' || !Number.isSafeInteger(this.seed)) {
      throw new Error(`${where}: 'seed' must be an integer (it is saved with the model), got ${String(args.seed)}`);
    }
    this.rng = new Rng(this.seed);
    if (args.name !== undefined && (typeof args.name !== 'string' || args.name.length > 256)) {
      throw new Error(`${where}: 'name' must be a string of at most 256 characters`);
    }
    this.className = functional ? 'Model' : 'Sequential';
    this.name = args.name ?? defaultModelName(this.kind);
    if (functional) {
      if (args.layers !== undefined) throw new Error(`model(): give either 'layers' (Sequential) or inputs/outputs`);
      this.initFunctional(args.inputs, args.outputs, !args.deferBuild);
      return;
    }
    if (args.layers !== undefined && !Array.isArray(args.layers))
      throw new Error(`sequential(): 'layers' must be an array`);
    this.deferred = args.deferBuild === true;
    // One build for the whole list: add() rebuilds the model (a pass over every layer) after each layer.
    for (const layer of args.layers ?? []) this.append(layer);
    if (this.layers.length > 0) this.buildChain();
    for (let i = 1; i < this.layers.length; i++) checkDeclaredInput(this.layers[i - 1], this.layers[i]);
  }

  /** True for a functional model (bp.model), false for a Sequential. */
  get isFunctional(): boolean {
    return this.topology !== undefined;
  }

  /** Names of the inputs (their InputLayers'), in order. */
  get inputNames(): string[] {
    if (this.inputs.length > 0) return this.inputs.map((t) => t.node.callee.name);
    return [`${this.layers[0]?.name ?? 'input'}_input`];
  }

  /** Names of the outputs (the layers computing them), in order; log keys and per-output settings use them. */
  get outputNames(): string[] {
    if (!this.isFunctional) return [this.layers[this.layers.length - 1]?.name ?? 'output'];
    const seen = new Map<string, number>();
    return this.outputs.map((t) => {
      const base = t.node.callee.name;
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      return n === 0 ? base : `${base}_${n}`;
    });
  }

  // ---- construction ------------------------------------------------------------------------------------

  private initFunctional(inputs: unknown, outputs: unknown, build: boolean): void {
    const ins = toTensorList('model()', 'inputs', inputs);
    const outs = toTensorList('model()', 'outputs', outputs);
    ins.forEach((t, i) => {
      if (!(t.node.callee instanceof InputLayer)) {
        throw new Error(`model(): inputs[${i}] (${t.name}) does not come from bp.input(); a model starts at inputs`);
      }
    });
    if (new Set(ins).size !== ins.length) throw new Error(`model(): 'inputs' lists the same input twice`);
    if (new Set(outs).size !== outs.length) throw new Error(`model(): 'outputs' lists the same tensor twice`);
    try {
      this.topology = orderTopology(ins, outs);
    } catch (e) {
      throw new Error(`model(): ${(e as Error).message}`);
    }
    this.layers.push(...this.topology.layers);
    if (this.layers.length > MAX_MODEL_LAYERS) throw new Error(`model(): more than ${MAX_MODEL_LAYERS} layers`);
    nameLayers(this.layers, nestedLayerNames(this.layers));
    const names = new Set<string>();
    for (const l of this.layers) {
      if (names.has(l.name)) {
        throw new Error(`model(): two layers are named '${l.name}'; layer names must be unique within a model`);
      }
      names.add(l.name);
    }
    this.inputs = ins;
    this.outputs = outs;
    this.inputShapes = ins.map((t) => [...t.sampleShape]);
    this.outputShapes = outs.map((t) => [...t.sampleShape]);
    if (build) this.build();
  }

  /** Appends a layer (Sequential). @example model.add(bp.layers.dense({ units: 10, activation: 'softmax' })) */
  add(layer: Layer): void {
    this.append(layer);
    this.buildChain();
  }

  /** add() without the build: each check is O(1), so adding L layers is O(L). */
  private append(layer: Layer): void {
    engineOf(this).assertNotTraining('model.add()');
    if (this.isFunctional)
      throw new Error(`model.add(): only a Sequential model takes add(); this is a functional model`);
    if (!(layer instanceof Layer)) {
      throw new Error(`model.add(): expected a layer (e.g. bp.layers.dense({ units: 8 })), got ${describe(layer)}`);
    }
    if (layer === this) throw new Error(`model.add(): a model cannot contain itself`);
    if (this.members.has(layer)) throw new Error(`model.add(): layer '${layer.name}' is already in this model`);
    if (layer.built && !(layer instanceof Model)) {
      throw new Error(`model.add(): layer '${layer.name}' belongs to another model; create a new layer`);
    }
    if (this.layers.length >= MAX_MODEL_LAYERS) throw new Error(`model.add(): more than ${MAX_MODEL_LAYERS} layers`);
    if (this.layers.length > 0) checkDeclaredInput(this.layers[this.layers.length - 1], layer);
    if (!layer.name) layer.name = this.layerNames.fresh(layer.kind);
    if (this.topNames.has(layer.name)) {
      throw new Error(`model.add(): a layer named '${layer.name}' already exists; names must be unique`);
    }
    this.layerNames.add(layer.name);
    this.topNames.add(layer.name);
    // A nested model's layers' names are taken too: weights are named by layer.
    if (layer instanceof Model) for (const l of layer.nestedLayers()) this.layerNames.add(l.name);
    this.layers.push(layer);
    this.members.add(layer);
    this.changed();
  }

  /** Builds the chain once its input shape is known (a deferred one only records the shape). */
  private buildChain(): void {
    const first = this.inputShapes[0] ?? this.layers[0].declaredInputShape ?? firstModelInput(this.layers[0]);
    if (first && this.deferred) this.inputShapes = [[...first]];
    else if (first) this.build(first);
  }

  /**
   * Sets a Sequential's input shape before its first layer is added (a file's InputLayer, or the shape a model
   * was built with). @internal
   */
  declareInputShape(shape: Shape): void {
    if (this.isFunctional || this.layers.length > 0) throw new Error('model: the input shape comes before the layers');
    this.inputShapes = [[...shape]];
  }

  /**
   * A deferred Sequential (one read from a file, nested in a functional model) knows its shapes without weights:
   * the chain's output shape, for the outer model to apply it; the outer model's build creates its weights.
   * @internal
   */
  prepareShapes(): void {
    if (!this.deferred || this.inputShapes.length === 0) return;
    let s: Shape = this.inputShapes[0];
    for (const l of this.layers) s = l.computeOutputShapeFor([s]);
    this.outputShapes = [[...s]];
  }

  private changed(): void {
    this.paramCache = undefined;
    this.weightCache = undefined;
    this.cachedPlan = undefined;
    this.sequentialBuilt = false;
    engineOf(this).reset();
  }

  /** A functional model is built when every layer in it is; a Sequential when build() ran since the last add. */
  override get built(): boolean {
    if (this.topology) return this.layers.every((l) => l.built);
    if (this.deferred) return this.outputShapes.length > 0 && this.layers.every((l) => l.built);
    return this.sequentialBuilt && this.layers.length > 0;
  }
  override set built(_v: boolean) {
    // derived (see the getter)
  }

  /** Per-sample input shape (the first input's; declared, or from the first fit's data). */
  override get inputShape(): Shape | undefined {
    return this.inputShapes[0] ?? (this.isFunctional ? undefined : this.layers[0]?.declaredInputShape);
  }
  override set inputShape(_v: Shape | undefined) {
    // Layer.build assigns it; a model's input shapes come from its graph.
  }

  /** Per-sample output shape (the first output's), once built. */
  override get outputShape(): Shape | undefined {
    return this.built ? this.outputShapes[0] : undefined;
  }
  override set outputShape(_v: Shape | undefined) {
    // as inputShape
  }

  /** Values per input sample (the first input's). */
  override get inputSize(): number {
    return shapeSize(this.requireBuilt('model').inputShapes[0]);
  }

  /** Values per output sample (the first output's). */
  override get outputSize(): number {
    return shapeSize(this.requireBuilt('model').outputShapes[0]);
  }

  /**
   * Creates the weights of every layer not yet built, in the plan's order, from the seeded RNG (a Sequential
   * takes its input shape here, or from the first fit's data). The parameter count is checked against the
   * memory limit (bp.setLimits) before anything is allocated.
   */
  override build(inputShape?: Shape | Shape[]): void {
    if (!this.isFunctional) {
      if (this.layers.length === 0) this.requireBuilt('model.build()');
      const shape = (Array.isArray(inputShape?.[0]) ? (inputShape as Shape[])[0] : inputShape) as Shape | undefined;
      const given = shape ?? this.inputShape;
      if (!given) throw new Error(`model.build(): the input shape is unknown; give the first layer an inputShape`);
      if (this.inputShapes.length > 0 && !sameShape(this.inputShapes[0], given)) {
        throw new Error(
          `model: the model was built for inputs ${formatShape(this.inputShapes[0])} but receives ` +
            formatShape(given),
        );
      }
      this.inputShapes = [[...given]];
    }
    const graph = this.flatGraph();
    let parameters = 0;
    const seen = new Set<Layer>();
    for (const c of graph.calls) {
      if (seen.has(c.layer)) continue;
      seen.add(c.layer);
      if (!c.layer.built)
        for (const w of c.layer.weightSpecsFor(c.inputs.map((s) => graph.slotShapes[s])))
          parameters += shapeSize(w.shape);
    }
    checkModelSize('model.build()', parameters, 0, this.dtype === 'float64' ? 8 : 4);
    // Sequence masks: every layer that receives one must be able to take it (an error naming it otherwise).
    const masked = graph.slotShapes.map(() => false);
    for (const c of graph.calls) {
      masked[c.output] = c.layer.multiInput
        ? c.layer.maskFlowMany(c.inputs.map((s) => masked[s]))
        : c.layer.maskFlow(masked[c.inputs[0]]);
    }
    for (const c of graph.calls) {
      if (!c.layer.built)
        c.layer.buildFor(
          c.inputs.map((s) => graph.slotShapes[s]),
          this.dtype,
          this.rng,
        );
    }
    this.outputShapes = graph.outputSlots.map((s) => graph.slotShapes[s]);
    if (!this.isFunctional) this.recordChain();
    this.changed();
    this.sequentialBuilt = true;
    this.deferred = false;
    this.checkWeightNames();
  }

  /** A Sequential records its chain as graph nodes (an InputLayer, then each layer applied): layer.output works. */
  private recordChain(): void {
    if (this.inputs.length > 0 && this.outputs[0]?.node.callee === this.layers[this.layers.length - 1]) return;
    let t: SymbolicTensor;
    if (this.inputs.length === 0) {
      t = new InputLayer({ shape: [...this.inputShapes[0]], name: `${this.layers[0].name}_input` })
        .output as SymbolicTensor;
      this.inputs = [t];
    } else t = this.outputs[0] ?? this.inputs[0];
    const start = this.outputs.length === 0 ? 0 : this.layers.indexOf(this.outputs[0].node.callee as Layer) + 1;
    for (let i = start; i < this.layers.length; i++) {
      const layer = this.layers[i];
      t = layer instanceof Model ? (layer.applyModel([t])[0] as SymbolicTensor) : layer.apply(t);
    }
    this.outputs = [t];
  }

  /** The graph of calls (nested models inlined), slots by shape. */
  flatGraph(): FlatGraph {
    const b = new GraphBuilder();
    const inputSlots = this.inputShapes.map((s) => b.addSlot(s));
    const outputSlots = this.expandInto(b, inputSlots);
    return { slotShapes: b.slotShapes, inputSlots, calls: b.calls, outputSlots };
  }

  /** Adds this model's calls to `b`, reading `inputSlots`; returns its output slots. @internal */
  expandInto(b: GraphBuilder, inputSlots: number[]): number[] {
    if (!this.topology) {
      let s = inputSlots[0];
      for (const layer of this.layers) s = layer instanceof Model ? layer.expandInto(b, [s])[0] : b.call(layer, [s]);
      return [s];
    }
    const slotOf = new Map<SymbolicTensor, number>();
    this.inputs.forEach((t, i) => slotOf.set(t, inputSlots[i]));
    for (const node of this.topology.nodes) {
      if (node.inputs.length === 0) continue; // an InputLayer: its tensor is a model input
      const ins = node.inputs.map((t) => slotOf.get(t)!);
      const callee = node.callee as Layer;
      const outs = callee instanceof Model ? callee.expandInto(b, ins) : [b.call(callee, ins)];
      node.outputs.forEach((t, i) => slotOf.set(t, outs[i]));
    }
    return this.outputs.map((t) => slotOf.get(t)!);
  }

  /**
   * Every layer inside this model at any depth: its own layers and, for each nested model among them, that
   * model's layers in turn (the nested model itself included). What a model file lists, and the names the
   * model's default layer names must avoid (weights are named by layer). @internal
   */
  *nestedLayers(): Generator<Layer, void, undefined> {
    const stack: Model[] = [this];
    while (stack.length > 0) {
      for (const l of stack.pop()!.layers) {
        yield l;
        if (l instanceof Model) stack.push(l);
      }
    }
  }

  /** The graph nodes of a functional model in execution order (empty for a Sequential). @internal */
  graphNodes(): readonly GraphNode[] {
    return this.topology?.nodes ?? [];
  }

  /** The model's plan (compiled once per change of layers, trainable flags or losses). @internal */
  plan(): Plan {
    const version = trainableFlagsVersion();
    if (this.cachedPlan && this.planVersion === version) return this.cachedPlan;
    this.requireBuilt('model');
    const losses = this.outputShapes.map((_, o) => this.outputLosses[o]);
    this.cachedPlan = compilePlan(this.flatGraph(), losses, (layer, shapes) => {
      const replica = cloneLayer(layer);
      replica.name = layer.name;
      // A replica's own initial values are never used (it reads the primary's): a throwaway RNG keeps the
      // model's stream untouched.
      replica.buildFor(shapes, this.dtype, new Rng(0));
      replica.shareWeightsFrom(layer);
      return replica;
    });
    this.planVersion = version;
    return this.cachedPlan;
  }

  /**
   * The weights building would create, in weights() order and named as they will be, without allocating
   * anything (a model file's are checked against the manifest and the size cap first). @internal
   */
  plannedWeights(): PlannedWeight[] {
    const g = this.flatGraph();
    const firstCall = new Map<Layer, Shape[]>();
    for (const c of g.calls)
      if (!firstCall.has(c.layer))
        firstCall.set(
          c.layer,
          c.inputs.map((s) => g.slotShapes[s]),
        );
    const out: PlannedWeight[] = [];
    const walk = (m: Model, scopes: string[]): void => {
      for (const l of m.layers) {
        if (l instanceof Model) walk(l, [...scopes, l.name]);
        else if (l.built) for (const p of l.weights()) out.push({ name: p.name, shape: [...p.shape], scopes });
        else {
          const shapes = firstCall.get(l);
          if (!shapes) continue;
          for (const w of l.weightSpecsFor(shapes))
            out.push({ name: `${l.weightScope ?? l.name}/${w.name}`, shape: w.shape, scopes });
        }
      }
    };
    walk(this, []);
    return out;
  }

  /** Weight names must be unique: optimizer state and files address weights by name. */
  private checkWeightNames(): void {
    const seen = new Set<string>();
    for (const p of this.weights()) {
      if (seen.has(p.name)) {
        throw new Error(
          `model: two weights are named '${p.name}' (two layers share a name across nested models); rename one layer`,
        );
      }
      seen.add(p.name);
    }
  }

  // ---- compile and parameters --------------------------------------------------------------------------

  /**
   * Sets the optimizer and, per output, the loss, metrics and loss weight.
   * @example model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] })
   * @example
   * model.compile({ optimizer: 'adam', loss: { cls: 'sparseCategoricalCrossentropy', price: 'mse' },
   *                 lossWeights: { cls: 1, price: 0.3 }, metrics: { cls: ['accuracy'] } });
   */
  compile(args: CompileArgs): void {
    engineOf(this).assertNotTraining('compile()');
    if (!args || typeof args !== 'object') throw new Error(`compile(): expected { optimizer, loss, metrics? }`);
    for (const key of Object.keys(args)) {
      if (!COMPILE_KEYS.includes(key)) {
        throw new Error(`compile(): unknown option '${key.slice(0, 64)}'; options are: ${COMPILE_KEYS.join(', ')}`);
      }
    }
    if (args.optimizer === undefined)
      throw new Error(
        `compile(): 'optimizer' is required, e.g. compile({ optimizer: 'adam', loss: 'meanSquaredError' })`,
      );
    if (args.loss === undefined)
      throw new Error(`compile(): 'loss' is required, e.g. compile({ optimizer: 'adam', loss: 'meanSquaredError' })`);
    const optimizer = getOptimizer(args.optimizer);
    const settings = outputSettings(this.outputNames, args.loss, args.metrics, args.lossWeights);
    this.optimizer = optimizer;
    this.outputLosses = settings.losses;
    this.outputMetrics = settings.metrics;
    this.lossWeights = settings.weights;
    this.unsavedLoss = undefined;
    this.cachedPlan = undefined;
    engineOf(this).reset();
  }

  /** The loss of a single-output model (the first output's). */
  get loss(): Loss | undefined {
    return this.outputLosses[0];
  }

  /** The metric names of a single-output model (the first output's). */
  get metricNames(): MetricIdentifier[] {
    return this.outputMetrics[0] ?? [];
  }

  /** Log-key prefix per output: '' for one output, `<name>_` for several. @internal */
  get outputPrefixes(): string[] {
    const names = this.outputNames;
    return names.length === 1 ? [''] : names.map((n) => `${n}_`);
  }

  /** Trainable parameters in TF.js order (cached: the training step reads this every batch). */
  override params(): Param[] {
    this.refreshCaches();
    if (!this.paramCache) this.paramCache = this.trainable ? this.uniqueLayers().flatMap((l) => l.params()) : [];
    return this.paramCache;
  }

  /**
   * The trainable weights as variables (TF.js's model.trainableWeights), for custom training loops: their values
   * and gradient arrays are the weights', so optimizer.applyGradients updates the model.
   */
  get trainableWeights(): Variable[] {
    return this.params().map((p) => weightVariable(p, this.dtype));
  }

  /** Every weight (trainable and not), TF.js order: what save, load, getWeights and setWeights see. */
  override weights(): Param[] {
    this.refreshCaches();
    if (!this.weightCache) this.weightCache = this.uniqueLayers().flatMap((l) => l.weights());
    return this.weightCache;
  }

  private uniqueLayers(): Layer[] {
    return this.layers.filter((l) => l.built);
  }

  private refreshCaches(): void {
    const v = trainableFlagsVersion();
    if (v !== this.cacheVersion) {
      this.paramCache = undefined;
      this.weightCache = undefined;
      this.cacheVersion = v;
    }
  }

  /** Freezing a model freezes every layer in it (as Keras); unfreezing unfreezes them all. */
  override get trainable(): boolean {
    return super.trainable;
  }
  override set trainable(v: boolean) {
    super.trainable = v;
    for (const l of this.layers) l.trainable = v;
  }

  /** Throws unless the model has layers and weights; returns the model. @internal */
  requireBuilt(method: string): this {
    if (this.layers.length === 0)
      throw new Error(
        `${method}: the model has no layers; add some with model.add(bp.layers.dense({ units, inputShape }))`,
      );
    if (!this.built)
      throw new Error(`${method}: the model is not built yet; give the first layer an inputShape, or call fit() first`);
    return this;
  }

  /** Throws unless the input and output shapes are known (a functional model's always are). @internal */
  requireShapes(method: string): this {
    if (this.isFunctional) return this;
    if (this.deferred && this.outputShapes.length > 0) return this;
    return this.requireBuilt(method);
  }

  /** Throws unless compiled. @internal */
  requireCompiled(method: string): this {
    if (this.outputLosses.length === 0 && this.unsavedLoss !== undefined) {
      throw new Error(
        `${method}: this model was saved after training with the custom loss '${this.unsavedLoss}', which cannot be ` +
          `saved; give it again: bp.loadLayersModel(dir, { loss: ${this.unsavedLoss} }) (keeps the optimizer state) ` +
          `or model.compile({ optimizer, loss })`,
      );
    }
    if (!this.optimizer || this.outputLosses.length === 0) {
      throw new Error(
        `${method}: the model must be compiled first: model.compile({ optimizer: 'adam', loss: 'meanSquaredError' })`,
      );
    }
    return this;
  }

  /** Regularisation penalty of the current weights (what the loss adds), without touching gradients. @internal */
  regularizationPenalty(): number {
    let s = 0;
    for (const p of this.params()) {
      if (!p.regularizer) continue;
      const { l1, l2 } = p.regularizer;
      let a = 0,
        q = 0;
      for (let i = 0; i < p.value.length; i++) {
        a += Math.abs(p.value[i]);
        q += p.value[i] * p.value[i];
      }
      s += l1 * a + l2 * q;
    }
    return s;
  }

  // ---- data in, data out -------------------------------------------------------------------------------

  /** Checked inputs for `method` (one per model input), building a Sequential from their shape if needed. @internal */
  checkedInputs(method: string, x: InputsLike) {
    const shapes = this.built ? this.inputShapes : [this.inputShape];
    const inputs = checkInputs(method, x, this.inputNames, shapes, this.dtype, this.integralInputs());
    if (!this.built) this.build(inputs[0].shape);
    return inputs;
  }

  /** Which inputs are int32 (their data must be integral). */
  private integralInputs(): boolean[] {
    return this.inputs.map((t) => t.dtype === 'int32');
  }

  /** Checked targets for `rows` samples (one per output; undefined for outputs without a loss). @internal */
  checkedTargets(method: string, y: TargetsLike, rows: number) {
    const sparse = this.outputShapes.map((_, o) => this.outputLosses[o]?.sparseTargets);
    return checkTargets(method, y, rows, this.outputNames, this.outputShapes, sparse, this.dtype);
  }

  /**
   * Trains on one batch and returns its loss. A non-finite loss is an error and leaves the weights unchanged.
   * @example const loss = model.trainOnBatch([[0, 1]], [[1]]);
   */
  trainOnBatch(x: InputsLike, y: TargetsLike): number {
    const engine = engineOf(this);
    engine.assertNotTraining('trainOnBatch()');
    engine.assertIdle('trainOnBatch()');
    this.requireCompiled('trainOnBatch()');
    const xs = this.checkedInputs('trainOnBatch()', x);
    const rows = xs[0].rows;
    const ts = this.checkedTargets('trainOnBatch()', y, rows);
    engine.checkBatchMemory('trainOnBatch()', rows);
    const loss =
      xs.length === 1 && ts.length === 1
        ? engine.trainStep(engine.backendFor(rows), xs[0].data, ts[0]!, rows)
        : engine.trainStep(
            engine.backendFor(rows),
            xs.map((i) => i.data),
            ts.map(orEmpty),
            rows,
          );
    if (!Number.isFinite(loss)) {
      throw new Error(
        `trainOnBatch(): the loss is ${loss}; the weights were not updated (check the data and learning rate)`,
      );
    }
    return loss;
  }

  /**
   * Runs the model on inputs (inference mode: dropout off). Returns `[rows, ...outputShape]`, or for a model
   * with several outputs an array of them in the order of `outputs`.
   * @example const probs = model.predict([[0, 1], [1, 1]]); // { data, shape: [2, units], dtype }
   * @example const [cls, price] = model.predict({ features: X, tokens: T });
   */
  predict(x: InputsLike, args: { batchSize?: number } = {}): Tensor & Tensor[] {
    const engine = engineOf(this);
    engine.assertIdle('predict()');
    this.requireBuilt('predict()');
    const xs = checkInputs('predict()', x, this.inputNames, this.inputShapes, this.dtype, this.integralInputs());
    const rows = xs[0].rows;
    const batchSize = checkBatchSize('predict()', options('predict()', args).batchSize ?? 256);
    engine.checkBatchMemory('predict()', Math.max(1, Math.min(batchSize, rows)));
    const inSizes = this.inputShapes.map(shapeSize);
    const outSizes = this.outputShapes.map(shapeSize);
    const outs = outSizes.map((n) =>
      this.dtype === 'float64' ? new Float64Array(rows * n) : new Float32Array(rows * n),
    );
    const b = engine.backendFor(batchSize);
    const views: FloatArray[] = xs.map((i) => i.data);
    for (let start = 0; start < rows; start += batchSize) {
      const n = Math.min(batchSize, rows - start);
      for (let i = 0; i < xs.length; i++) views[i] = xs[i].data.subarray(start * inSizes[i], (start + n) * inSizes[i]);
      engine.forward(b, views, n, false);
      outs.forEach((out, o) => out.set(engine.outputValue(o).subarray(0, n * outSizes[o]), start * outSizes[o]));
    }
    const tensors = outs.map((data, o) => ({ data, shape: [rows, ...this.outputShapes[o]], dtype: this.dtype }));
    return (tensors.length === 1 ? tensors[0] : tensors) as Tensor & Tensor[];
  }

  /**
   * Loss and metrics on labelled data (inference mode); with several outputs also `<output>_loss` and
   * `<output>_<metric>`.
   * @example model.evaluate(xTest, yTest) // { loss: 0.08, accuracy: 0.97 }
   */
  evaluate(x: InputsLike, y: TargetsLike, args: { batchSize?: number } = {}): Record<string, number> {
    const engine = engineOf(this);
    engine.assertIdle('evaluate()');
    this.requireCompiled('evaluate()');
    this.requireBuilt('evaluate()');
    const xs = checkInputs('evaluate()', x, this.inputNames, this.inputShapes, this.dtype, this.integralInputs());
    const ts = this.checkedTargets('evaluate()', y, xs[0].rows);
    const batchSize = checkBatchSize('evaluate()', options('evaluate()', args).batchSize ?? 256);
    engine.checkBatchMemory('evaluate()', Math.max(1, Math.min(batchSize, xs[0].rows)));
    return engine.evaluate(
      xs.map((i) => i.data),
      xs[0].rows,
      ts.map(orEmpty),
      batchSize,
    );
  }

  /**
   * Copies of the weights, TF.js order: per layer, e.g. kernel [in, out] then bias [units].
   * @example const [kernel, bias] = model.getWeights();
   */
  getWeights(): WeightArray[] {
    engineOf(this).assertIdle('getWeights()');
    this.requireBuilt('getWeights()');
    return copyWeights(this.weights(), this.dtype);
  }

  /**
   * Replaces the weights (same order and shapes as getWeights; arrays, tensor-like objects or nested arrays).
   * All are checked before any is assigned.
   */
  setWeights(weights: WeightsLike): void {
    engineOf(this).assertIdle('setWeights()');
    this.requireBuilt('setWeights()');
    assignWeights(this.weights(), weights);
  }

  /** The layer named `name` (or at `index` in `layers`). @example model.getLayer('dense_1') */
  getLayer(name: string | number): Layer {
    if (typeof name === 'number') {
      const l = Number.isInteger(name) ? this.layers[name] : undefined;
      if (!l) throw new Error(`getLayer(): no layer at index ${name}; the model has ${this.layers.length}`);
      return l;
    }
    const l = this.layers.find((x) => x.name === name);
    if (!l) {
      throw new Error(
        `getLayer(): no layer named '${String(name).slice(0, 64)}'; layers: ` +
          this.layers
            .slice(0, 20)
            .map((x) => x.name)
            .join(', ') +
          (this.layers.length > 20 ? ', ...' : ''),
      );
    }
    return l;
  }

  /**
   * Prints (and returns) a Keras-like table of layers, output shapes, parameter counts and, for a functional
   * model, what each layer is connected to.
   * @example model.summary();
   */
  summary(print: (line: string) => void = console.log): string {
    const rows: SummaryRow[] = this.layers.map((l) => ({
      name: l.name,
      className: l.className,
      outputShape: l instanceof Model ? (l.built ? l.outputShapes[0] : undefined) : (l.outputShape ?? inputShapeOf(l)),
      trainable: l.built ? l.params().reduce((s, p) => s + p.value.length, 0) : 0,
      total: l.built ? l.weights().reduce((s, p) => s + p.value.length, 0) : 0,
      connectedTo: this.isFunctional ? connections(l, this) : undefined,
    }));
    const text = formatSummary(this.name, this.dtype, rows);
    print(text);
    return text;
  }

  // ---- a model as a layer inside another -----------------------------------------------------------------

  override computeOutputShape(inputShape: Shape): Shape {
    return this.computeOutputShapeFor([inputShape]);
  }

  override computeOutputShapeFor(inputShapes: readonly Shape[]): Shape {
    this.requireShapes(`model '${this.name}'`);
    this.checkNestedInputs(inputShapes);
    if (this.outputShapes.length !== 1) {
      throw new Error(`model '${this.name}' has ${this.outputShapes.length} outputs; apply it with applyModel()`);
    }
    return this.outputShapes[0];
  }

  private checkNestedInputs(shapes: readonly Shape[]): void {
    if (shapes.length !== this.inputShapes.length) {
      throw new Error(`model '${this.name}' takes ${this.inputShapes.length} inputs, got ${shapes.length}`);
    }
    shapes.forEach((s, i) => {
      if (!sameShape(s, this.inputShapes[i])) {
        throw new Error(
          `model '${this.name}': input ${i} has samples of shape ${formatShape(s)} but the model takes ` +
            formatShape(this.inputShapes[i]),
        );
      }
    });
  }

  override get multiInput(): boolean {
    return this.inputShapes.length > 1;
  }

  /**
   * Applies this model inside another graph (a nested model), returning one symbolic tensor per output. For a
   * single-output model, `apply(x)` does the same and returns the tensor itself.
   * @example const [a, b] = twoHeads.applyModel(x);
   */
  applyModel(inputs: SymbolicTensor | SymbolicTensor[]): SymbolicTensor[] {
    this.requireShapes(`model '${this.name}'.apply()`);
    const list = Array.isArray(inputs) ? inputs : [inputs];
    list.forEach((t, i) => {
      if (!isSymbolic(t)) throw new Error(`model '${this.name}'.apply(): input ${i} is not a symbolic tensor`);
    });
    this.checkNestedInputs(list.map((t) => t.sampleShape));
    const node = new GraphNode(this, list, this.inboundNodes.length, Array.isArray(inputs));
    this.outputShapes.forEach((s, i) => node.outputs.push(new SymbolicTensor([...s], 'float32', node, i)));
    this.inboundNodes.push(node);
    return node.outputs;
  }

  /**
   * On symbolic tensors: applies this model inside another graph (as applyModel, for a single output).
   *
   * On a concrete tensor ([batch, ...inputShape]; Sequential models): runs the model as one differentiable step of
   * a custom training loop (TF.js's model.apply). Under bp.variableGrads or optimizer.minimize its gradient flows to
   * the input and to model.trainableWeights through the layers' own backward; `training: true` runs dropout and the
   * like as in fit. Take the gradient before running the model again: the layers keep one call's activations.
   * @example
   * const gLoss = () => bp.ops.mean(bp.ops.softplus(bp.ops.neg(discriminator.apply(generator.apply(noise)))));
   * optimizer.minimize(gLoss, false, generator.trainableWeights);
   */
  override apply(inputs: SymbolicTensor | SymbolicTensor[]): SymbolicTensor;
  override apply(x: TensorLike, args?: { training?: boolean }): AutodiffTensor;
  override apply(
    inputs: SymbolicTensor | SymbolicTensor[] | TensorLike,
    args?: { training?: boolean },
  ): SymbolicTensor | AutodiffTensor {
    const symbolic = isSymbolic(inputs) || (Array.isArray(inputs) && inputs.length > 0 && inputs.every(isSymbolic));
    if (!symbolic) {
      this.requireBuilt('model.apply()');
      return applyToTensor(this, engineOf(this), inputs as TensorLike, applyOptions(args).training);
    }
    const outs = this.applyModel(inputs as SymbolicTensor | SymbolicTensor[]);
    if (outs.length !== 1) {
      throw new Error(`model '${this.name}' has ${outs.length} outputs; use applyModel(), which returns them all`);
    }
    return outs[0];
  }

  override weightSpecsFor(): [] {
    return [];
  }

  /** Built as part of the outer model: its layers are the outer plan's calls (see expandInto). */
  override buildFor(): void {
    if (!this.built) this.requireBuilt(`model '${this.name}'`);
  }

  /** A nested model's calls are inlined into the outer plan: it never runs as one layer. */
  forward(): FloatArray {
    throw new Error(`model '${this.name}' runs inside another model only as part of that model's plan`);
  }

  backward(): FloatArray | null {
    throw new Error(`model '${this.name}' runs inside another model only as part of that model's plan`);
  }

  override getConfig(): Record<string, unknown> {
    return { name: this.name, trainable: this.trainable };
  }
}

const COMPILE_KEYS = ['optimizer', 'loss', 'metrics', 'lossWeights'];

/** A weight a model will create: its name, shape, and the names of the nested models holding it (outermost first). */
export interface PlannedWeight {
  name: string;
  shape: number[];
  scopes: string[];
}

function orEmpty(t: Float32Array | Float64Array | Int32Array | undefined): Float32Array | Float64Array | Int32Array {
  return t ?? EMPTY;
}
const EMPTY = new Float32Array(0);

function defaultModelName(kind: string): string {
  const n = (modelCounters.get(kind) ?? 0) + 1;
  modelCounters.set(kind, n);
  return `${kind}_${n}`;
}

function toTensorList(where: string, what: string, v: unknown): SymbolicTensor[] {
  const list = Array.isArray(v) ? v : [v];
  if (list.length === 0) throw new Error(`${where}: '${what}' must not be empty`);
  list.forEach((t, i) => {
    if (!isSymbolic(t)) {
      throw new Error(
        `${where}: '${what}'${Array.isArray(v) ? `[${i}]` : ''} must be a symbolic tensor (from bp.input() or ` +
          `layer.apply()), got ${describe(t)}`,
      );
    }
  });
  return list as SymbolicTensor[];
}

/** The input shape of a model placed first in a Sequential. */
function firstModelInput(layer: Layer): Shape | undefined {
  return layer instanceof Model && layer.built ? layer.inputShapes[0] : undefined;
}

function inputShapeOf(l: Layer): Shape | undefined {
  return l instanceof InputLayer ? l.sampleShape : undefined;
}

/** "dense_1[0][0], input_2[0][0]": the inputs of each call of `l` within `model`. */
function connections(l: Layer, model: Model): string {
  const inModel = new Set(model.layers);
  return l.inboundNodes
    .filter((n) => n.inputs.every((t) => inModel.has(t.node.callee as Layer)))
    .flatMap((n) => n.inputs.map((t) => `${t.node.callee.name}[${t.node.index}][${t.index}]`))
    .join(', ');
}

/** Refuses a layer whose declared input shape is not what the (built) previous layer outputs. */
function checkDeclaredInput(prev: Layer, layer: Layer): void {
  if (layer.declaredInputShape && prev.outputShape && !sameShape(prev.outputShape, layer.declaredInputShape)) {
    throw new Error(
      `model.add(): layer declares inputShape ${formatShape(layer.declaredInputShape)} but the previous layer ` +
        `outputs ${formatShape(prev.outputShape)}`,
    );
  }
}

/**
 * Gives unnamed layers the names model.add would (for code that plans weights before adding layers): names
 * already given anywhere in the list (and `reserved`, the names inside nested models) are taken, so adding the
 * layers afterwards cannot collide.
 */
export function nameLayers(layers: Layer[], reserved: Iterable<string> = []): void {
  const names = new LayerNames();
  for (const name of reserved) names.add(name);
  for (const layer of layers) if (layer.name) names.add(layer.name);
  for (const layer of layers) if (!layer.name) layer.name = names.fresh(layer.kind);
}

/**
 * The names of the layers inside nested models (at any depth): taken for the outer model's default names too,
 * since weights are named by layer and a model's weight names must be unique.
 */
function* nestedLayerNames(layers: readonly Layer[]): Generator<string, void, undefined> {
  for (const m of layers) if (m instanceof Model) for (const l of m.nestedLayers()) yield l.name;
}

export function checkBatchSize(method: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1)
    throw new Error(`${method}: 'batchSize' must be a positive integer, got ${String(n)}`);
  return n;
}

/** The options argument of a method: an object (or undefined), never null or a number. */
export function options<T extends object>(method: string, args: T | undefined | null): T {
  if (args === undefined) return {} as T;
  if (args === null || typeof args !== 'object' || Array.isArray(args)) {
    throw new Error(`${method}: the options argument must be an object, got ${describe(args)}`);
  }
  return args;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v;
}

export type { InputLike, TargetLike, Backend };
