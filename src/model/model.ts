/**
 * The model core: a stack of layers with shapes of any rank, built from a seeded RNG, compiled with an
 * optimizer, a loss and metrics; inference, evaluation, one-batch training, weights in TF.js order. The
 * epoch loop (fit), saving (io) and the callbacks are built on top of this class and never imported by it.
 */
import type { DType, FloatArray } from '../backend/ops';
import { Rng } from '../random';
import type { Loss, Optimizer, Param } from '../training/contracts';
import { getLoss, type LossIdentifier } from '../training/losses';
import { checkMetricNames, type MetricIdentifier } from '../training/metrics';
import { getOptimizer, type OptimizerIdentifier } from '../optimizers';
import { Layer } from '../layers/layer';
import { formatShape, sameShape, shapeSize, type Shape } from '../layers/shape';
import { checkModelSize } from '../limits';
import { engineOf } from './engine';
import { checkX, checkY, type InputLike, type TargetLike } from './inputs';
import { formatSummary } from './summary';
import type { Tensor } from './tensor';
import { weightVariable } from '../autodiff/gradients';
import type { Tensor as AutodiffTensor, TensorLike, Variable } from '../autodiff/tensor';
import { applyModel, applyOptions } from './model-call';

export interface ModelArgs {
  layers?: Layer[];
  /** Seed for weight initialisation, shuffling and dropout (default: 0, so runs repeat exactly). */
  seed?: number;
  /** Float type of weights and computation (default 'float32'). */
  dtype?: DType;
  name?: string;
}

export interface CompileArgs {
  /** An optimizer name ('sgd', 'adam', ...) or object (bp.optimizers.adam({ learningRate: 1e-3 })). */
  optimizer: OptimizerIdentifier;
  /** A loss name ('meanSquaredError', 'categoricalCrossentropy', ...), a Loss, or a function. */
  loss: LossIdentifier;
  /**
   * Metric names ('accuracy', 'precision', 'recall', 'mse', 'mae' and their aliases), or functions (yTrue, yPred) →
   * per-sample values written with bp.ops (logged under the function's name; not saved).
   */
  metrics?: MetricIdentifier[];
}

/** A weight array as getWeights returns it (TF.js order: per layer, e.g. kernel [in, out] then bias [units]). */
export interface WeightArray {
  name: string;
  data: FloatArray;
  shape: number[];
  dtype: DType;
}

/** Where training stands; saved with checkpoints so fit can resume exactly. */
export interface TrainingState {
  /** Epochs completed (resume with fit's initialEpoch). */
  epoch: number;
  /** State of stateful callbacks (reduceLROnPlateau, earlyStopping) at the last completed epoch, by key. */
  callbacks: Record<string, Record<string, number>>;
}

let modelCounter = 0;

export class Model {
  readonly layers: Layer[] = [];
  readonly name: string;
  readonly dtype: DType;
  readonly seed: number;
  /** The RNG behind initialisation, shuffling and dropout; its state is saved with checkpoints. */
  readonly rng: Rng;
  optimizer?: Optimizer;
  loss?: Loss;
  metricNames: MetricIdentifier[] = [];
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
  private paramCache?: Param[];
  private weightCache?: Param[];

  constructor(args: ModelArgs = {}) {
    if (!args || typeof args !== 'object') throw new Error(`sequential(): expected an options object`);
    const dtype = args.dtype ?? 'float32';
    if (dtype !== 'float32' && dtype !== 'float64')
      throw new Error(`sequential(): 'dtype' must be 'float32' or 'float64', got '${String(dtype)}'`);
    this.dtype = dtype;
    this.seed = args.seed ?? 0;
    if (typeof this.seed !== 'number' || !Number.isSafeInteger(this.seed)) {
      throw new Error(`sequential(): 'seed' must be an integer (it is saved with the model), got ${String(args.seed)}`);
    }
    this.rng = new Rng(this.seed);
    if (args.name !== undefined && (typeof args.name !== 'string' || args.name.length > 256)) {
      throw new Error(`sequential(): 'name' must be a string of at most 256 characters`);
    }
    this.name = args.name ?? `sequential_${++modelCounter}`;
    if (args.layers !== undefined && !Array.isArray(args.layers))
      throw new Error(`sequential(): 'layers' must be an array`);
    for (const layer of args.layers ?? []) this.add(layer);
  }

