/**
 * Traced programs: a function of tensors traced once for given input shapes (trace.ts), differentiated by the
 * gradient table into backward nodes (backprop.ts over the trace's forward nodes), and planned (planner.ts) into
 * kernel launches over buffers made once. Running it binds the inputs, the parameters' current arrays and the arrays
 * gradients go to, then runs the launches: after the first run, forward and backward allocate nothing. With an
 * off-main-thread backend, large launches (matMul) run off the main thread in the async variants.
 */
import type { Backend, DType, FloatArray } from '../backend/ops';
import { Unary } from '../backend/elementwise';
import { backprop } from './backprop';
import { gradRule } from './grad-registry';
import * as ops from './ops';
import { plan, type Plan, type PlannedNode } from './planner';
import { ALIAS_PRIMS, macsOf, opName } from './prims';
import type { TapeNode } from './tape-node';
import { Tensor, Variable } from './tensor';
import { Trace, type TraceNode } from './trace';

export interface CompileOptions {
  /** Shapes and dtype of the function's inputs. */
  inputs: { shape: number[]; dtype: DType }[];
  /** Per input: whether backward computes its gradient (`dx`). */
  gradInputs?: boolean[];
  /** Whether backward computes the gradients of the trainable variables the function uses (into their weights). */
  gradParams?: boolean;
  /**
   * How backward is seeded: 'input' (one gradient array per output, given to backward), 'scalar' (the single output
   * is a scalar loss: its gradient is 1), or 'none' (forward only).
   */
  seed: 'input' | 'scalar' | 'none';
  /** Names the function in errors ("Layer 'my_dense' call()"). */
  who: string;
}

/** The traced forward nodes as TapeNodes: the table's rule, or a customGrad node's own VJP. */
function tapeNodes(trace: Trace, nodes: readonly TraceNode[]): TapeNode[] {
  return nodes.map((n) => {
    const inputs = n.inputs.map((i) => trace.tensor(i));
    const output = trace.tensor(n.output);
    return {
      inputs: n.diffInputs ? n.diffInputs.map((i) => trace.tensor(i)) : inputs,
      outputs: [output],
      vjp: (dys: readonly (Tensor | null)[]) => {
        if (n.vjp) return n.vjp(dys);
        const dy = dys[0];
        if (!dy) return inputs.map(() => null);
        return gradRule(opName(n.spec))({ spec: n.spec, inputs, output, dy });
      },
    };
  });
}

export class Program {
  /** Output shapes. */
  readonly outputShapes: number[][];
  /** The trainable variables whose gradients backward writes. */
  readonly params: readonly Variable[];
  private readonly plan: Plan;
  private readonly inputIds: number[];
  private readonly seedIds: number[];
  private readonly outputIds: number[];
  private readonly inputGradIds: (number | null)[];
  private readonly paramIds: { variable: Variable; id: number }[];
  /** Each parameter's gradient value, and the value bound to its weight's gradient array (the alias base). */
  private readonly paramGradIds: { variable: Variable; id: number | null; bindId?: number }[];
  private readonly outputs: FloatArray[];
  private readonly inputGrads: (FloatArray | null)[];

