/**
 * The planner: turns a trace (forward nodes, and the backward nodes derived from them) into a schedule of kernel
 * launches over buffers planned once.
 *
 * 1. Dead code: only nodes some requested value depends on are kept; the backward pass has two schedules, with and
 *    without the nodes that only the inputs' gradients need (a first layer needs no dx).
 * 2. Fusion: a unary op whose input is made by a unary or broadcasting binary op of the same pass, and read by
 *    nothing else (no later op, no gradient, not an output), becomes a step of that op's chain: the two run as one
 *    pass over memory (e.g. add(matMul(x, w), b) → relu, sub → square, sub → exp of softmax). The gradient table
 *    writes relu, sigmoid, tanh, exp, sqrt and rsqrt's gradients from their outputs so their inputs can fuse away.
 *    Bits are unchanged: each step of a chain rounds to the dtype, as a separate op would.
 * 3. Buffers by liveness: every value computed gets a region of one arena (a SharedArrayBuffer, so large ops may run
 *    off the main thread), reused once its last reader has run; an elementwise op may write over an input it is the
 *    last reader of (in place). Reshapes and stopGradient alias their input. Values read after the program ran (its
 *    outputs, the inputs' gradients) live to the end. Inputs, parameters and constants are bound, not copied.
 */
import type { DType, FloatArray } from '../backend/ops';
import { floatArray } from '../backend/memory';
import { MAX_CHAIN } from '../backend/elementwise';
import { ALIAS_PRIMS, makeLaunch, type Launch, type NodeSpec, type UnaryStep } from './prims';
import { sizeOf } from './tensor';
import type { Trace } from './trace';

/** What the caller needs from the plan. */
export interface PlanRequest {
  /** Values the forward pass must leave readable (the outputs). */
  forwardOutputs: number[];
  /** Values the backward pass must leave readable or write to bound arrays; `dxOnly` ones are skipped without dx. */
  backwardOutputs: { id: number; dxOnly: boolean }[];
  /** Values written into arrays bound at run time (gradients of parameters, of a loss). */
  bound: Set<number>;
}

export interface PlannedNode {
  readonly spec: NodeSpec;
  readonly inputs: readonly number[];
  readonly output: number;
  readonly phase: 'forward' | 'backward';
  readonly launch: Launch;
}

export interface Plan {
  forward: PlannedNode[];
  /** The backward pass with the inputs' gradients, and without them. */
  backward: PlannedNode[];
  backwardNoDx: PlannedNode[];
  /** An array per value: arena views, constants; inputs, parameters and bound values are set at run time. */
  bufs: FloatArray[];
  /** [alias, base] pairs, in order: set bufs[alias] = bufs[base] after binding. */
  aliases: [number, number][];
  /** Values of the arena, in elements. */
  arenaSize: number;
  /** Nodes fused away (for tests and the closing note). */
  fused: number;
  /** Chains the fusion made: the op names of each fused node, for tests and the docs. */
  chains: string[][];
}

interface WorkNode {
  spec: NodeSpec;
  inputs: number[];
  output: number;
  phase: 'forward' | 'backward';
}

const ALIGN = 16;

