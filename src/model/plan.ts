/**
 * A model compiled into a static plan: numbered slots (the values flowing between calls), calls in execution
 * order, and which work backward needs. The engine (engine.ts) runs a plan; this file decides it once per model
 * change (layers added, trainable flags, loss), never per step.
 *
 * - A slot is a model input or the output of one call. Its gradient comes from its consumers (the calls that read
 *   it and need its gradient) and, for a model output, from the loss. One contribution is used as it is, with
 *   no copy (a Sequential chain has only such slots: the same work per step as a plain loop); several are summed
 *   in a fixed order into an accumulator the slot owns, so training stays bit-reproducible.
 * - A call runs backward when it has trainable weights or an input whose gradient something trainable needs;
 *   `needDx` says which inputs. A frozen base therefore costs forward work only.
 * - A layer applied several times (shared) runs its later calls on replicas: layers of the same config that use
 *   the primary's weight values but own their buffers and gradients; after backward their gradients are added
 *   into the primary's, in call order.
 * - An output fuses the loss with its layer's activation (softmax/sigmoid + cross-entropy) when nothing else reads
 *   that output.
 */
import type { Layer } from '../layers/layer';
import type { Shape } from '../layers/shape';
import { shapeSize } from '../layers/shape';
import type { Loss, Param } from '../training/contracts';

/** One call as the model's graph states it (before replicas and backward needs are decided). */
export interface GraphCall {
  layer: Layer;
  inputs: number[];
  output: number;
}

/** The flat graph of a model: slots by per-sample shape, nested models inlined. */
export interface FlatGraph {
  slotShapes: Shape[];
  inputSlots: number[];
  calls: GraphCall[];
  outputSlots: number[];
}

/** Collects slots and calls; models expand themselves into it (nested models inline their own calls). */
export class GraphBuilder {
  readonly slotShapes: Shape[] = [];
  readonly calls: GraphCall[] = [];

  addSlot(shape: Shape): number {
    this.slotShapes.push([...shape]);
    return this.slotShapes.length - 1;
  }

  /** Adds a call of `layer` on `inputs` and returns its output slot. */
  call(layer: Layer, inputs: number[]): number {
    const shape = layer.computeOutputShapeFor(inputs.map((s) => this.slotShapes[s]));
    const output = this.addSlot(shape);
    this.calls.push({ layer, inputs, output });
    return output;
  }
}

export interface PlanSlot {
  shape: Shape;
  /** Values per sample. */
  size: number;
  /** The call computing it, or -1 for a model input. */
  producer: number;
  /** How many contributions its gradient receives per step (0: not needed). */
  gradUses: number;
  /** Whether its gradient is needed (something trainable lies upstream). */
  needsGrad: boolean;
  /** Whether it carries a sequence mask. */
  masked: boolean;
  /** How many call inputs read it. */
  readers: number;
}

export interface PlanCall {
  /** The layer run: the primary, or a replica for a shared layer's later calls. */
  layer: Layer;
  /** The layer owning the weights (the layer itself unless a replica). */
  primary: Layer;
  inputs: number[];
  output: number;
  multi: boolean;
  needDx: boolean[];
  /** Any needDx. */
  anyDx: boolean;
  /** Whether backward runs at all. */
  backward: boolean;
  /** Whether dy arrives as the gradient before the layer's output activation (fused loss). */
  lossFused: boolean;
  /** Per-step scratch for multi-input calls, allocated once. */
  xs: Float32Array[] | Float64Array[];
  masks: (Float32Array | Float64Array | null)[];
  dxs: (Float32Array | Float64Array | null)[];
}

export interface PlanOutput {
  slot: number;
  /** Whether the loss reads the producer's pre-activation (fused softmax/sigmoid + cross-entropy). */
  fused: boolean;
  /** The call producing it (-1 when the output is a model input). */
  producer: number;
}

export interface Plan {
  slots: PlanSlot[];
  calls: PlanCall[];
  inputSlots: number[];
  outputs: PlanOutput[];
  /** [replica, primary] pairs (a shared layer's later calls). */
  replicas: [Layer, Layer][];
  /** The replicas' trainable weights, each with the primary's weight its gradient is added into. */
  sharedGrads: { into: Param; from: Param }[];
  hasReplicas: boolean;
  /** Whether every call with trainable weights can fold a plain SGD update into its backward. */
  canFoldSgd: boolean;
}

