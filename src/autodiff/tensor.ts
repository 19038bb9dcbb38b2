/**
 * Tensors of bp.ops: a `Tensor` is immutable values with a shape and a float dtype, the same `{ data, shape,
 * dtype }` as the plain tensors models take and return (model/tensor.ts), plus what autodiff needs. A tensor is
 * either concrete (its values are in `data`) or traced: a placeholder for a value of a traced program (trace.ts),
 * which has a shape and a dtype but no values until the program runs. A `Variable` is a concrete tensor whose values
 * change in place (weights: `assign`, optimizers); gradients are taken with respect to variables.
 */
import type { DType, FloatArray } from '../backend/ops';
import { MAX_KERNEL_RANK } from '../backend/elementwise';

/**
 * Values ops accept where a tensor goes: a tensor, a number (a scalar), nested arrays of numbers, or a plain
 * `{ data, shape, dtype }` tensor (what bp.tensor makes and model.predict returns).
 */
export type TensorLike = Tensor | number | NestedNumbers | PlainTensor;
/** A tensor as models take and return it. */
export interface PlainTensor {
  data: FloatArray;
  shape: number[];
  dtype?: DType;
}
export type NestedNumbers = number | NestedNumbers[];

/** What a traced tensor refers to: a value of a trace (set by trace.ts). */
export interface TraceRef {
  readonly trace: { readonly id: number; readonly active: boolean };
  readonly value: number;
}

export class Tensor {
  /** The shape (frozen: tensors are immutable). */
  readonly shape: number[];
  readonly dtype: DType;
  /** @internal The values (concrete tensors); null for a traced one. */
  protected values: FloatArray | null;
  /** @internal For a traced tensor: the trace and value it stands for. */
  readonly traced?: TraceRef;

  /** @internal Use bp.tensor / bp.ops to make tensors. */
  constructor(values: FloatArray | null, shape: readonly number[], dtype: DType, traced?: TraceRef) {
    this.values = values;
    this.shape = Object.freeze([...shape]) as number[];
    this.dtype = dtype;
    if (traced) this.traced = traced;
  }

  /**
   * The values, row-major (a Float32Array or Float64Array). Do not write into it: tensors are immutable (ops may
   * share arrays between tensors, e.g. reshape).
   */
  get data(): FloatArray {
    if (!this.values) {
      throw new Error(
        `this tensor (shape [${this.shape}]) is traced: a placeholder in a program being built from your function, ` +
          'with no values yet. Compute with bp.ops on it and return the result; read values outside the traced ' +
          'function (call(), a loss or a metric is traced once per input shape)',
      );
    }
    return this.values;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** The number of values (the product of the shape; 1 for a scalar). */
  get size(): number {
    return sizeOf(this.shape);
  }

  /** Whether this is a traced placeholder (no values). */
  get isTraced(): boolean {
    return this.values === null;
  }

  /** The values (as tf.Tensor.dataSync). */
  dataSync(): FloatArray {
    return this.data;
  }

  /** The values as nested arrays (a number for a scalar), as tf.Tensor.arraySync. */
  arraySync(): NestedNumbers {
    const data = this.data;
    if (this.rank === 0) return data[0];
    let i = 0;
    const build = (axis: number): NestedNumbers[] =>
      Array.from({ length: this.shape[axis] }, () => (axis === this.rank - 1 ? data[i++] : build(axis + 1)));
    return build(0);
  }

  toString(): string {
    return `Tensor(${this.dtype}, [${this.shape}])`;
  }
}

/**
 * A tensor whose values can change in place: trainable weights, and `bp.variable(...)`. Ops read its values when
 * they run (a traced program reads them at every step), and gradients are taken with respect to it.
 */
export class Variable extends Tensor {
  /** Unique among live variables (`variable_1`, or the weight's name `dense_1/kernel`). */
  readonly name: string;
  /** Whether optimizers update it, and variableGrads differentiates with respect to it by default. */
  trainable: boolean;
  private readonly source?: { value: FloatArray; grad?: FloatArray };

  /**
   * @internal `bp.variable(...)` makes one; layers make theirs over their weights (`source`: the weight, whose
   * `value` array the variable reads, so it follows the weight through rebuilds and optimizer steps).
   */
  constructor(
    values: FloatArray | null,
    shape: readonly number[],
    dtype: DType,
    name: string,
    trainable: boolean,
    source?: { value: FloatArray; grad?: FloatArray },
  ) {
    super(values, shape, dtype);
    this.name = name;
    this.trainable = trainable;
    if (source) this.source = source;
  }

  override get data(): FloatArray {
    return this.source ? this.source.value : super.data;
  }

  override get isTraced(): boolean {
    return false;
  }

  /** @internal The weight this variable reads (layers' variables), for writing gradients where it keeps them. */
  get weight(): { value: FloatArray; grad?: FloatArray } | undefined {
    return this.source;
  }

  /** The variable itself (TF.js's LayerVariable.read()). */
  read(): Variable {
    return this;
  }