  constructor(
    fn: (...xs: Tensor[]) => Tensor | Tensor[],
    private readonly options: CompileOptions,
  ) {
    const { who } = options;
    const trace = new Trace();
    const xs = options.inputs.map((i) => trace.input(i.shape, i.dtype));
    const result = trace.run(() => fn(...xs));
    const outs = (Array.isArray(result) ? result : [result]).map((t, i) => {
      if (!(t instanceof Tensor))
        throw new Error(`${who}: must return a tensor (or tensors), got output ${i}: ${typeof t}`);
      return t;
    });
    if (options.seed === 'scalar' && (outs.length !== 1 || outs[0].rank !== 0)) {
      throw new Error(`internal: a scalar-seeded program returns one scalar`);
    }
    const outIds = outs.map((t) => trace.valueOf(t, who));
    this.outputShapes = outs.map((t) => [...t.shape]);
    const forwardNodes = [...trace.nodes];
    const paramValues = trace.values.filter((v) => v.kind === 'param' && v.variable!.trainable);
    this.paramIds = trace.values.filter((v) => v.kind === 'param').map((v) => ({ variable: v.variable!, id: v.id }));

    // The backward pass: derived with the gradient table over traced tensors, recorded as backward nodes.
    let inputGradIds: (number | null)[] = xs.map(() => null);
    let paramGradIds: { variable: Variable; id: number | null; bindId?: number }[] = [];
    const bound = new Set<number>();
    this.seedIds = [];
    if (options.seed !== 'none') {
      trace.phase = 'backward';
      trace.run(() => {
        const seeds =
          options.seed === 'scalar'
            ? [ops.onesLike(outs[0])]
            : outs.map((o) => {
                const s = trace.input(o.shape, o.dtype);
                this.seedIds.push(s.traced!.value);
                return s;
              });
        const wantX = xs.filter((_, i) => options.gradInputs?.[i]);
        const params = options.gradParams ? paramValues.map((v) => trace.tensor(v.id)) : [];
        const grads = backprop(tapeNodes(trace, forwardNodes), outs, seeds, [...wantX, ...params]);
        let k = 0;
        inputGradIds = xs.map((x, i) => {
          if (!options.gradInputs?.[i]) return null;
          const g = grads[k++] ?? ops.zerosLike(x);
          return trace.valueOf(g, who);
        });
        paramGradIds = params.map((p, j) => {
          const g = grads[k + j];
          return { variable: paramValues[j].variable!, id: g ? trace.valueOf(g, who) : null };
        });
        // A parameter's gradient is written straight into its weight's gradient array: the node computing it (or
        // the base of the reshapes it is) writes there. When that node's output is not its own (an input, a value
        // the forward pass returns, another parameter's gradient), a copy node writes it instead.
        const baseOf = (id: number): number => {
          const producer = trace.values[id].producer;
          const n = producer !== undefined ? trace.nodes[producer] : undefined;
          return n && ALIAS_PRIMS.has(n.spec.prim) ? baseOf(n.inputs[0]) : id;
        };
        const writable = (id: number) => {
          const producer = trace.values[id].producer;
          return (
            producer !== undefined &&
            trace.nodes[producer].phase === 'backward' &&
            !bound.has(id) &&
            !outIds.includes(id)
          );
        };
        paramGradIds = paramGradIds.map((p) => {
          if (p.id === null || !p.variable.weight?.grad) return p;
          let id = p.id;
          if (!writable(baseOf(id))) id = ops.mul(trace.tensor(id), 1).traced!.value;
          bound.add(baseOf(id));
          return { ...p, id, bindId: baseOf(id) };
        });
        // The inputs' gradients live in the program's buffers; one that is not computed there (dy itself) is copied.
        inputGradIds = inputGradIds.map((id) =>
          id === null || trace.values[id].kind === 'node' ? id : ops.mul(trace.tensor(id), 1).traced!.value,
        );
      });
    }
    this.inputIds = xs.map((x) => x.traced!.value);
    this.outputIds = outIds;
    this.inputGradIds = inputGradIds;
    this.paramGradIds = paramGradIds;
    this.params = paramGradIds.map((p) => p.variable);
    this.plan = plan(
      trace,
      {
        forwardOutputs: outIds,
        backwardOutputs: [
          ...inputGradIds.filter((id): id is number => id !== null).map((id) => ({ id, dxOnly: true })),
          ...paramGradIds.filter((p) => p.id !== null).map((p) => ({ id: p.id!, dxOnly: false })),
        ],
        bound,
      },
      opName,
    );
    this.outputs = this.outputIds.map((id) => this.plan.bufs[id]);
    this.inputGrads = this.inputGradIds.map((id) => (id === null ? null : (this.plan.bufs[id] ?? null)));
  }

  /** Launches per pass and what fusion did (for tests and benchmarks). */
  get stats(): {
    forward: number;
    backward: number;
    fused: number;
    chains: string[][];
    arenaSize: number;
    macs: number;
  } {
    const p = this.plan;
    const kernels = (list: PlannedNode[]) => list.filter((n) => !ALIAS_PRIMS.has(n.spec.prim)).length;
    return {
      forward: kernels(p.forward),
      backward: kernels(p.backward),
      fused: p.fused,
      chains: p.chains,
      arenaSize: p.arenaSize,
      macs: p.forward.reduce((sum, n) => sum + macsOf(n.spec), 0),
    };
  }

  /** Sets the input arrays and the parameters' current arrays, then resolves aliases. */
  private bind(inputs: readonly FloatArray[]): void {
    const bufs = this.plan.bufs;
    for (let i = 0; i < this.inputIds.length; i++) {
      const a = inputs[i];
      if (a.length !== sizeOfShape(this.options.inputs[i].shape)) {
        throw new Error(
          `${this.options.who}: input ${i} has ${a.length} values but the program was traced for ` +
            `[${this.options.inputs[i].shape}]`,
        );
      }
      bufs[this.inputIds[i]] = a;
    }
    for (let i = 0; i < this.paramIds.length; i++) bufs[this.paramIds[i].id] = this.paramIds[i].variable.data;
    this.resolveAliases();
  }

  private resolveAliases(): void {
    const bufs = this.plan.bufs;
    const al = this.plan.aliases;
    for (let i = 0; i < al.length; i++) bufs[al[i][0]] = bufs[al[i][1]];
  }

