/**
 * Sequential model: a stack of layers trained by explicit backpropagation. Structure, compile, and the
 * per-batch forward/backward/update live here; the epoch loop is in fit.ts.
 */
import type { Backend, DType, FloatArray } from '../backend/ops';
import { Activation } from '../backend/ops';
import { floatArray } from '../backend/memory';
import { backendForModel } from '../backend/select';
import { Rng } from '../random';
import type { FoldedSgd, Loss, Metric, Optimizer, Param, Targets } from '../training/contracts';
import { getLoss, type LossIdentifier } from '../training/losses';
import { getMetric } from '../training/metrics';
import { getOptimizer, type OptimizerIdentifier } from '../optimizers';
import type { Tensor2D } from '../data/tensor';
import { Layer } from '../layers/layer';
import { Dense } from '../layers/dense';
import { ActivationLayer } from '../layers/activation';
import { checkX, checkY, type MatrixLike, type TargetLike } from './inputs';
import { formatSummary } from './summary';
import { fitModel, type FitArgs } from './fit';
import type { History } from './history';
import { saveModel, type SaveOptions, type SaveResult } from '../io/save';
import { checkModelSize } from '../limits';

export interface SequentialArgs {
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
  /** Metric names: 'accuracy', 'precision', 'recall', 'mse', 'mae'. */
  metrics?: string[];
}

/** A weight array as getWeights returns it (TF.js order: kernel [in, out], then bias [units]). */
export interface WeightArray {
  name: string;
  data: FloatArray;
  shape: number[];
  dtype: DType;
}

let modelCounter = 0;

export class Sequential {
  readonly layers: Layer[] = [];
  readonly name: string;
  readonly dtype: DType;
  readonly seed: number;
  /** The RNG behind initialisation, shuffling and dropout; its state is saved with checkpoints. */
  readonly rng: Rng;
  optimizer?: Optimizer;
  loss?: Loss;
  metricNames: string[] = [];
  /**
   * Your own JSON-serialisable data saved with the model (in model.json's userDefinedMetadata, which TF.js
   * ignores), e.g. the CLI stores feature names, classes and the input scaler here.
   */
  metadata: Record<string, unknown> = {};
  /** Where training stands: epochs completed (saved with checkpoints, so fit can resume with initialEpoch). */
  readonly trainingState = { epoch: 0 };
  /** Set by callbacks (earlyStopping, terminateOnNaN) to end fit after the current epoch or batch. */
  stopTraining = false;
  private fused = false;
  private kindCounts = new Map<string, number>();
  private gradBuffers = new Map<number, FloatArray>();

  constructor(args: SequentialArgs = {}) {
    const dtype = args.dtype ?? 'float32';
    if (dtype !== 'float32' && dtype !== 'float64')
      throw new Error(`sequential(): 'dtype' must be 'float32' or 'float64', got '${dtype}'`);
    this.dtype = dtype;
    this.seed = args.seed ?? 0;
    if (!Number.isFinite(this.seed)) throw new Error(`sequential(): 'seed' must be a number, got ${args.seed}`);
    this.rng = new Rng(this.seed);
    this.name = args.name ?? `sequential_${++modelCounter}`;
    for (const layer of args.layers ?? []) this.add(layer);
  }

  /** Appends a layer. @example model.add(bp.layers.dense({ units: 10, activation: 'softmax' })) */
  add(layer: Layer): void {
    if (!(layer instanceof Layer))
      throw new Error(`model.add(): expected a layer (e.g. bp.layers.dense({ units: 8 })), got ${typeof layer}`);
    if (this.layers.includes(layer)) throw new Error(`model.add(): layer '${layer.name}' is already in this model`);
    if (this.layers.length === 0 && !layer.declaredInputShape) {
      // Allowed: the input size can come from the first fit's data.
    } else if (this.layers.length > 0 && layer.declaredInputShape) {
      const prev = this.layers[this.layers.length - 1];
      if (prev.built && prev.outputUnits !== layer.declaredInputShape[0]) {
        throw new Error(
          `model.add(): layer declares inputShape [${layer.declaredInputShape}] but the previous layer outputs ` +
            `${prev.outputUnits}`,
        );
      }
    }
    if (!layer.name) {
      const n = (this.kindCounts.get(layer.kind) ?? 0) + 1;
      this.kindCounts.set(layer.kind, n);
      layer.name = `${layer.kind}_${n}`;
    }
    if (this.layers.some((l) => l.name === layer.name))
      throw new Error(`model.add(): a layer named '${layer.name}' already exists; names must be unique`);
    this.layers.push(layer);
    this.paramCache = undefined;
    const first = this.layers[0].declaredInputShape;
    if (first) this.build(first[0]);
  }

