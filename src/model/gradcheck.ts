/**
 * bp.gradcheck: compares a model's analytic gradients (backpropagation through the fused ops) with
 * central finite differences of its loss, in float64, on a copy of the model so the original is
 * untouched. Dropout is off (inference-mode forward) so the loss is a deterministic function of the weights.
 */
import type { Backend, FloatArray } from '../backend/ops';
import type { Param, Targets } from '../training/contracts';
import { Sequential } from './sequential';
import { checkX, checkY, type MatrixLike, type TargetLike } from './inputs';
import { Dropout } from '../layers/dropout';

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

/** A float64 copy of `model` with the same layers' configs and weights, compiled with the same loss. */
function float64Copy(model: Sequential): Sequential {
  const copy = new Sequential({ dtype: 'float64', seed: model.seed });
  for (const layer of model.layers) {
    const Ctor = layer.constructor as new (args: Record<string, unknown>) => typeof layer;
    const cfg = { ...layer.getConfig() } as Record<string, unknown>;
    // Layer classes take their own constructor args; getConfig names them the same way.
    if (layer instanceof Dropout) cfg.rate = layer.rate;
    const clone = new Ctor({
      ...cfg,
      kernelRegularizer: (layer as unknown as { kernelRegularizer?: unknown }).kernelRegularizer,
      biasRegularizer: (layer as unknown as { biasRegularizer?: unknown }).biasRegularizer,
      kernelInitializer: 'zeros',
      biasInitializer: 'zeros',
      dtype: undefined,
    });
    copy.add(clone);
  }
  copy.build(model.inputUnits!);
  copy.params().forEach((p, i) => p.value.set(model.params()[i].value));
  copy.loss = model.loss;
  return copy;
}

/**
 * Finite-difference check of the model's gradients on (x, y).
 * @example
 * const { maxError, errors } = bp.gradcheck(model, x, y);
 * if (maxError > 1e-4) console.warn(errors);
 */
export function gradcheck(
  model: Sequential,
  x: MatrixLike,
  y: TargetLike,
  options: GradcheckOptions = {},
): GradcheckResult {
  model.requireCompiled('gradcheck()');
  model.requireBuilt('gradcheck()');
  const eps = options.epsilon ?? 1e-6;
  const m = float64Copy(model);
  const xm = checkX('gradcheck()', x, m.inputUnits, 'float64');
  const t = checkY('gradcheck()', y, xm.rows, m.outputUnits, m.loss!.sparseTargets, 'float64');
  const b: Backend = m.backendFor();
  const params = m.params();

  const lossAt = () => m.evaluateChecked(xm.data, xm.rows, xm.cols, t.data, t.cols, xm.rows).loss;
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

/** Gradients from one backward pass (no optimizer update), copied out per param. */
function analyticGradients(
  m: Sequential,
  b: Backend,
  x: FloatArray,
  target: Targets,
  rows: number,
  params: Param[],
): Float64Array[] {
  // trainStepOn would also apply the optimizer; use a no-op optimizer for this one pass.
  const saved = m.optimizer;
  m.optimizer = {
    className: 'None',
    learningRate: 0,
    iterations: 0,
    step() {},
    getConfig: () => ({}),
    getWeights: () => [],
    setWeights() {},
  };
  try {
    // Inference-mode layers for a deterministic loss: dropout's forward is the identity when not training,
    // so run with training=false by temporarily disabling dropout layers.
    const restore = m.layers
      .filter((l) => l instanceof Dropout)
      .map((l) => {
        const d = l as Dropout;
        const rate = d.rate;
        (d as unknown as { rate: number }).rate = 0;
        return () => {
          (d as unknown as { rate: number }).rate = rate;
        };
      });
    m.trainStepOn(b, x, target, rows);
    restore.forEach((r) => r());
  } finally {
    m.optimizer = saved;
  }
  return params.map((p) => Float64Array.from(p.grad));
}