  /**
   * Replaces the values in place (same shape).
   * @example v.assign(bp.ops.mul(v, 0.5));
   */
  assign(value: TensorLike): void {
    const t = toTensor(value, 'variable.assign()', 'value', this.dtype);
    if (t.shape.join(',') !== this.shape.join(',')) {
      throw new Error(`variable.assign(): '${this.name}' has shape [${this.shape}] but the value has [${t.shape}]`);
    }
    this.data.set(t.data);
  }
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function floatCtor(dtype: DType): Float32ArrayConstructor | Float64ArrayConstructor {
  return dtype === 'float64' ? Float64Array : Float32Array;
}

/** A new concrete tensor over `data` (not copied). */
export function concrete(data: FloatArray, shape: readonly number[], dtype: DType): Tensor {
  return new Tensor(data, shape, dtype);
}

const MAX_VALUES = 2 ** 31 - 1;

/** Checks a shape given by a user: integers ≥ 0, at most MAX_KERNEL_RANK dims, a size an array can hold. */
export function checkShape(who: string, name: string, shape: unknown): number[] {
  if (
    !Array.isArray(shape) ||
    shape.length > MAX_KERNEL_RANK ||
    !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)
  ) {
    throw new Error(
      `${who}: '${name}' must be an array of at most ${MAX_KERNEL_RANK} non-negative integers, got ` +
        `${describe(shape)}`,
    );
  }
  if (sizeOf(shape) > MAX_VALUES) throw new Error(`${who}: '${name}' [${shape}] has more than 2^31-1 values`);
  return [...shape];
}

/** Nested arrays (rectangular, numbers at the leaves) → flat values and shape. */
function fromNested(v: NestedNumbers, who: string, name: string, C: Float32ArrayConstructor | Float64ArrayConstructor) {
  const shape: number[] = [];
  let probe: unknown = v;
  while (Array.isArray(probe)) {
    if (shape.length >= MAX_KERNEL_RANK) throw new Error(`${who}: '${name}' is nested deeper than ${MAX_KERNEL_RANK}`);
    shape.push(probe.length);
    probe = probe[0];
  }
  if (sizeOf(shape) > MAX_VALUES) throw new Error(`${who}: '${name}' has more than 2^31-1 values`);
  const data = new C(sizeOf(shape));
  let i = 0;
  const walk = (node: unknown, depth: number, path: number[]): void => {
    if (depth === shape.length) {
      if (typeof node !== 'number') {
        throw new Error(`${who}: '${name}'[${path.join('][')}] is ${describe(node)}, not a number`);
      }
      data[i++] = node;
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      throw new Error(
        `${who}: '${name}' is not rectangular: ${path.length ? `[${path.join('][')}]` : 'the array'} has ` +
          `${Array.isArray(node) ? `${node.length} entries` : describe(node)} where ${shape[depth]} were expected`,
      );
    }
    for (let j = 0; j < node.length; j++) walk(node[j], depth + 1, [...path, j]);
  };
  walk(v, 0, []);
  return { data: data as FloatArray, shape };
}

/**
 * A tensor from what ops accept: a tensor (returned as is; a dtype other than `dtype` is an error), a number
 * (a scalar), or nested arrays. `dtype` is the dtype numbers and arrays take (default float32).
 */
export function toTensor(v: unknown, who: string, name: string, dtype: DType = 'float32'): Tensor {
  if (v instanceof Tensor) {
    if (v.dtype !== dtype) {
      throw new Error(`${who}: '${name}' is ${v.dtype} but the other operands are ${dtype}; use one dtype`);
    }
    return v;
  }
  const C = floatCtor(dtype);
  if (typeof v === 'number') return new Tensor(C.of(v), [], dtype);
  if (Array.isArray(v)) {
    const { data, shape } = fromNested(v as NestedNumbers, who, name, C);
    return new Tensor(data, shape, dtype);
  }
  if (isPlainTensor(v)) {
    const shape = checkShape(who, `${name}.shape`, v.shape);
    if (v.data.length !== sizeOf(shape)) {
      throw new Error(`${who}: '${name}' has ${v.data.length} values but its shape [${shape}] needs ${sizeOf(shape)}`);
    }
    return new Tensor(v.data instanceof C ? v.data : (C.from(v.data) as FloatArray), shape, dtype);
  }
  throw new Error(
    `${who}: '${name}' must be a tensor, a number or nested arrays of numbers, got ${describe(v)}` +
      (ArrayBuffer.isView(v) ? ' (wrap a typed array with bp.tensor(values, shape))' : ''),
  );
}

/** A `{ data, shape, dtype }` object such as model.predict returns. */
function isPlainTensor(v: unknown): v is { data: FloatArray; shape: unknown } {
  if (!v || typeof v !== 'object') return false;
  const d = (v as { data?: unknown }).data;
  return d instanceof Float32Array || d instanceof Float64Array;
}

/** The dtype of an op's operands: that of its tensors (they must agree), else float32. */
export function dtypeOf(who: string, values: readonly unknown[]): DType {
  let dtype: DType | undefined;
  for (const v of values) {
    if (v instanceof Tensor || (isPlainTensor(v) && (v as PlainTensor).dtype)) {
      const vd = (v as PlainTensor).dtype!;
      if (dtype && vd !== dtype) {
        throw new Error(`${who}: operands mix float32 and float64; convert one with bp.ops.cast(x, '${dtype}')`);
      }
      dtype = vd;
    }
  }
  return dtype ?? 'float32';
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array [${v.slice(0, 4).map(String).join(', ')}${v.length > 4 ? ', ...' : ''}]`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  if (v instanceof Tensor) return `a tensor of shape [${v.shape}]`;
  return typeof v === 'string' ? `'${v}'` : typeof v === 'number' ? String(v) : typeof v;
}