  /** True once every layer has weights (the input size is known). */
  get built(): boolean {
    return this.layers.length > 0 && this.layers.every((l) => l.built);
  }

  get inputUnits(): number | undefined {
    return this.layers[0]?.built ? this.layers[0].inputUnits : this.layers[0]?.declaredInputShape?.[0];
  }

  get outputUnits(): number {
    this.requireBuilt('model');
    return this.layers[this.layers.length - 1].outputUnits;
  }

  /** Creates the weights of any layer not yet built, in order, from the seeded RNG. */
  build(inputUnits: number): void {
    let units = inputUnits;
    let parameters = 0;
    for (const layer of this.layers) {
      parameters += layer.built ? 0 : layer.parameterCount(units);
      units = layer.built ? layer.outputUnits : layer.outputUnitsFor(units);
    }
    checkModelSize('model.build()', parameters, 0, this.dtype === 'float64' ? 8 : 4);
    units = inputUnits;
    for (const layer of this.layers) {
      if (!layer.built) layer.build(units, this.dtype, this.rng);
      else if (layer.inputUnits !== units) {
        throw new Error(`model: layer '${layer.name}' was built for ${layer.inputUnits} inputs but receives ${units}`);
      }
      units = layer.outputUnits;
    }
    this.paramCache = undefined;
  }

  /**
   * Sets the optimizer, loss and metrics.
   * @example model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] })
   */
  compile(args: CompileArgs): void {
    if (!args || typeof args !== 'object') throw new Error(`compile(): expected { optimizer, loss, metrics? }`);
    if (args.optimizer === undefined)
      throw new Error(
        `compile(): 'optimizer' is required, e.g. compile({ optimizer: 'adam', loss: 'meanSquaredError' })`,
      );
    if (args.loss === undefined)
      throw new Error(`compile(): 'loss' is required, e.g. compile({ optimizer: 'adam', loss: 'meanSquaredError' })`);
    this.optimizer = getOptimizer(args.optimizer);
    this.loss = getLoss(args.loss);
    this.metricNames = [...(args.metrics ?? [])];
    for (const m of this.metricNames) getMetric(m, this.loss, 2); // validates names now, not mid-fit
    this.fused = false;
  }

  /** Fresh metric objects for one pass (training or validation). */
  makeMetrics(): Metric[] {
    return this.metricNames.map((m) => getMetric(m, this.loss!, this.outputUnits));
  }

  private paramCache?: Param[];
  /** Trainable parameters in TF.js order (cached: the training step reads this every batch). */
  params(): Param[] {
    if (!this.paramCache || this.paramCache.length === 0)
      this.paramCache = this.layers.flatMap((l) => (l.built ? l.params() : []));
    return this.paramCache;
  }

  requireBuilt(method: string): void {
    if (this.layers.length === 0)
      throw new Error(
        `${method}: the model has no layers; add some with model.add(bp.layers.dense({ units, inputShape }))`,
      );
    if (!this.built)
      throw new Error(`${method}: the model is not built yet; give the first layer an inputShape, or call fit() first`);
  }

  requireCompiled(method: string): void {
    if (!this.optimizer || !this.loss) {
      throw new Error(
        `${method}: the model must be compiled first: model.compile({ optimizer: 'adam', loss: 'meanSquaredError' })`,
      );
    }
  }

  /** Whether the last layer's activation and the loss fuse into one stable kernel (softmax/sigmoid + cross-entropy). */
  private updateFusion(): void {
    const last = this.layers[this.layers.length - 1];
    const want = this.loss?.fusedActivation;
    const act = last instanceof Dense || last instanceof ActivationLayer ? last.actCode : -1;
    this.fused = !!want && !!this.loss?.computeFromLogits && act === Activation[want];
  }

