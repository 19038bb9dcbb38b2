/**
 * Eager gradients, as in TF.js: bp.grad, bp.grads, bp.valueAndGrad, bp.valueAndGrads, bp.variableGrads and
 * bp.customGrad, over concrete tensors. The function runs once with a tape recording; its gradient is then taken
 * by backprop.ts with the gradient table (and is itself recorded by an enclosing tape: gradients of gradients).
 */
import type { DType } from '../backend/ops';
import { backprop } from './backprop';
import * as ops from './ops';
import { Tape, recordNode, taping, untaped, withTape } from './tape';
import type { TapeNode } from './tape-node';
import { floatArray } from '../backend/memory';
import type { FloatArray } from '../backend/ops';
import { registerVariable, rememberVariables } from './variables';
import { Tensor, Variable, describe, toTensor, type TensorLike } from './tensor';
import { activeTrace } from './trace';

type Fn1 = (x: Tensor) => Tensor;
type FnN = (...xs: Tensor[]) => Tensor;

function checkFn(who: string, f: unknown): void {
  if (typeof f !== 'function') throw new Error(`${who}: expected a function of tensors, got ${describe(f)}`);
}

function checkResult(who: string, y: unknown): Tensor {
  if (!(y instanceof Tensor)) throw new Error(`${who}: the function must return a tensor, got ${describe(y)}`);
  return y;
}

/** The seed: dy if given (checked against y), else ones of y's shape. */
function seed(who: string, y: Tensor, dy: TensorLike | undefined): Tensor {
  if (dy === undefined) return ops.onesLike(y);
  const d = toTensor(dy, who, 'dy', y.dtype);
  if (d.shape.join(',') !== y.shape.join(',')) {
    throw new Error(`${who}: 'dy' has shape [${d.shape}] but the function's result has [${y.shape}]`);
  }
  return d;
}

/** Runs f on tensors made from `args` under a tape; the value, and the gradient with respect to each argument. */
function gradsOf(who: string, f: FnN, args: TensorLike[], dy: TensorLike | undefined) {
  if (!Array.isArray(args)) throw new Error(`${who}: expected an array of arguments, got ${describe(args)}`);
  const dtype: DType = args.find((a): a is Tensor => a instanceof Tensor)?.dtype ?? 'float32';
  const xs = args.map((a, i) => toTensor(a, who, `args[${i}]`, a instanceof Tensor ? a.dtype : dtype));
  const tape = new Tape(null);
  for (const x of xs) tape.watch(x);
  const value = checkResult(
    who,
    withTape(tape, () => f(...xs)),
  );
  const grads = backprop(tape.nodes, [value], [seed(who, value, dy)], xs).map((g, i) => g ?? ops.zerosLike(xs[i]));
  return { value, grads };
}

/**
 * The gradient of f at x (f: tensor → tensor; `dy` weights its output, default ones), as tf.grad.
 * @example const dSquare = bp.grad((x) => bp.ops.square(x)); dSquare([1, 2, 3]).data // [2, 4, 6]
 */
export function grad(f: Fn1): (x: TensorLike, dy?: TensorLike) => Tensor {
  checkFn('grad()', f);
  return (x, dy) => gradsOf('grad()', f as FnN, [x], dy).grads[0];
}

/**
 * The gradients of f with respect to each of its arguments, as tf.grads.
 * @example const [da, db] = bp.grads((a, b) => bp.ops.mul(a, b))([a, b]);
 */
export function grads(f: FnN): (args: TensorLike[], dy?: TensorLike) => Tensor[] {
  checkFn('grads()', f);
  return (args, dy) => gradsOf('grads()', f, args, dy).grads;
}

/** f's value and its gradient at x, as tf.valueAndGrad. */
export function valueAndGrad(f: Fn1): (x: TensorLike, dy?: TensorLike) => { value: Tensor; grad: Tensor } {
  checkFn('valueAndGrad()', f);
  return (x, dy) => {
    const r = gradsOf('valueAndGrad()', f as FnN, [x], dy);
    return { value: r.value, grad: r.grads[0] };
  };
}

/** f's value and its gradients with respect to each argument, as tf.valueAndGrads. */
export function valueAndGrads(f: FnN): (args: TensorLike[], dy?: TensorLike) => { value: Tensor; grads: Tensor[] } {
  checkFn('valueAndGrads()', f);
  return (args, dy) => gradsOf('valueAndGrads()', f, args, dy);
}

/**
 * The value of f() (a scalar) and its gradient with respect to variables, by name, as tf.variableGrads: the
 * trainable variables f uses, or those of `varList`.
 * @example const { value, grads } = bp.variableGrads(() => loss(model, x, y)); optimizer.applyGradients(grads);
 */
export function variableGrads(f: () => Tensor, varList?: Variable[]): { value: Tensor; grads: Record<string, Tensor> } {
  const who = 'variableGrads()';
  checkFn(who, f);
  if (varList !== undefined && (!Array.isArray(varList) || !varList.every((v) => v instanceof Variable))) {
    throw new Error(`${who}: 'varList' must be an array of variables (bp.variable(...), model.trainableWeights)`);
  }
  const tape = new Tape(varList ? new Set(varList) : 'trainable');
  const value = checkResult(
    who,
    withTape(tape, () => f()),
  );
  if (value.rank !== 0) throw new Error(`${who}: f must return a scalar (rank 0), got shape [${value.shape}]`);
  const vars = varList ?? tape.variablesUsed;
  if (vars.length === 0) {
    throw new Error(`${who}: f uses no trainable variable; nothing to differentiate with respect to`);
  }
  const gs = backprop(tape.nodes, [value], [ops.onesLike(value)], vars);
  const out: Record<string, Tensor> = {};
  vars.forEach((v, i) => {
    out[v.name] = gs[i] ?? ops.zerosLike(v);
  });
  rememberVariables(out, new Map(vars.map((v) => [v.name, v])));
  return { value, grads: out };
}