  /** Appends a layer. @example model.add(bp.layers.dense({ units: 10, activation: 'softmax' })) */
  add(layer: Layer): void {
    engineOf(this).assertNotTraining('model.add()');
    if (!(layer instanceof Layer)) {
      throw new Error(`model.add(): expected a layer (e.g. bp.layers.dense({ units: 8 })), got ${describe(layer)}`);
    }
    if (this.layers.includes(layer)) throw new Error(`model.add(): layer '${layer.name}' is already in this model`);
    if (layer.built) throw new Error(`model.add(): layer '${layer.name}' belongs to another model; create a new layer`);
    if (this.layers.length > 0 && layer.declaredInputShape) {
      const prev = this.layers[this.layers.length - 1];
      if (prev.outputShape && !sameShape(prev.outputShape, layer.declaredInputShape)) {
        throw new Error(
          `model.add(): layer declares inputShape ${formatShape(layer.declaredInputShape)} but the previous layer ` +
            `outputs ${formatShape(prev.outputShape)}`,
        );
      }
    }
    if (!layer.name) layer.name = uniqueLayerName(this.layers, layer.kind);
    if (this.layers.some((l) => l.name === layer.name)) {
      throw new Error(`model.add(): a layer named '${layer.name}' already exists; names must be unique`);
    }
    this.layers.push(layer);
    this.changed();
    const first = this.layers[0].declaredInputShape;
    if (first) this.build(first);
  }

  private changed(): void {
    this.paramCache = undefined;
    this.weightCache = undefined;
    engineOf(this).reset();
  }

  /** True once every layer has weights (the input shape is known). */
  get built(): boolean {
    return this.layers.length > 0 && this.layers.every((l) => l.built);
  }

  /** Per-sample input shape (declared, or from the first fit's data). */
  get inputShape(): Shape | undefined {
    return this.layers[0]?.inputShape ?? this.layers[0]?.declaredInputShape;
  }

  /** Per-sample output shape, once built. */
  get outputShape(): Shape | undefined {
    return this.built ? this.layers[this.layers.length - 1].outputShape : undefined;
  }

  /** Values per input sample. */
  get inputSize(): number {
    return shapeSize(this.requireBuilt('model').inputShape!);
  }

  /** Values per output sample. */
  get outputSize(): number {
    return shapeSize(this.requireBuilt('model').outputShape!);
  }

  /**
   * Creates the weights of any layer not yet built, in order, from the seeded RNG. The parameter count is
   * checked against the memory limit (bp.setLimits) before anything is allocated.
   */
  build(inputShape: Shape): void {
    let shape: Shape = inputShape;
    let parameters = 0;
    const plan: Shape[] = [];
    for (const layer of this.layers) {
      if (layer.built && !sameShape(layer.inputShape!, shape)) {
        throw new Error(
          `model: layer '${layer.name}' was built for inputs ${formatShape(layer.inputShape!)} but receives ` +
            `${formatShape(shape)}`,
        );
      }
      plan.push(shape);
      if (!layer.built) for (const w of layer.weightSpecs(shape)) parameters += shapeSize(w.shape);
      shape = layer.built ? layer.outputShape! : layer.computeOutputShape(shape);
    }
    checkModelSize('model.build()', parameters, 0, this.dtype === 'float64' ? 8 : 4);
    // Sequence masks: every layer that receives one must be able to take it (an error naming it otherwise).
    let masked = false;
    for (const layer of this.layers) masked = layer.maskFlow(masked);
    this.layers.forEach((layer, i) => {
      if (!layer.built) layer.build(plan[i], this.dtype, this.rng);
    });
    this.changed();
  }

  /**
   * Sets the optimizer, loss and metrics.
   * @example model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] })
   */
  compile(args: CompileArgs): void {
    engineOf(this).assertNotTraining('compile()');
    if (!args || typeof args !== 'object') throw new Error(`compile(): expected { optimizer, loss, metrics? }`);
    if (args.optimizer === undefined)
      throw new Error(
        `compile(): 'optimizer' is required, e.g. compile({ optimizer: 'adam', loss: 'meanSquaredError' })`,
      );
    if (args.loss === undefined)
      throw new Error(`compile(): 'loss' is required, e.g. compile({ optimizer: 'adam', loss: 'meanSquaredError' })`);
    const optimizer = getOptimizer(args.optimizer);
    const loss = getLoss(args.loss);
    this.metricNames = checkMetricNames('compile()', args.metrics);
    this.optimizer = optimizer;
    this.loss = loss;
    this.unsavedLoss = undefined;
  }

  /** Trainable parameters in TF.js order (cached: the training step reads this every batch). */
  params(): Param[] {
    if (!this.paramCache || this.paramCache.length === 0)
      this.paramCache = this.layers.flatMap((l) => (l.built ? l.params() : []));
    return this.paramCache;
  }