  /** The backend for this model's steps at `rows` rows per batch (tiny steps run on JS kernels in auto mode). */
  backendFor(rows = 32): Backend {
    return backendForModel(this.macsPerRow() * rows);
  }

  /** Forward through all layers; returns the last layer's output buffer. */
  forwardBatch(b: Backend, x: FloatArray, rows: number, training: boolean): FloatArray {
    let h = x;
    for (const layer of this.layers) h = layer.forward(b, h, rows, training, this.rng);
    return h;
  }

  /** Loss of the last forward against `target` (no gradient), including the fused path. */
  private lossOf(b: Backend, out: FloatArray, target: Targets, grad: FloatArray | null, rows: number): number {
    const cols = this.outputUnits;
    if (this.fused) {
      const last = this.layers[this.layers.length - 1] as Dense | ActivationLayer;
      return this.loss!.computeFromLogits!(b, last.preActivation, target, grad, rows, cols);
    }
    return this.loss!.compute(b, out, target, grad, rows, cols);
  }

  /**
   * One training step on a prepared batch: forward, loss + gradient, backward, regularisation, update.
   * Returns the batch loss (including regularisation penalties) and leaves the output in `lastOutput`.
   */
  trainStepOn(b: Backend, x: FloatArray, target: Targets, rows: number, metrics?: Metric[]): number {
    this.updateFusion();
    const out = this.forwardBatch(b, x, rows, true);
    const cols = this.outputUnits;
    const grad = this.gradBuffer(rows, cols);
    let loss = this.lossOf(b, out, target, grad, rows);
    if (metrics) for (const m of metrics) m.update(out, target, rows, cols);
    const fold = this.foldedSgd();
    let g: FloatArray | null = grad;
    for (let i = this.layers.length - 1; i >= 0 && g; i--) {
      g = this.layers[i].backward(b, g, rows, i > 0, this.fused && i === this.layers.length - 1, fold);
    }
    if (fold) {
      this.optimizer!.countStep!();
      return loss;
    }
    for (const p of this.params()) if (p.regularizer) loss += p.regularizer.apply(b, p.value, p.grad);
    this.optimizer!.step(b, this.params());
    return loss;
  }

  /**
   * This step's SGD update when the dense layers can apply it inside their gradient gemms: plain SGD
   * without clipping, and no regularizer (which needs the gradient buffer). Null otherwise.
   */
  private foldedSgd(): FoldedSgd | null {
    const opt = this.optimizer!;
    if (!opt.foldedSgd || !opt.countStep) return null;
    // Plain loops: this runs every step and must not allocate.
    for (const l of this.layers) if (!(l instanceof Dense) && l.params().length > 0) return null;
    for (const p of this.params()) if (p.regularizer) return null;
    return opt.foldedSgd();
  }

  /**
   * trainStepOn with the dense layers' gemms (and large Adam updates) running off the main thread, so
   * the event loop keeps turning during long steps. Same arithmetic, same result.
   */
  async trainStepOnAsync(
    b: Backend,
    x: FloatArray,
    target: Targets,
    rows: number,
    metrics?: Metric[],
  ): Promise<number> {
    this.updateFusion();
    let h = x;
    for (const layer of this.layers) h = await layer.forwardAsync(b, h, rows, true, this.rng);
    const cols = this.outputUnits;
    const grad = this.gradBuffer(rows, cols);
    let loss = this.lossOf(b, h, target, grad, rows);
    if (metrics) for (const m of metrics) m.update(h, target, rows, cols);
    let g: FloatArray | null = grad;
    for (let i = this.layers.length - 1; i >= 0 && g; i--) {
      g = await this.layers[i].backwardAsync(b, g, rows, i > 0, this.fused && i === this.layers.length - 1);
    }
    for (const p of this.params()) if (p.regularizer) loss += p.regularizer.apply(b, p.value, p.grad);
    const opt = this.optimizer!;
    if (opt.stepAsync) await opt.stepAsync(b, this.params());
    else opt.step(b, this.params());
    return loss;
  }

