/**
 * Where every op lands: recorded as a node of the active trace when it works on traced tensors (or variables
 * while a trace is active), else computed now on the current backend, and recorded on the active tapes.
 */
import { backend } from '../backend/select';
import { gradRule } from './grad-registry';
import { ALIAS_PRIMS, makeLaunch, opName, type NodeSpec } from './prims';
import { recordNode, taping } from './tape';
import type { TapeNode } from './tape-node';
import { Tensor, floatCtor, sizeOf } from './tensor';
import { traceFor } from './trace';

/** An op call on the tape: its VJP is the gradient table's rule for it. */
class OpNode implements TapeNode {
  readonly outputs: readonly Tensor[];
  constructor(
    readonly spec: NodeSpec,
    readonly inputs: readonly Tensor[],
    readonly output: Tensor,
  ) {
    this.outputs = [output];
  }
  vjp(dys: readonly (Tensor | null)[]): readonly (Tensor | null)[] {
    const dy = dys[0];
    if (!dy) return this.inputs.map(() => null);
    return gradRule(opName(this.spec))({ spec: this.spec, inputs: this.inputs, output: this.output, dy });
  }
}

/** Applies primitive `spec` to `inputs` (see the file comment). `who` names the public op in errors. */
export function apply(who: string, spec: NodeSpec, inputs: readonly Tensor[]): Tensor {
  const trace = traceFor(inputs, who);
  if (trace) return trace.addNode(spec, inputs, who);
  let out;
  if (ALIAS_PRIMS.has(spec.prim)) out = inputs[0].data;
  else {
    out = new (floatCtor(spec.dtype))(sizeOf(spec.shape));
    const bufs = [...inputs.map((t) => t.data), out];
    makeLaunch(
      spec,
      inputs.map((_, i) => i),
      inputs.length,
    ).run(backend(), bufs);
  }
  const t = new Tensor(out, spec.shape, spec.dtype);
  if (taping() && spec.prim !== 'stopGradient') recordNode(new OpNode(spec, inputs, t));
  return t;
}