/** What a customGrad function returns: its value and how to take its gradient. */
export interface CustomGradResult {
  value: Tensor;
  /** dL/d(value) → the gradient of each input (one tensor when there is one input), from the saved tensors. */
  gradFunc: (dy: Tensor, saved: Tensor[]) => Tensor | Tensor[];
}

/**
 * A function with its own gradient, as tf.customGrad: f(...inputs, save) returns { value, gradFunc }; save(tensors)
 * keeps tensors for gradFunc. Works eagerly and inside traced calls, losses and metrics.
 * @example
 * const clipGrad = bp.customGrad((x, save) => {
 *   save([x]);
 *   return { value: bp.ops.mul(x, 1), gradFunc: (dy) => bp.ops.clipByValue(dy, -1, 1) };
 * });
 */
export function customGrad(
  // (...inputs: Tensor[], save: (tensors: Tensor[]) => void) => CustomGradResult; `never` lets any arity through.
  f: (...args: never[]) => CustomGradResult,
): (...inputs: TensorLike[]) => Tensor {
  const who = 'customGrad()';
  checkFn(who, f);
  return (...inputs) => {
    const dtype = inputs.find((a): a is Tensor => a instanceof Tensor)?.dtype ?? 'float32';
    const xs = inputs.map((a, i) => toTensor(a, who, `inputs[${i}]`, dtype));
    let saved: Tensor[] = [];
    const save = (ts: Tensor[]) => {
      if (!Array.isArray(ts) || !ts.every((t) => t instanceof Tensor))
        throw new Error(`${who}: save() takes an array of tensors`);
      saved = ts;
    };
    const traced =
      xs.find((x) => x.traced)?.traced?.trace ?? (xs.some((x) => x instanceof Variable) ? activeTrace() : undefined);
    // The value's own ops are not differentiated: its gradient is gradFunc's.
    const call = f as unknown as (...args: unknown[]) => CustomGradResult;
    const result = traced ? call(...xs, save) : untaped(() => call(...xs, save));
    if (!result || !(result.value instanceof Tensor) || typeof result.gradFunc !== 'function') {
      throw new Error(`${who}: f must return { value: Tensor, gradFunc: (dy, saved) => gradients }`);
    }
    const vjp = (dys: readonly (Tensor | null)[]) => {
      const dy = dys[0];
      if (!dy) return xs.map(() => null);
      const gs = result.gradFunc(dy, saved);
      const list = Array.isArray(gs) ? gs : [gs];
      if (list.length !== xs.length || !list.every((g) => g instanceof Tensor)) {
        throw new Error(`${who}: gradFunc must return ${xs.length} tensor(s), one per input, got ${describe(gs)}`);
      }
      return list;
    };
    if (traced) return customTraced(result.value, xs, vjp);
    const value = new Tensor(result.value.data, result.value.shape, result.value.dtype);
    if (taping()) {
      const node: TapeNode = { inputs: xs, outputs: [value], vjp };
      recordNode(node);
    }
    return value;
  };
}

/** Inside a trace: an alias of the value whose gradient flows to the inputs through `vjp`. */
function customTraced(value: Tensor, inputs: Tensor[], vjp: TapeNode['vjp']): Tensor {
  const trace = (value.traced?.trace ?? activeTrace()) as ReturnType<typeof activeTrace> & object;
  return trace.addNode(
    { prim: 'stopGradient', attrs: {}, inputShapes: [value.shape], shape: value.shape, dtype: value.dtype },
    [value],
    'customGrad()',
    { diffInputs: inputs.map((x) => trace.valueOf(x, 'customGrad()')), vjp },
  );
}

let variableCount = 0;

/**
 * A variable: a tensor whose values change in place (assign, optimizers), as tf.variable.
 * @example const w = bp.variable(bp.ops.zeros([3, 1]), true, 'w');
 */
export function variable(initialValue: TensorLike, trainable = true, name?: string, dtype?: DType): Variable {
  const who = 'variable()';
  if (typeof trainable !== 'boolean') throw new Error(`${who}: 'trainable' must be true or false`);
  if (name !== undefined && (typeof name !== 'string' || name.length === 0 || name.length > 256)) {
    throw new Error(`${who}: 'name' must be a non-empty string`);
  }
  const dt = dtype ?? (initialValue instanceof Tensor ? initialValue.dtype : 'float32');
  const t = toTensor(
    initialValue instanceof Tensor ? ops.cast(initialValue, dt) : initialValue,
    who,
    'initialValue',
    dt,
  );
  if (t.isTraced) throw new Error(`${who}: the initial value must be concrete, not traced`);
  // Over a SharedArrayBuffer: traced programs may read it off the main thread (async matMul).
  const data = floatArray(dt, t.data.length);
  data.set(t.data);
  const v = new Variable(data, t.shape, dt, name ?? `variable_${++variableCount}`, trainable);
  registerVariable(v, true);
  return v;
}

const weightVariables = new WeakMap<object, Variable>();

/**
 * The variable of a model weight (its values and gradient arrays are the weight's), one per weight; used by
 * model.trainableWeights.
 */
export function weightVariable(
  p: { name: string; shape: number[]; value: FloatArray; grad: FloatArray },
  dtype: DType,
): Variable {
  let v = weightVariables.get(p);
  if (!v) {
    v = new Variable(null, p.shape, dtype, p.name, true, p);
    weightVariables.set(p, v);
  }
  registerVariable(v, false);
  return v;
}