  /** Checks that training or inference at `rows` rows per batch fits the memory limit (bp.setLimits). */
  checkBatchMemory(where: string, rows: number): void {
    let activations = 0;
    for (const l of this.layers) activations += l.outputUnits * rows;
    const parameters = this.params().reduce((s, p) => s + p.value.length, 0);
    checkModelSize(where, parameters, activations, this.dtype === 'float64' ? 8 : 4);
  }

  /** Multiply-adds in one forward pass of one row (Σ in·out over layers). */
  macsPerRow(): number {
    let macs = 0;
    for (const l of this.layers) if (l instanceof Dense) macs += l.inputUnits * l.outputUnits;
    return macs;
  }

  /** The loss-gradient buffer for `rows`-row batches, allocated once per batch size. */
  private gradBuffer(rows: number, cols: number): FloatArray {
    let grad = this.gradBuffers.get(rows);
    if (!grad) {
      grad = floatArray(this.dtype, rows * cols);
      this.gradBuffers.set(rows, grad);
    }
    return grad;
  }

  /** Regularisation penalty of the current weights (what the loss adds), without touching gradients. */
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
   * Trains on one batch and returns its loss.
   * @example const loss = model.trainOnBatch([[0, 1]], [[1]]);
   */
  trainOnBatch(x: MatrixLike, y: TargetLike): number {
    this.requireCompiled('trainOnBatch()');
    const xm = checkX('trainOnBatch()', x, this.inputUnits, this.dtype);
    if (!this.built) this.build(xm.cols);
    const t = checkY('trainOnBatch()', y, xm.rows, this.outputUnits, this.loss!.sparseTargets, this.dtype);
    return this.trainStepOn(this.backendFor(xm.rows), xm.data, t.data, xm.rows);
  }

  /**
   * Runs the model on inputs (inference mode: dropout off).
   * @example const probs = model.predict([[0, 1], [1, 1]]); // { data, shape: [2, units], dtype }
   */
  predict(x: MatrixLike, args: { batchSize?: number } = {}): Tensor2D {
    this.requireBuilt('predict()');
    const xm = checkX('predict()', x, this.inputUnits, this.dtype);
    const batchSize = checkBatchSize('predict()', args.batchSize ?? 256);
    this.checkBatchMemory('predict()', Math.min(batchSize, xm.rows));
    const cols = this.outputUnits;
    const out = this.dtype === 'float64' ? new Float64Array(xm.rows * cols) : new Float32Array(xm.rows * cols);
    const b = this.backendFor(batchSize);
    for (let start = 0; start < xm.rows; start += batchSize) {
      const rows = Math.min(batchSize, xm.rows - start);
      const y = this.forwardBatch(b, xm.data.subarray(start * xm.cols, (start + rows) * xm.cols), rows, false);
      out.set(y.subarray(0, rows * cols), start * cols);
    }
    return { data: out, shape: [xm.rows, cols], dtype: this.dtype };
  }

  /**
   * Loss and metrics on labelled data (inference mode).
   * @example model.evaluate(xTest, yTest) // { loss: 0.08, accuracy: 0.97 }
   */
  evaluate(x: MatrixLike, y: TargetLike, args: { batchSize?: number } = {}): Record<string, number> {
    this.requireCompiled('evaluate()');
    this.requireBuilt('evaluate()');
    const xm = checkX('evaluate()', x, this.inputUnits, this.dtype);
    const t = checkY('evaluate()', y, xm.rows, this.outputUnits, this.loss!.sparseTargets, this.dtype);
    return this.evaluateChecked(
      xm.data,
      xm.rows,
      xm.cols,
      t.data,
      t.cols,
      checkBatchSize('evaluate()', args.batchSize ?? 256),
    );
  }

  /** evaluate() on already-checked arrays (used by fit for validation). */
  evaluateChecked(
    x: FloatArray,
    rows: number,
    xCols: number,
    target: Targets,
    tCols: number,
    batchSize: number,
  ): Record<string, number> {
    this.updateFusion();
    const b = this.backendFor(batchSize);
    const metrics = this.makeMetrics();
    let lossSum = 0;
    for (let start = 0; start < rows; start += batchSize) {
      const n = Math.min(batchSize, rows - start);
      const out = this.forwardBatch(b, x.subarray(start * xCols, (start + n) * xCols), n, false);
      const tb = target.subarray(start * tCols, (start + n) * tCols) as Targets;
      lossSum += this.lossOf(b, out, tb, null, n) * n;
      for (const m of metrics) m.update(out, tb, n, this.outputUnits);
    }
    const logs: Record<string, number> = { loss: rows ? lossSum / rows + this.regularizationPenalty() : NaN };
    for (const m of metrics) logs[m.name] = m.result();
    return logs;
  }