  /** Runs the forward pass on `inputs`; returns the output arrays (valid until the next run). */
  forward(b: Backend, inputs: readonly FloatArray[]): readonly FloatArray[] {
    this.bind(inputs);
    run(b, this.plan.forward, this.plan.bufs);
    this.refreshOutputs();
    return this.outputs;
  }

  async forwardAsync(b: Backend, inputs: readonly FloatArray[]): Promise<readonly FloatArray[]> {
    this.bind(inputs);
    await runAsync(b, this.plan.forward, this.plan.bufs);
    this.refreshOutputs();
    return this.outputs;
  }

  private refreshOutputs(): void {
    for (let i = 0; i < this.outputIds.length; i++) this.outputs[i] = this.plan.bufs[this.outputIds[i]];
  }

  /**
   * After forward: the backward pass, seeded with `dys` (one per output; none for a scalar loss). Writes the
   * parameters' gradients into their weights' gradient arrays (zeros for a parameter the output does not depend
   * on), and returns the inputs' gradients (null where not requested, or all null without `needDx`).
   */
  backward(b: Backend, dys: readonly FloatArray[], needDx = true): readonly (FloatArray | null)[] {
    this.bindBackward(dys);
    run(b, needDx ? this.plan.backward : this.plan.backwardNoDx, this.plan.bufs);
    return this.finishBackward(b, needDx);
  }

  async backwardAsync(b: Backend, dys: readonly FloatArray[], needDx = true): Promise<readonly (FloatArray | null)[]> {
    this.bindBackward(dys);
    await runAsync(b, needDx ? this.plan.backward : this.plan.backwardNoDx, this.plan.bufs);
    return this.finishBackward(b, needDx);
  }

  private bindBackward(dys: readonly FloatArray[]): void {
    const bufs = this.plan.bufs;
    for (let i = 0; i < this.seedIds.length; i++) bufs[this.seedIds[i]] = dys[i];
    for (let i = 0; i < this.paramGradIds.length; i++) {
      const p = this.paramGradIds[i];
      const g = p.variable.weight?.grad;
      if (p.bindId !== undefined && g) bufs[p.bindId] = g;
    }
    this.resolveAliases();
  }

  private finishBackward(b: Backend, needDx: boolean): readonly (FloatArray | null)[] {
    for (let i = 0; i < this.paramGradIds.length; i++) {
      const p = this.paramGradIds[i];
      const g = p.variable.weight?.grad;
      if (p.id === null && g && g.length)
        b.unary(FILL, ZERO_PARAMS[g instanceof Float64Array ? 1 : 0], g, g, g.length, 1);
    }
    for (let i = 0; i < this.inputGradIds.length; i++) {
      const id = this.inputGradIds[i];
      this.inputGrads[i] = needDx && id !== null ? this.plan.bufs[id] : null;
    }
    return this.inputGrads;
  }

  /** A parameter's gradient from the last backward, for variables without a weight (bp.variable). */
  paramGrad(v: Variable): FloatArray | null {
    const p = this.paramGradIds.find((q) => q.variable === v);
    return p && p.id !== null ? this.plan.bufs[p.id] : null;
  }
}

const FILL = Int32Array.of(Unary.fill);
const ZERO_PARAMS = [new Float32Array(2), new Float64Array(2)];

function sizeOfShape(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function run(b: Backend, nodes: readonly PlannedNode[], bufs: FloatArray[]): void {
  for (let i = 0; i < nodes.length; i++) nodes[i].launch.run(b, bufs);
}

async function runAsync(b: Backend, nodes: readonly PlannedNode[], bufs: FloatArray[]): Promise<void> {
  for (let i = 0; i < nodes.length; i++) {
    const l = nodes[i].launch;
    const p = l.runAsync?.(b, bufs);
    if (p) await p;
    else l.run(b, bufs);
  }
}

/** A function traced once, forward only and unplanned (for exporters that translate its nodes). */
export interface ForwardTrace {
  readonly trace: Trace;
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
}

/** Traces `fn` for the given inputs (see Program), without differentiating or planning it. */
export function traceForward(
  fn: (...xs: Tensor[]) => Tensor | Tensor[],
  inputs: { shape: number[]; dtype: DType }[],
  who: string,
): ForwardTrace {
  const trace = new Trace();
  const xs = inputs.map((i) => trace.input(i.shape, i.dtype));
  const result = trace.run(() => fn(...xs));
  const outs = (Array.isArray(result) ? result : [result]).map((t, i) => {
    if (!(t instanceof Tensor))
      throw new Error(`${who}: must return a tensor (or tensors), got output ${i}: ${typeof t}`);
    return trace.valueOf(t, who);
  });
  return { trace, inputs: xs.map((x) => x.traced!.value), outputs: outs };
}
