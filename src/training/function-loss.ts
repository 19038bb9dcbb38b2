/**
 * Losses and metrics written as functions of tensors, as in TF.js: `(yTrue, yPred) => per-sample values` with
 * bp.ops. The function is traced once per batch shape into a program (autodiff/program.ts) that also averages its
 * values (as the built-in losses are reduced) and, for a loss, differentiates that mean with respect to yPred by the
 * gradient table: a training step runs two planned programs, no finite differences, and allocates nothing after
 * warm-up. yTrue and yPred are [rows, cols]: the model's output with its last axis as columns and every other
 * axis folded into rows (as the loss kernels see it).
 */
import type { Backend, DType, FloatArray } from '../backend/ops';
import { backendForModel } from '../backend/select';
import * as ops from '../autodiff/ops';
import { Program } from '../autodiff/program';
import { Tensor } from '../autodiff/tensor';
import type { Loss, Metric, Targets } from './contracts';

/** A loss or metric written with bp.ops: per-sample values (e.g. shape [rows]), averaged by the engine. */
export type TensorLossFunction = (yTrue: Tensor, yPred: Tensor) => Tensor;

/** At most this many traced programs per function (the full batch, the last one, evaluation's). */
const MAX_PROGRAMS = 6;

function targetsOf(who: string, t: Targets): FloatArray {
  if (t instanceof Int32Array) {
    throw new Error(`${who}: gets the targets as a matrix like the output, not integer class labels`);
  }
  return t;
}

/** Programs of `fn` by shape and mode, traced on first use (the oldest dropped beyond MAX_PROGRAMS). */
class Traced {
  private readonly programs = new Map<string, { program: Program; count: number }>();
  constructor(
    private readonly who: string,
    private readonly fn: TensorLossFunction,
    private readonly reduce: 'mean' | 'sum',
  ) {}

  /** The program for a batch, and how many values the function returns for it (a metric's count). */
  get(rows: number, cols: number, dtype: DType, withGrad: boolean): { program: Program; count: number } {
    const key = `${rows}x${cols}|${dtype}|${withGrad}`;
    let entry = this.programs.get(key);
    if (!entry) {
      const { who, fn } = this;
      let count = 0;
      const program = new Program(
        (yTrue: Tensor, yPred: Tensor) => {
          const v = fn(yTrue, yPred);
          if (!(v instanceof Tensor)) throw new Error(`${who}: the function must return a tensor, got ${typeof v}`);
          count = v.size;
          return this.reduce === 'mean' ? ops.mean(v) : ops.sum(v);
        },
        {
          inputs: [
            { shape: [rows, cols], dtype },
            { shape: [rows, cols], dtype },
          ],
          gradInputs: [false, withGrad],
          seed: withGrad ? 'scalar' : 'none',
          who,
        },
      );
      entry = { program, count };
      if (this.programs.size >= MAX_PROGRAMS) this.programs.delete(this.programs.keys().next().value!);
      this.programs.set(key, entry);
    }
    return entry;
  }
}

const dtypeOf = (a: FloatArray): DType => (a instanceof Float64Array ? 'float64' : 'float32');

/**
 * A loss from a function of tensors (what compile does with a function): the mean of its values, and the gradient
 * of that mean by automatic differentiation. Not saved with the model (give it again when loading).
 * @example model.compile({ optimizer: 'adam', loss: (t, p) => bp.ops.mean(bp.ops.square(bp.ops.sub(t, p)), -1) })
 */
export function functionLoss(fn: TensorLossFunction, name = fn.name || 'customLoss'): Loss {
  if (typeof fn !== 'function') throw new Error('losses.functionLoss(): expected a function (yTrue, yPred) => tensor');
  const who = `loss '${name}'`;
  const traced = new Traced(who, fn, 'mean');
  return {
    name,
    custom: true,
    sparseTargets: false,
    compute(b: Backend, y: FloatArray, target: Targets, grad: FloatArray | null, rows: number, cols: number): number {
      const t = targetsOf(who, target);
      const p = traced.get(rows, cols, dtypeOf(y), grad !== null).program;
      const value = p.forward(b, [t, y])[0][0];
      if (grad) grad.set(p.backward(b, [])[1]!);
      return value;
    },
    getConfig: () => ({}),
  };
}

/**
 * A metric from a function of tensors (what compile does with a function in `metrics`): the mean of its values
 * over every batch of the epoch, logged under the function's name.
 * @example model.compile({ optimizer: 'adam', loss: 'mse', metrics: [function rmseLike(t, p) { ... }] })
 */
export function functionMetric(fn: TensorLossFunction, name = fn.name || 'metric'): Metric {
  if (typeof fn !== 'function')
    throw new Error('metrics.functionMetric(): expected a function (yTrue, yPred) => tensor');
  const who = `metric '${name}'`;
  const traced = new Traced(who, fn, 'sum');
  let sum = 0,
    count = 0;
  return {
    name,
    reset() {
      sum = 0;
      count = 0;
    },
    update(y: FloatArray, target: Targets, rows: number, cols: number) {
      const t = targetsOf(who, target);
      // Metrics get no backend: the one models use (unchecked JS kernels: the shapes were checked when traced).
      const { program, count: n } = traced.get(rows, cols, dtypeOf(y), false);
      sum += program.forward(backendForModel(Infinity), [t, y])[0][0];
      count += n;
    },
    result: () => (count ? sum / count : 0),
  };
}