  /**
   * Trains the model. Resolves with a History once done (or stopped by a callback or `signal`).
   * @example
   * const history = await model.fit(x, y, { epochs: 20, batchSize: 32, validationSplit: 0.1 });
   * console.log(history.history.loss, history.val_loss);
   */
  fit(x: MatrixLike, y: TargetLike, args: FitArgs = {}): Promise<History> {
    return fitModel(this, x, y, args);
  }

  /**
   * Saves the model in the TF.js Layers format (model.json + weights file), atomically, with checksums.
   * With `includeOptimizer`, also the optimizer state and training position, so training can resume.
   * @example
   * await model.save('./models/digits');                 // or 'file://./models/digits'
   * await model.save('./ckpt', { includeOptimizer: true });
   */
  async save(path: string, options: SaveOptions = {}): Promise<SaveResult> {
    return saveModel(this, path, options);
  }

  /**
   * Copies of the weights, TF.js order: per dense layer, kernel [in, out] then bias [units].
   * @example const [kernel, bias] = model.getWeights();
   */
  getWeights(): WeightArray[] {
    this.requireBuilt('getWeights()');
    return this.params().map((p) => ({ name: p.name, data: p.value.slice(), shape: [...p.shape], dtype: this.dtype }));
  }

  /**
   * Replaces the weights (same order and shapes as getWeights; arrays, Tensor2D-like objects or number[][]).
   * All are checked before any is assigned.
   */
  setWeights(weights: ({ data: ArrayLike<number>; shape?: number[] } | ArrayLike<number> | number[][])[]): void {
    this.requireBuilt('setWeights()');
    const params = this.params();
    if (!Array.isArray(weights) || weights.length !== params.length) {
      throw new Error(
        `setWeights(): expected ${params.length} arrays ` +
          `(${params.map((p) => `${p.name} [${p.shape}]`).join(', ')}), ` +
          `got ${Array.isArray(weights) ? weights.length : typeof weights}`,
      );
    }
    const flat = weights.map((w, i) => {
      const p = params[i];
      let data: ArrayLike<number>;
      if (Array.isArray(w) && Array.isArray(w[0])) data = (w as number[][]).flat();
      else if (w && typeof w === 'object' && 'data' in w) {
        data = w.data;
        if (w.shape && w.shape.join(',') !== p.shape.join(','))
          throw new Error(
            `setWeights(): weight ${i} (${p.name}) has shape [${w.shape}] but the model needs [${p.shape}]`,
          );
      } else data = w as ArrayLike<number>;
      if (data.length !== p.value.length)
        throw new Error(
          `setWeights(): weight ${i} (${p.name}) has ${data.length} values but the model needs ` +
            `${p.value.length} (shape [${p.shape}])`,
        );
      for (let j = 0; j < data.length; j++)
        if (!Number.isFinite(data[j]))
          throw new Error(`setWeights(): weight ${i} (${p.name}) has a non-finite value at ${j}`);
      return data;
    });
    params.forEach((p, i) => p.value.set(flat[i]));
  }

  /**
   * Prints (and returns) a Keras-like table of layers, output shapes and parameter counts.
   * @example model.summary();
   */
  summary(print: (line: string) => void = console.log): string {
    const text = formatSummary(this);
    print(text);
    return text;
  }
}

export function checkBatchSize(method: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1)
    throw new Error(`${method}: 'batchSize' must be a positive integer, got ${String(n)}`);
  return n;
}

/**
 * Creates a sequential model.
 * @example
 * const model = bp.sequential({ seed: 1, layers: [
 *   bp.layers.dense({ units: 8, activation: 'tanh', inputShape: [2] }),
 *   bp.layers.dense({ units: 1, activation: 'sigmoid' }),
 * ] });
 */
export function sequential(args: SequentialArgs = {}): Sequential {
  return new Sequential(args);
}
