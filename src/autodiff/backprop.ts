/**
 * Reverse-mode differentiation over a list of TapeNodes in the order they ran (the eager tape's, or a traced
 * program's forward nodes): gradients flow from the roots back through every node on a path from a source to a
 * root, each node's VJP mapping its outputs' gradients to its inputs'; contributions to one tensor are summed, in the
 * reverse order of the nodes (a fixed order: the same program gives the same bits).
 */
import * as ops from './ops';
import './grad-table';
import type { TapeNode } from './tape-node';
import type { Tensor } from './tensor';

/** The gradient of the roots (seeded with `dys`) with respect to each source (null: it does not depend on it). */
export function backprop(
  nodes: readonly TapeNode[],
  roots: readonly Tensor[],
  dys: readonly Tensor[],
  sources: readonly Tensor[],
): (Tensor | null)[] {
  // Nodes that depend on a source (forward), then those that also lead to a root (backward).
  const fromSource = new Set<Tensor>(sources);
  const live: boolean[] = nodes.map((n) => {
    const on = n.inputs.some((t) => fromSource.has(t));
    if (on) for (const t of n.outputs) fromSource.add(t);
    return on;
  });
  const grads = new Map<Tensor, Tensor>();
  roots.forEach((r, i) => accumulate(grads, r, dys[i]));
  for (let i = nodes.length - 1; i >= 0; i--) {
    if (!live[i]) continue;
    const node = nodes[i];
    const outs = node.outputs.map((t) => grads.get(t) ?? null);
    if (outs.every((d) => d === null)) continue;
    const gs = node.vjp(outs);
    node.inputs.forEach((t, j) => {
      const gj = gs[j];
      if (!gj || !fromSource.has(t)) return;
      if (gj.shape.join(',') !== t.shape.join(',') || gj.dtype !== t.dtype) {
        throw new Error(
          `gradient: a node returned a gradient of shape [${gj.shape}] (${gj.dtype}) for an input of shape ` +
            `[${t.shape}] (${t.dtype}); a VJP must return one gradient per input, shaped like it`,
        );
      }
      accumulate(grads, t, gj);
    });
  }
  return sources.map((s) => grads.get(s) ?? null);
}

function accumulate(grads: Map<Tensor, Tensor>, t: Tensor, g: Tensor): void {
  const prev = grads.get(t);
  grads.set(t, prev ? ops.add(prev, g) : g);
}