  /**
   * The trainable weights as variables (TF.js's model.trainableWeights), for custom training loops: their values
   * and gradient arrays are the weights', so optimizer.applyGradients updates the model.
   */
  get trainableWeights(): Variable[] {
    return this.params().map((p) => weightVariable(p, this.dtype));
  }

  /**
   * Runs the model on a tensor ([batch, ...inputShape]) as one differentiable step of a custom training loop
   * (TF.js's model.apply): under bp.variableGrads or optimizer.minimize its gradient flows to the input and to
   * model.trainableWeights through the layers' own backward. `training: true` runs dropout and the like as in fit.
   * Take the gradient before running the model again: the layers keep one call's activations.
   * @example
   * const gLoss = () => bp.ops.mean(bp.ops.neg(bp.ops.log(discriminator.apply(generator.apply(noise)))));
   * optimizer.minimize(gLoss, false, generator.trainableWeights);
   */
  apply(x: TensorLike, args?: { training?: boolean }): AutodiffTensor {
    this.requireBuilt('model.apply()');
    return applyModel(this, engineOf(this), x, applyOptions(args).training);
  }

  /** Every weight (trainable and not), TF.js order: what save, load, getWeights and setWeights see. */
  weights(): Param[] {
    if (!this.weightCache || this.weightCache.length === 0)
      this.weightCache = this.layers.flatMap((l) => (l.built ? l.weights() : []));
    return this.weightCache;
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

  /** Throws unless compiled. @internal */
  requireCompiled(method: string): this {
    if (!this.loss && this.unsavedLoss !== undefined) {
      throw new Error(
        `${method}: this model was saved after training with the custom loss '${this.unsavedLoss}', which cannot be ` +
          `saved; give it again: bp.loadLayersModel(dir, { loss: ${this.unsavedLoss} }) (keeps the optimizer state) ` +
          `or model.compile({ optimizer, loss })`,
      );
    }
    if (!this.optimizer || !this.loss) {
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

  /**
   * Trains on one batch and returns its loss. A non-finite loss is an error and leaves the weights unchanged.
   * @example const loss = model.trainOnBatch([[0, 1]], [[1]]);
   */
  trainOnBatch(x: InputLike, y: TargetLike): number {
    const engine = engineOf(this);
    engine.assertNotTraining('trainOnBatch()');
    engine.assertIdle('trainOnBatch()');
    this.requireCompiled('trainOnBatch()');
    const xm = checkX('trainOnBatch()', x, this.inputShape, this.dtype);
    if (!this.built) this.build(xm.shape);
    const t = checkY('trainOnBatch()', y, xm.rows, this.outputShape!, this.loss!.sparseTargets, this.dtype);
    engine.checkBatchMemory('trainOnBatch()', xm.rows);
    const loss = engine.trainStep(engine.backendFor(xm.rows), xm.data, t.data, xm.rows);
    if (!Number.isFinite(loss)) {
      throw new Error(
        `trainOnBatch(): the loss is ${loss}; the weights were not updated (check the data and learning rate)`,
      );
    }
    return loss;
  }

  /**
   * Runs the model on inputs (inference mode: dropout off). Returns `[rows, ...outputShape]`.
   * @example const probs = model.predict([[0, 1], [1, 1]]); // { data, shape: [2, units], dtype }
   */
  predict(x: InputLike, args: { batchSize?: number } = {}): Tensor {
    const engine = engineOf(this);
    engine.assertIdle('predict()');
    this.requireBuilt('predict()');
    const xm = checkX('predict()', x, this.inputShape, this.dtype);
    const batchSize = checkBatchSize('predict()', options('predict()', args).batchSize ?? 256);
    engine.checkBatchMemory('predict()', Math.max(1, Math.min(batchSize, xm.rows)));
    const inSize = this.inputSize,
      outSize = this.outputSize;
    const out = this.dtype === 'float64' ? new Float64Array(xm.rows * outSize) : new Float32Array(xm.rows * outSize);
    const b = engine.backendFor(batchSize);
    for (let start = 0; start < xm.rows; start += batchSize) {
      const rows = Math.min(batchSize, xm.rows - start);
      const y = engine.forward(b, xm.data.subarray(start * inSize, (start + rows) * inSize), rows, false);
      out.set(y.subarray(0, rows * outSize), start * outSize);
    }
    return { data: out, shape: [xm.rows, ...this.outputShape!], dtype: this.dtype };
  }

  /**
   * Loss and metrics on labelled data (inference mode).
   * @example model.evaluate(xTest, yTest) // { loss: 0.08, accuracy: 0.97 }
   */
  evaluate(x: InputLike, y: TargetLike, args: { batchSize?: number } = {}): Record<string, number> {
    const engine = engineOf(this);
    engine.assertIdle('evaluate()');
    this.requireCompiled('evaluate()');
    this.requireBuilt('evaluate()');
    const xm = checkX('evaluate()', x, this.inputShape, this.dtype);
    const t = checkY('evaluate()', y, xm.rows, this.outputShape!, this.loss!.sparseTargets, this.dtype);
    const batchSize = checkBatchSize('evaluate()', options('evaluate()', args).batchSize ?? 256);
    engine.checkBatchMemory('evaluate()', Math.max(1, Math.min(batchSize, xm.rows)));
    return engine.evaluate(xm.data, xm.rows, t.data, batchSize);
  }

  /**
   * Copies of the weights, TF.js order: per layer, e.g. kernel [in, out] then bias [units].
   * @example const [kernel, bias] = model.getWeights();
   */
  getWeights(): WeightArray[] {
    engineOf(this).assertIdle('getWeights()');
    this.requireBuilt('getWeights()');
    return this.weights().map((p) => ({ name: p.name, data: p.value.slice(), shape: [...p.shape], dtype: this.dtype }));
  }

  /**
   * Replaces the weights (same order and shapes as getWeights; arrays, tensor-like objects or nested arrays).
   * All are checked before any is assigned.
   */
  setWeights(weights: ({ data: ArrayLike<number>; shape?: number[] } | ArrayLike<number> | number[][])[]): void {
    engineOf(this).assertIdle('setWeights()');
    this.requireBuilt('setWeights()');
    const params = this.weights();
    if (!Array.isArray(weights) || weights.length !== params.length) {
      throw new Error(
        `setWeights(): expected ${params.length} arrays ` +
          `(${params.map((p) => `${p.name} ${formatShape(p.shape)}`).join(', ')}), ` +
          `got ${Array.isArray(weights) ? weights.length : describe(weights)}`,
      );
    }
    const flat = weights.map((w, i) => {
      const p = params[i];
      const where = `setWeights(): weight ${i} (${p.name})`;
      let data: ArrayLike<number>;
      if (w === null || w === undefined || typeof w !== 'object') {
        throw new Error(`${where} must be an array, a typed array or { data, shape }, got ${describe(w)}`);
      }
      if (Array.isArray(w) && Array.isArray(w[0])) data = (w as number[][]).flat(8) as number[];
      else if ('data' in w && !Array.isArray(w) && !ArrayBuffer.isView(w)) {
        data = w.data;
        if (w.shape && w.shape.join(',') !== p.shape.join(','))
          throw new Error(`${where} has shape ${formatShape(w.shape)} but the model needs ${formatShape(p.shape)}`);
      } else data = w as ArrayLike<number>;
      if (!data || typeof data.length !== 'number') throw new Error(`${where} has no values`);
      if (data.length !== p.value.length)
        throw new Error(
          `${where} has ${data.length} values but the model needs ${p.value.length} (shape ${formatShape(p.shape)})`,
        );
      for (let j = 0; j < data.length; j++)
        if (typeof data[j] !== 'number' || !Number.isFinite(data[j]))
          throw new Error(`${where} has a non-finite value at ${j}`);
      return data;
    });
    params.forEach((p, i) => p.value.set(flat[i]));
  }

  /**
   * Prints (and returns) a Keras-like table of layers, output shapes and parameter counts.
   * @example model.summary();
   */
  summary(print: (line: string) => void = console.log): string {
    const text = formatSummary(
      this.name,
      this.dtype,
      this.layers.map((l) => ({
        name: l.name,
        className: l.className,
        outputShape: l.outputShape,
        trainable: l.built ? l.params().reduce((s, p) => s + p.value.length, 0) : 0,
        total: l.built ? l.weights().reduce((s, p) => s + p.value.length, 0) : 0,
      })),
    );
    print(text);
    return text;
  }
}

/** `<kind>_<n>` with the smallest n not yet used among `layers`. */
function uniqueLayerName(layers: readonly Layer[], kind: string): string {
  for (let n = 1; ; n++) {
    const name = `${kind}_${n}`;
    if (!layers.some((l) => l.name === name)) return name;
  }
}

/** Gives unnamed layers the names model.add would (for code that plans weights before adding layers). */
export function nameLayers(layers: Layer[]): void {
  layers.forEach((layer, i) => {
    if (!layer.name) layer.name = uniqueLayerName(layers.slice(0, i).concat(layers.filter((l) => l.name)), layer.kind);
  });
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