export function plan(trace: Trace, req: PlanRequest, names: (spec: NodeSpec) => string): Plan {
  const values = trace.values;
  let nodes: WorkNode[] = trace.nodes.map((n) => ({
    spec: n.spec,
    inputs: [...n.inputs],
    output: n.output,
    phase: n.phase,
  }));
  const producer = (list: WorkNode[]) => {
    const p = new Map<number, WorkNode>();
    for (const n of list) p.set(n.output, n);
    return p;
  };

  // 1. Dead code: what the requested values need.
  const needed = (roots: number[], list: WorkNode[]): Set<WorkNode> => {
    const by = producer(list);
    const keep = new Set<WorkNode>();
    const stack = [...roots];
    while (stack.length) {
      const n = by.get(stack.pop()!);
      if (!n || keep.has(n)) continue;
      keep.add(n);
      stack.push(...n.inputs);
    }
    return keep;
  };
  const allRoots = [...req.forwardOutputs, ...req.backwardOutputs.map((o) => o.id)];
  nodes = nodes.filter((n) => needed(allRoots, nodes).has(n));

  // 2. Fusion.
  const fusedChains: string[][] = [];
  let fusedCount = 0;
  const chainOf = new Map<WorkNode, string[]>();
  for (;;) {
    const readers = new Map<number, number>();
    for (const n of nodes) for (const i of n.inputs) readers.set(i, (readers.get(i) ?? 0) + 1);
    const by = producer(nodes);
    const u = nodes.find((n) => {
      if (n.spec.prim !== 'unary' || n.spec.attrs.post?.length) return false;
      const v = n.inputs[0];
      const p = by.get(v);
      if (!p || (p.spec.prim !== 'unary' && p.spec.prim !== 'binary') || p.phase !== n.phase) return false;
      if (readers.get(v) !== 1 || allRoots.includes(v) || req.bound.has(v)) return false;
      const steps = (p.spec.prim === 'unary' ? 1 : 0) + (p.spec.attrs.post?.length ?? 0);
      return steps < MAX_CHAIN && p.spec.dtype === n.spec.dtype;
    });
    if (!u) break;
    const p = by.get(u.inputs[0])!;
    const step: UnaryStep = { code: u.spec.attrs.code!, p: u.spec.attrs.p ?? 0, q: u.spec.attrs.q ?? 0 };
    p.spec = { ...p.spec, attrs: { ...p.spec.attrs, post: [...(p.spec.attrs.post ?? []), step] }, shape: u.spec.shape };
    p.output = u.output;
    const chain = chainOf.get(p) ?? [names({ ...p.spec, attrs: { ...p.spec.attrs, post: [] } })];
    chain.push(names(u.spec));
    chainOf.set(p, chain);
    nodes = nodes.filter((n) => n !== u);
    fusedCount++;
  }
  for (const c of chainOf.values()) fusedChains.push(c);

  // The three schedules.
  const forward = nodes.filter((n) => n.phase === 'forward');
  const backwardAll = nodes.filter((n) => n.phase === 'backward');
  const noDxRoots = req.backwardOutputs.filter((o) => !o.dxOnly).map((o) => o.id);
  const noDxNeeded = needed(noDxRoots, nodes);
  const backwardNoDx = backwardAll.filter((n) => noDxNeeded.has(n));
  const order = [...forward, ...backwardAll];

  // 3. Buffers. Storage groups: an alias shares its base's storage.
  const base = (id: number): number => {
    const n = producerAll.get(id);
    return n && ALIAS_PRIMS.has(n.spec.prim) ? base(n.inputs[0]) : id;
  };
  const producerAll = producer(order);
  const external = (id: number) => values[id].kind !== 'node' || req.bound.has(id);
  const lastUse = new Map<number, number>();
  order.forEach((n, i) => {
    for (const v of n.inputs) lastUse.set(base(v), i);
  });
  const END = order.length;
  for (const r of allRoots) lastUse.set(base(r), END);

  const dtype: DType = values.find((v) => v.kind === 'node')?.dtype ?? 'float32';
  const regions = new Map<number, { off: number; len: number }>();
  // Free regions, first fit; the arena grows at the end.
  const free: { off: number; len: number }[] = [];
  let arenaSize = 0;
  const allocate = (len: number): { off: number; len: number } => {
    const need = Math.ceil(len / ALIGN) * ALIGN || ALIGN;
    const i = free.findIndex((f) => f.len >= need);
    if (i >= 0) {
      const f = free[i];
      const r = { off: f.off, len: need };
      if (f.len === need) free.splice(i, 1);
      else free[i] = { off: f.off + need, len: f.len - need };
      return r;
    }
    const r = { off: arenaSize, len: need };
    arenaSize += need;
    return r;
  };
  const release = (r: { off: number; len: number }) => {
    free.push(r);
    free.sort((a, b) => a.off - b.off);
    for (let i = free.length - 2; i >= 0; i--) {
      if (free[i].off + free[i].len === free[i + 1].off) {
        free[i].len += free[i + 1].len;
        free.splice(i + 1, 1);
      }
    }
  };
  const inPlace = new Set(['unary', 'binary', 'select']);
  const assigned = new Map<number, { off: number; len: number }>();
  order.forEach((n, i) => {
    const out = n.output;
    if (!ALIAS_PRIMS.has(n.spec.prim) && !external(out)) {
      const len = sizeOf(values[out].shape);
      // Over an input this node reads last, of the same length and not broadcast: in place.
      let reuse: number | undefined;
      if (inPlace.has(n.spec.prim)) {
        reuse = n.inputs.find(
          (v, j) =>
            !external(base(v)) &&
            regions.has(base(v)) &&
            lastUse.get(base(v)) === i &&
            sizeOf(values[v].shape) === len &&
            n.spec.inputShapes[j].length === n.spec.shape.length &&
            (n.spec.prim !== 'unary' || j === 0),
        );
      }
      if (reuse !== undefined) {
        regions.set(out, regions.get(base(reuse))!);
        regions.delete(base(reuse));
        lastUse.set(base(reuse), -1);
      } else regions.set(out, allocate(len));
      assigned.set(out, { ...regions.get(out)! });
    }
    // Inputs read for the last time here free their storage (after the output took its own).
    for (const v of new Set(n.inputs.map(base))) {
      if (lastUse.get(v) === i && regions.has(v)) {
        release(regions.get(v)!);
        regions.delete(v);
      }
    }
    // An output nobody reads (kept only for its side in a fused chain) is freed at once.
    if (!lastUse.has(base(out)) && regions.has(out)) {
      release(regions.get(out)!);
      regions.delete(out);
    }
  });
  const arena = floatArray(dtype, arenaSize);
  const bufs: FloatArray[] = new Array(values.length);
  for (const [id, r] of assigned) bufs[id] = arena.subarray(r.off, r.off + sizeOf(values[id].shape));
  for (const v of values) if (v.kind === 'const') bufs[v.id] = v.data!;
  const aliases: [number, number][] = [];
  for (const n of order) if (ALIAS_PRIMS.has(n.spec.prim)) aliases.push([n.output, n.inputs[0]]);

  // One launch per node, shared by the schedules that run it.
  const launched = new Map<WorkNode, PlannedNode>();
  const planned = (list: WorkNode[]): PlannedNode[] =>
    list.map((n) => {
      let p = launched.get(n);
      if (!p) {
        const launch = ALIAS_PRIMS.has(n.spec.prim) ? { run: () => {} } : makeLaunch(n.spec, n.inputs, n.output);
        p = { spec: n.spec, inputs: n.inputs, output: n.output, phase: n.phase, launch };
        launched.set(n, p);
      }
      return p;
    });
  return {
    forward: planned(forward),
    backward: planned(backwardAll),
    backwardNoDx: planned(backwardNoDx),
    bufs,
    aliases,
    arenaSize,
    fused: fusedCount,
    chains: fusedChains,
  };
}
