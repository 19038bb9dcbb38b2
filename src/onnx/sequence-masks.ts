/**
 * Sequence masks in the ONNX graph. In the model a mask travels beside the values (layer.ts): Embedding with
 * maskZero and Masking make one, per-step layers (Dense, Activation, Dropout, TimeDistributed,
 * LayerNormalization) pass it on untouched, and recurrent layers and GlobalAveragePooling1D use it (and end it,
 * but for recurrent layers with returnSequences). A Sequential model is a chain, so the graph has at most one
 * mask at a time: the one of the current value, kept here per graph. The exports that make, use or end masks
 * set it; the per-step exports need not know about it, as model.build already refused any layer that cannot
 * take a masked input.
 *
 * A mask is written into the graph only when a layer uses it (a float [batch, steps] tensor of 0 and 1), so a
 * model whose mask reaches no layer that reads it has no dead mask nodes.
 */
import type { GraphBuilder } from './graph';

interface PendingMask {
  make: () => string;
  name?: string;
}

const MASKS = new WeakMap<GraphBuilder, PendingMask>();

/** The mask of the current value from now on: `make` writes its nodes (once, when first read); null: none. */
export function setSequenceMask(g: GraphBuilder, make: (() => string) | null): void {
  if (make) MASKS.set(g, { make });
  else MASKS.delete(g);
}

/** Whether the current value carries a mask. */
export function hasSequenceMask(g: GraphBuilder): boolean {
  return MASKS.has(g);
}

/** The current value's mask ([batch, steps] float, 1 for real steps), written on first use; null when none. */
export function sequenceMask(g: GraphBuilder): string | null {
  const pending = MASKS.get(g);
  if (!pending) return null;
  pending.name ??= pending.make();
  return pending.name;
}

/** Runs `write` (a wrapped layer's export) with the mask state left as it was before. */
export function keepingSequenceMask<T>(g: GraphBuilder, write: () => T): T {
  const saved = MASKS.get(g);
  try {
    return write();
  } finally {
    if (saved) MASKS.set(g, saved);
    else MASKS.delete(g);
  }
}
