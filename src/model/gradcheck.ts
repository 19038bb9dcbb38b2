/**
 * bp.gradcheck: compares a model's analytic gradients (backpropagation through the fused ops) with central
 * finite differences of its training loss, in float64, on a copy of the model (rebuilt through the layer
 * registry) so the original is untouched. Every loss evaluation starts from the same RNG state, so random
 * layers (dropout) draw the same masks each time and the loss is a deterministic function of the weights.
 */
import type { Backend, FloatArray } from '../backend/ops';
import type { Param, Targets } from '../training/contracts';
import { cloneModel } from './clone';
import { engineOf } from './engine';
import type { InputsLike, TargetsLike } from './io-lists';
import { Model } from './model';

/** Gradients smaller than this are compared absolutely (see GradcheckResult.errors). */
const FLOOR = 1e-4;

export interface GradcheckResult {
  /**
   * Worst relative error |a - n| / max(|a|, |n|, 1e-4) per parameter name (magnitudes under 1e-4 count as
   * 1e-4, so finite-difference rounding noise on near-zero gradients is not reported as an error).
   */
  errors: Record<string, number>;
  /** The worst over all parameters. */
  maxError: number;
  /** How many elements were checked per parameter. */
  checked: Record<string, number>;
}

export interface GradcheckOptions {
  /** Step for central differences (default 1e-6). */
  epsilon?: number;
  /** Check at most this many elements per parameter, spread evenly (default all). */
  maxPerParam?: number;
}

/** A float64 copy of `model`: the same graph (layers by config), weights, losses and loss weights. */
function float64Copy(model: Model): Model {
  const copy = cloneModel(model, { dtype: 'float64' });
  copy.outputLosses = [...model.outputLosses];
  copy.lossWeights = [...model.lossWeights];
  copy.outputMetrics = model.outputMetrics.map(() => []);
  return copy;
}

/**
 * Finite-difference check of the model's gradients on (x, y).
 * @example
 * const { maxError, errors } = bp.gradcheck(model, x, y);
 * if (maxError > 1e-4) console.warn(errors);
 */
export function gradcheck(
  model: Model,
  x: InputsLike,
  y: TargetsLike,
  options: GradcheckOptions = {},
): GradcheckResult {
  if (!(model instanceof Model)) {
    throw new Error(`gradcheck(): the first argument must be a model (bp.sequential(...)), got ${describe(model)}`);
  }
  if (options === null || typeof options !== 'object') throw new Error(`gradcheck(): 'options' must be an object`);
  model.requireCompiled('gradcheck()');
  model.requireBuilt('gradcheck()');
  const eps = options.epsilon ?? 1e-6;
  if (typeof eps !== 'number' || !(eps > 0 && eps < 1))
    throw new Error(`gradcheck(): 'epsilon' must be in (0, 1), got ${String(eps)}`);
  const m = float64Copy(model);
  const engine = engineOf(m);
  const xs = m.checkedInputs('gradcheck()', x);
  const rows = xs[0].rows;
  const xm = { data: xs.map((i) => i.data), rows };
  const t = { data: m.checkedTargets('gradcheck()', y, rows).map((v) => v ?? new Float64Array(0)) };
  const b: Backend = engine.backendFor();
  const params = m.params();

  const rngState = m.rng.getState();
  const lossAt = () => {
    m.rng.setState(rngState);
    return engine.trainingLoss(b, xm.data, t.data, xm.rows);
  };
  m.rng.setState(rngState);
  const analytic = analyticGradients(m, b, xm.data, t.data, xm.rows, params);

  const errors: Record<string, number> = {},
    checked: Record<string, number> = {};
  let maxError = 0;
  for (const [pi, p] of params.entries()) {
    const n = p.value.length;
    const count = Math.min(n, options.maxPerParam ?? n);
    let worst = 0;
    for (let c = 0; c < count; c++) {
      const i = count === n ? c : Math.floor((c * n) / count);
      const v = p.value[i];
      p.value[i] = v + eps;
      const lp = lossAt();
      p.value[i] = v - eps;
      const lm = lossAt();
      p.value[i] = v;
      const numeric = (lp - lm) / (2 * eps);
      const a = analytic[pi][i];
      const err = Math.abs(a - numeric) / Math.max(Math.abs(a), Math.abs(numeric), FLOOR);
      if (!(err <= worst)) worst = Number.isNaN(err) ? Infinity : err;
    }
    errors[p.name] = worst;
    checked[p.name] = count;
    if (!(worst <= maxError)) maxError = worst;
  }
  return { errors, maxError, checked };
}

/** Gradients from one training step of the copy with a no-op optimizer, copied out per param. */
function analyticGradients(
  m: Model,
  b: Backend,
  x: FloatArray[],
  target: Targets[],
  rows: number,
  params: Param[],
): Float64Array[] {
  m.optimizer = {
    className: 'None',
    learningRate: 0,
    iterations: 0,
    step() {},
    getConfig: () => ({}),
    getWeights: () => [],
    setWeights() {},
  };
  engineOf(m).trainStep(b, x, target, rows);
  return params.map((p) => Float64Array.from(p.grad));
}

function describe(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
}
