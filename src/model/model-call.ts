/**
 * A model applied to a tensor as one node of the eager tape, for custom training loops (TF.js's `model.apply(x)`
 * inside `optimizer.minimize`): the forward runs the model's layers on the tensor's rows, and the node's
 * vector-Jacobian product runs their hand-written backward, giving the input's gradient and every trainable
 * weight's. The layers keep one call's activations, so a gradient must be taken before the model runs again (the
 * engine counts its forwards; a stale node refuses to backpropagate rather than use another call's activations).
 */
import type { FloatArray } from '../backend/ops';
import { floatArray } from '../backend/memory';
import { recordNode, taping } from '../autodiff/tape';
import type { TapeNode } from '../autodiff/tape-node';
import { Tensor, describe, sizeOf, toTensor, type TensorLike } from '../autodiff/tensor';
import type { Variable } from '../autodiff/tensor';
import { formatShape, sameShape, type Shape } from '../layers/shape';
import type { Layer } from '../layers/layer';
import type { Engine } from './engine';
import type { Plan } from './plan';

/** What applyModel needs of a model. */
export interface CallableModel {
  readonly layers: Layer[];
  readonly dtype: Tensor['dtype'];
  readonly inputShape: Shape | undefined;
  readonly outputShape: Shape | undefined;
  readonly trainableWeights: Variable[];
  params(): { grad: FloatArray; shape: number[] }[];
  plan(): Plan;
}

/** The model's layers when its plan is their plain chain (a Sequential without nested models), else null. */
function chainOf(model: CallableModel): Layer[] | null {
  const { calls } = model.plan();
  const layers = model.layers;
  if (calls.length !== layers.length) return null;
  for (let i = 0; i < calls.length; i++) {
    const c = calls[i];
    if (c.multi || c.layer !== layers[i] || c.inputs.length !== 1 || (i > 0 && c.inputs[0] !== calls[i - 1].output))
      return null;
  }
  return layers;
}

function copy(a: FloatArray, n: number, dtype: Tensor['dtype']): FloatArray {
  const out = floatArray(dtype, n);
  out.set(a.subarray(0, n));
  return out;
}

/** Runs `model` on `x` ([rows, ...inputShape]); recorded on active tapes with the layers' backward as its VJP. */
export function applyToTensor(model: CallableModel, engine: Engine, x: TensorLike, training: boolean): Tensor {
  const who = 'model.apply()';
  engine.assertIdle(who);
  if (typeof training !== 'boolean') throw new Error(`${who}: 'training' must be true or false`);
  const t = toTensor(x, who, 'x', x instanceof Tensor ? x.dtype : model.dtype);
  if (t.traced) {
    throw new Error(
      `${who}: a model runs on concrete tensors (custom training loops), not inside a custom layer's call or a ` +
        'function loss or metric; write that computation with bp.ops',
    );
  }
  if (t.dtype !== model.dtype) {
    throw new Error(`${who}: 'x' is ${t.dtype} but the model is ${model.dtype}; cast it with bp.ops.cast`);
  }
  const layers = chainOf(model);
  if (!layers) {
    throw new Error(
      `${who}: on tensors, apply() runs Sequential models of plain layers (this model is functional or nests ` +
        'models); use predict() for its values, or write the computation with bp.ops',
    );
  }
  const inShape = model.inputShape!;
  if (t.rank < 1 || !sameShape(t.shape.slice(1), inShape)) {
    throw new Error(
      `${who}: 'x' has shape [${t.shape}]; the model takes [batch, ${inShape}] (${formatShape(inShape)})`,
    );
  }
  const rows = t.shape[0];
  if (rows < 1) throw new Error(`${who}: 'x' has no rows`);
  engine.checkBatchMemory(who, rows);
  const b = engine.backendFor(rows);
  const outShape = [rows, ...model.outputShape!];
  const outSize = sizeOf(outShape);
  const y = new Tensor(copy(engine.forward(b, t.data, rows, training), outSize, model.dtype), outShape, model.dtype);
  if (!taping()) return y;
  const generation = engine.forwards;
  const vars = model.trainableWeights;
  const vjp = (dys: readonly (Tensor | null)[]): (Tensor | null)[] => {
    const dy = dys[0];
    if (!dy) return [null, ...vars.map(() => null)];
    if (engine.forwards !== generation) {
      throw new Error(
        `${who}: the model ran again (apply, predict, fit) before this gradient was taken, and its layers keep ` +
          'only the last call: apply it once per gradient (concatenate the batches into one call)',
      );
    }
    if (taping()) {
      throw new Error(`${who}: gradients of gradients through a model call are not supported`);
    }
    // The layers' backward may write into dy (the activation's derivative in place): give them a copy.
    let g: FloatArray | null = copy(dy.data, outSize, model.dtype);
    for (let i = layers.length - 1; i >= 0 && g; i--) g = layers[i].backward(b, g, rows, true, false, null);
    const dx = g ? new Tensor(copy(g, t.size, model.dtype), t.shape, t.dtype) : null;
    const params = model.params();
    if (params.length !== vars.length) throw new Error(`${who}: the model's weights changed during the call`);
    return [dx, ...params.map((p) => new Tensor(copy(p.grad, p.grad.length, model.dtype), p.shape, model.dtype))];
  };
  const node: TapeNode = { inputs: [t, ...vars], outputs: [y], vjp };
  recordNode(node);
  return y;
}

/** The options object of model.apply, checked. */
export function applyOptions(args: unknown): { training: boolean } {
  if (args === undefined) return { training: false };
  if (!args || typeof args !== 'object' || Array.isArray(args)) {
    throw new Error(`model.apply(): options must be { training?: boolean }, got ${describe(args)}`);
  }
  const extra = Object.keys(args).filter((k) => k !== 'training');
  if (extra.length) throw new Error(`model.apply(): unknown option '${extra[0]}' (expected { training?: boolean })`);
  const training = (args as { training?: unknown }).training ?? false;
  if (typeof training !== 'boolean') throw new Error(`model.apply(): 'training' must be true or false`);
  return { training };
}