/**
 * Compiles `graph` into a plan. `replicaOf(layer, inputShapes)` makes (and builds) a replica for a later call of
 * a shared layer. `losses` are the compiled losses per output (undefined entries: not compiled).
 */
export function compilePlan(
  graph: FlatGraph,
  losses: readonly (Loss | undefined)[],
  replicaOf: (layer: Layer, inputShapes: Shape[]) => Layer,
): Plan {
  const slots: PlanSlot[] = graph.slotShapes.map((shape) => ({
    shape,
    size: shapeSize(shape),
    producer: -1,
    gradUses: 0,
    needsGrad: false,
    masked: false,
    readers: 0,
  }));
  const seen = new Map<Layer, number>();
  const replicas: [Layer, Layer][] = [];
  const calls: PlanCall[] = graph.calls.map((c, i) => {
    const times = seen.get(c.layer) ?? 0;
    seen.set(c.layer, times + 1);
    let layer = c.layer;
    if (times > 0) {
      layer = replicaOf(
        c.layer,
        c.inputs.map((s) => slots[s].shape),
      );
      replicas.push([layer, c.layer]);
    }
    slots[c.output].producer = i;
    for (const s of c.inputs) slots[s].readers++;
    const multi = c.layer.multiInput;
    const n = c.inputs.length;
    // Masks: which slots carry one follows from the layers alone (maskFlow throws, naming the layer, when a
    // layer cannot take a masked input).
    slots[c.output].masked = multi
      ? layer.maskFlowMany(c.inputs.map((s) => slots[s].masked))
      : layer.maskFlow(slots[c.inputs[0]].masked);
    // Gradients: a slot needs one when its producer has trainable weights or reads a slot that needs one.
    const trainable = c.layer.params().length > 0;
    const needDx = c.inputs.map((s) => slots[s].needsGrad);
    const anyDx = needDx.some((v) => v);
    slots[c.output].needsGrad = trainable || anyDx;
    return {
      layer,
      primary: c.layer,
      inputs: [...c.inputs],
      output: c.output,
      multi,
      needDx,
      anyDx,
      backward: trainable || anyDx,
      lossFused: false,
      xs: new Array(n),
      masks: new Array(n).fill(null),
      dxs: new Array(n).fill(null),
    } as PlanCall;
  });
  const outputs: PlanOutput[] = graph.outputSlots.map((slot, o) => {
    const producer = slots[slot].producer;
    const loss = losses[o];
    const call = producer >= 0 ? calls[producer] : undefined;
    // Fuse only when the loss is the output's only reader: the producer's backward then skips its activation
    // derivative, which another reader's gradient would still need.
    const fused =
      !!call &&
      !!loss?.fusedActivation &&
      !!loss.computeFromLogits &&
      slots[slot].readers === 0 &&
      !call.multi &&
      call.layer.outputActivation === loss.fusedActivation;
    if (fused) call!.lossFused = true;
    // An output without a loss (compile gave none for it) sends no gradient back.
    if (slots[slot].needsGrad && loss) slots[slot].gradUses++;
    return { slot, fused, producer };
  });
  // Backward, from the outputs: a call runs it when a gradient reaches its output and it has something to do
  // with it; then each input that needs a gradient receives one contribution.
  for (let i = calls.length - 1; i >= 0; i--) {
    const c = calls[i];
    c.backward = c.backward && slots[c.output].gradUses > 0;
    if (!c.backward) {
      c.needDx.fill(false);
      c.anyDx = false;
      continue;
    }
    c.needDx.forEach((need, k) => {
      if (need) slots[c.inputs[k]].gradUses++;
    });
  }
  const sharedGrads: { into: Param; from: Param }[] = [];
  for (const [replica, primary] of replicas) {
    const theirs = replica.weights().filter((p) => p.trainable !== false);
    primary.params().forEach((p, j) => sharedGrads.push({ into: p, from: theirs[j] }));
  }
  return {
    slots,
    calls,
    inputSlots: [...graph.inputSlots],
    outputs,
    replicas,
    sharedGrads,
    hasReplicas: replicas.length > 0,
    canFoldSgd: calls.every((c) => c.layer.canFoldSgd || c.layer.params().length === 0),
  };
}
