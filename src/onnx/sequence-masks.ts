/**
 * Sequence masks in the ONNX graph. In the model a mask travels beside the values (layer.ts): Embedding with
 * maskZero and Masking make one, per-step layers (Dense, Activation, Dropout, TimeDistributed,
 * LayerNormalization) pass it on untouched, and recurrent layers and GlobalAveragePooling1D use it (and end it,
 * but for recurrent layers with returnSequences). The exporter walks the model's calls and keeps each value's mask
 * beside it: before a call it makes the mask of the call's input current here, after it takes the current mask as
 * the output's. The exports that make, use or end masks set it; the per-step exports need not know about it, as
 * model.build already refused any layer that cannot take a masked input. A merge's output is masked where any
 * of its inputs is (Keras): the product of the inputs' 0/1 masks.
 *
 * A mask is written into the graph only when a layer uses it (a float [batch, steps] tensor of 0 and 1), so a
 * model whose mask reaches no layer that reads it has no dead mask nodes.
 */
import type { GraphBuilder } from './graph';

export interface PendingMask {
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

/** The current mask (opaque; undefined when none), to keep with a value. */
export function currentMask(g: GraphBuilder): PendingMask | undefined {
  return MASKS.get(g);
}

/** Makes `mask` (kept with a value) the current one. */
export function restoreMask(g: GraphBuilder, mask: PendingMask | undefined): void {
  if (mask) MASKS.set(g, mask);
  else MASKS.delete(g);
}

/** The mask of a merge of values with `masks`: real where every masked input is; undefined when none has one. */
export function mergedMask(g: GraphBuilder, masks: (PendingMask | undefined)[], stem: string): PendingMask | undefined {
  const present = masks.filter((m): m is PendingMask => m !== undefined);
  if (present.length <= 1) return present[0];
  return {
    make: () => present.map((m) => (m.name ??= m.make())).reduce((a, b) => g.node('Mul', [a, b], `${stem}/mask`)),
  };
}
