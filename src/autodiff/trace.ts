/**
 * Tracing: running a function of tensors once over traced tensors (placeholders with a shape and dtype) records the
 * ops it calls as nodes of a static program instead of computing them. Concrete tensors the function uses are
 * captured: variables as parameters (read every time the program runs: weights change between steps), other
 * tensors as constants. Ops on constants alone are computed at once (constant folding).
 *
 * A trace is active while its function runs (and while its backward nodes are derived); ops reach it through the
 * traced tensors they are given, or, for ops on variables alone, as the innermost active trace.
 */
import type { DType, FloatArray } from '../backend/ops';
import type { NodeSpec } from './prims';
import { Tensor, Variable } from './tensor';

export type ValueKind = 'input' | 'param' | 'const' | 'node';

export interface TraceValue {
  readonly id: number;
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly kind: ValueKind;
  /** A parameter's variable. */
  readonly variable?: Variable;
  /** A constant's values. */
  readonly data?: FloatArray;
  /** The node that computes it (kind 'node'). */
  readonly producer?: number;
}

export interface TraceNode {
  readonly id: number;
  readonly spec: NodeSpec;
  /** The values the kernel reads. */
  readonly inputs: readonly number[];
  readonly output: number;
  /** Where gradients flow (a customGrad node: its arguments, not the value it aliases); default `inputs`. */
  readonly diffInputs?: readonly number[];
  /** A customGrad node's VJP (the user's gradFunc); other nodes use the gradient table. */
  readonly vjp?: (dys: readonly (Tensor | null)[]) => readonly (Tensor | null)[];
  /** Recorded while the function ran, or while its gradient was derived. */
  readonly phase: 'forward' | 'backward';
}

let traceCount = 0;
const stack: Trace[] = [];

export class Trace {
  readonly id = ++traceCount;
  readonly values: TraceValue[] = [];
  readonly nodes: TraceNode[] = [];
  /** The traced tensor of each value. */
  private readonly tensors: Tensor[] = [];
  private readonly captured = new Map<Tensor, number>();
  phase: 'forward' | 'backward' = 'forward';

  /** Whether the trace is on the stack (its function, or its gradient, is being traced). */
  get active(): boolean {
    return stack.includes(this);
  }

  /** A new program input of the given shape. */
  input(shape: readonly number[], dtype: DType): Tensor {
    return this.newValue({ shape, dtype, kind: 'input' });
  }

  private newValue(v: Omit<TraceValue, 'id'>): Tensor {
    const id = this.values.length;
    this.values.push({ ...v, id });
    const t = new Tensor(null, v.shape, v.dtype, { trace: this, value: id });
    this.tensors.push(t);
    return t;
  }

  /** The traced tensor of value `id`. */
  tensor(id: number): Tensor {
    return this.tensors[id];
  }

  /** The value a tensor stands for in this trace: its own, or a capture of a concrete tensor. */
  valueOf(t: Tensor, who: string): number {
    if (t.traced) {
      if (t.traced.trace !== this) {
        throw new Error(
          `${who}: a traced tensor from another traced function was used here; pass values between traced ` +
            'functions as inputs, not by keeping tensors from one in the other',
        );
      }
      return t.traced.value;
    }
    let id = this.captured.get(t);
    if (id === undefined) {
      id =
        t instanceof Variable
          ? this.newValue({ shape: t.shape, dtype: t.dtype, kind: 'param', variable: t }).traced!.value
          : this.newValue({ shape: t.shape, dtype: t.dtype, kind: 'const', data: t.data }).traced!.value;
      this.captured.set(t, id);
    }
    return id;
  }

  /** Records a node computing `spec` from `inputs`; returns its output. */
  addNode(
    spec: NodeSpec,
    inputs: readonly Tensor[],
    who: string,
    custom?: Pick<TraceNode, 'diffInputs' | 'vjp'>,
  ): Tensor {
    const ins = inputs.map((t) => this.valueOf(t, who));
    const id = this.nodes.length;
    const out = this.newValue({ shape: spec.shape, dtype: spec.dtype, kind: 'node', producer: id });
    this.nodes.push({ id, spec, inputs: ins, output: out.traced!.value, phase: this.phase, ...custom });
    return out;
  }

  /** Runs `fn` with this trace active (innermost). */
  run<R>(fn: () => R): R {
    stack.push(this);
    try {
      return fn();
    } finally {
      stack.splice(stack.lastIndexOf(this), 1);
    }
  }
}

/** The innermost active trace, if any. */
export function activeTrace(): Trace | undefined {
  return stack[stack.length - 1];
}

/**
 * The trace an op on `inputs` records into: that of its traced inputs (which must be active), else the innermost
 * active trace when an input is a variable (its values change between steps, so the op cannot be folded); undefined:
 * compute now.
 */
export function traceFor(inputs: readonly Tensor[], who: string): Trace | undefined {
  let trace: Trace | undefined;
  for (const t of inputs) {
    if (!t.traced) continue;
    const tr = t.traced.trace as Trace;
    if (!tr.active) {
      throw new Error(
        `${who}: this tensor was traced (a placeholder inside a traced call, loss or metric) and cannot be used ` +
          'after that function returned; compute with it inside the function',
      );
    }
    if (trace && trace !== tr) {
      throw new Error(`${who}: tensors of two different traced functions were combined`);
    }
    trace = tr;
  }
  if (trace) return trace;
  const top = activeTrace();
  return top && inputs.some((t) => t instanceof Variable) ? top : undefined;
}
