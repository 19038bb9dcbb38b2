/**
 * SimpleRNN → RNN, LSTM → LSTM, GRU → GRU (ONNX's recurrent ops, direction 'forward', one op per layer).
 *
 * - Layout: ONNX Runtime runs these ops time-major only (layout 1 is refused at load), so the input
 *   [batch, steps, features] is transposed to [steps, batch, features] and a returned sequence back.
 * - Weights: Keras kernel [features, k·units] (blocks side by side) → W [1, k·units, features], recurrent
 *   kernel likewise → R, bias → B = [Wb, Rb]. Blocks are reordered where ONNX's order differs: LSTM Keras
 *   i, f, c, o → ONNX i, o, f, c; GRU z, r, h is the same in both. GRU resetAfter: false ↔
 *   linear_before_reset 0 with Rb = 0 (its one bias is Wb); resetAfter: true ↔ linear_before_reset 1, its
 *   bias [2, 3·units] = [Wb; Rb]. unitForgetBias only initialises the bias: nothing to export.
 * - Activations: hardSigmoid with Keras' slope 0.2 and offset 0.5 (activation_alpha / activation_beta),
 *   linear as Affine(1, 0), elu with alpha 1; selu has no ONNX recurrent form (an error names the layer).
 * - goBackwards: the steps are reversed before the op, which then runs forwards — so the returned sequence
 *   comes last step first, as ours and Keras' do (ONNX's direction 'reverse' would put it back in time order).
 * - returnSequences false: the op's last state Y_h, squeezed.
 * - Masks: a padded step keeps the state, wherever it is (not only trailing padding, which is all ONNX's
 *   sequence_lens says). So the real steps of each sample are first moved to the front, in order (TopK of
 *   mask·steps + steps−1−t gives their positions, GatherND gathers them), and the op runs with sequence_lens =
 *   the number of real steps: its Y_h is the state after the last real step. A returned sequence is then read
 *   back per step t as the state after the real steps up to t (GatherND at CumSum(mask)−1; 0 before any). A
 *   sample with no real step would need sequence_lens 0, which the ONNX spec does not promise: it runs one
 *   step and its outputs are replaced by 0, the state it keeps in predict.
 */
import type { ActivationName } from '../../backend/ops';
import { GRU } from '../../layers/gru';
import { LSTM } from '../../layers/lstm';
import type { Recurrent } from '../../layers/recurrent';
import { SimpleRNN } from '../../layers/simple-rnn';
import type { GraphBuilder, OnnxValue } from '../graph';
import { layerExport } from '../layer-export';
import { sequenceMask, setSequenceMask } from '../sequence-masks';
import {
  cast,
  int64Scalar,
  layerWeight,
  multiOutputNode,
  ONNX_TYPE,
  reduce,
  reverseSteps,
  squeeze,
  unsqueeze,
  type NodeAttribute,
} from './sequence-nodes';

/** An activation as ONNX's recurrent ops name it, with the alpha and beta it takes (if any). */
interface RnnActivation {
  name: string;
  alpha?: number;
  beta?: number;
}

const RNN_ACTIVATIONS: Partial<Record<ActivationName, RnnActivation>> = {
  sigmoid: { name: 'Sigmoid' },
  tanh: { name: 'Tanh' },
  relu: { name: 'Relu' },
  softsign: { name: 'Softsign' },
  softplus: { name: 'Softplus' },
  hardSigmoid: { name: 'HardSigmoid', alpha: 0.2, beta: 0.5 },
  linear: { name: 'Affine', alpha: 1, beta: 0 },
  elu: { name: 'Elu', alpha: 1 },
};

function rnnActivation(act: ActivationName, key: string): RnnActivation {
  const a = RNN_ACTIVATIONS[act];
  if (!a) {
    throw new Error(
      `'${key}' ${act} has no form in ONNX's recurrent ops (they take ` +
        `${Object.keys(RNN_ACTIVATIONS).join(', ')}); retrain with one of those to export the model`,
    );
  }
  return a;
}

/**
 * The activations attributes: the names in order, and the alphas and betas of those that take them, in the
 * same order (ONNX Runtime reads each value for the next activation that uses one).
 */
function activationAttributes(acts: RnnActivation[]): Record<string, NodeAttribute> {
  const attrs: Record<string, NodeAttribute> = { activations: { strings: acts.map((a) => a.name) } };
  const alphas = acts.flatMap((a) => (a.alpha === undefined ? [] : [a.alpha]));
  const betas = acts.flatMap((a) => (a.beta === undefined ? [] : [a.beta]));
  if (alphas.length > 0) attrs.activation_alpha = { floats: alphas };
  if (betas.length > 0) attrs.activation_beta = { floats: betas };
  return attrs;
}

/** What differs between the three ops. */
interface OpSpec {
  op: 'RNN' | 'LSTM' | 'GRU';
  /** ONNX block j is Keras block order[j]. */
  order: number[];
  activations: RnnActivation[];
  attributes: Record<string, NodeAttribute>;
  /** The recurrent bias Rb ([k·units]), when the layer has one of its own (GRU resetAfter). */
  splitBias: boolean;
}

function opSpec(layer: Recurrent): OpSpec {
  const act = rnnActivation(layer.activation, 'activation');
  if (layer instanceof LSTM) {
    const rec = rnnActivation(layer.recurrentActivation, 'recurrentActivation');
    return { op: 'LSTM', order: [0, 3, 1, 2], activations: [rec, act, act], attributes: {}, splitBias: false };
  }
  if (layer instanceof GRU) {
    const rec = rnnActivation(layer.recurrentActivation, 'recurrentActivation');
    return {
      op: 'GRU',
      order: [0, 1, 2],
      activations: [rec, act],
      attributes: { linear_before_reset: { int: layer.resetAfter ? 1 : 0 } },
      splitBias: layer.resetAfter,
    };
  }
  if (layer instanceof SimpleRNN)
    return { op: 'RNN', order: [0], activations: [act], attributes: {}, splitBias: false };
  throw new Error(`no ONNX export for recurrent layers of class ${layer.className}`);
}

/** out[j·U + u][i] = m[i][order[j]·U + u]: a Keras [rows, k·U] matrix as an ONNX [1, k·U, rows] one. */
function onnxMatrix(m: ArrayLike<number>, rows: number, units: number, order: number[]): Float32Array {
  const k = order.length;
  const out = new Float32Array(k * units * rows);
  for (let j = 0; j < k; j++) {
    for (let u = 0; u < units; u++) {
      const col = order[j] * units + u;
      for (let i = 0; i < rows; i++) out[(j * units + u) * rows + i] = m[i * k * units + col];
    }
  }
  return out;
}

/** B = [Wb, Rb] ([1, 2·k·U]) from the Keras bias ([k·U], or [2, k·U] for GRU resetAfter), blocks reordered. */
function onnxBias(bias: ArrayLike<number>, units: number, spec: OpSpec): Float32Array {
  const k = spec.order.length;
  const out = new Float32Array(2 * k * units);
  for (let half = 0; half < (spec.splitBias ? 2 : 1); half++) {
    for (let j = 0; j < k; j++) {
      for (let u = 0; u < units; u++)
        out[half * k * units + j * units + u] = bias[half * k * units + spec.order[j] * units + u];
    }
  }
  return out;
}

/** The real steps of each sample moved to the front, in order, and how many there are. */
interface Compacted {
  x: string;
  /** [batch] float: real steps per sample. */
  count: string;
  /** [batch] int32: count, at least 1 (the op's sequence_lens). */
  lens: string;
}

function compact(g: GraphBuilder, x: string, mask: string, steps: number, stem: string): Compacted {
  const later = g.weight(
    `${stem}/steps_from_end`,
    [steps],
    Array.from({ length: steps }, (_, t) => steps - 1 - t),
  );
  const key = g.node(
    'Add',
    [g.node('Mul', [mask, g.scalar(`${stem}/steps`, steps)], `${stem}/real_first`), later],
    `${stem}/order_key`,
  );
  const [, order] = multiOutputNode(
    g,
    'TopK',
    [key, g.int64s(`${stem}/k`, [steps])],
    [`${stem}/order_keys`, `${stem}/order`],
    {
      axis: { int: 1 },
    },
  );
  const gathered = g.node('GatherND', [x, unsqueeze(g, order, [2], `${stem}/order`)], `${stem}/real_steps_first`, {
    batch_dims: { int: 1 },
  });
  const count = reduce(g, 'ReduceSum', mask, [1], false, `${stem}/real_steps`);
  const atLeastOne = g.node('Max', [count, g.scalar(`${stem}/one`, 1)], `${stem}/at_least_one`);
  return { x: gathered, count, lens: cast(g, atLeastOne, ONNX_TYPE.INT32, `${stem}/sequence_lens`) };
}

/** `y` where `real` (float, broadcast over the last axis after unsqueeze) is > 0, else 0. */
function zeroWhereNone(g: GraphBuilder, y: string, real: string, stem: string): string {
  const any = unsqueeze(g, g.node('Greater', [real, g.scalar(`${stem}/zero`, 0)], `${stem}/has_real`), [-1], stem);
  return g.node('Where', [any, y, g.scalar(`${stem}/zero_state`, 0)], `${stem}/masked_output`);
}

/**
 * The output of recurrent layer `layer` on `x` ([batch, steps, features], channels-last) with sequence mask
 * `mask` (or none): [batch, units], or [batch, steps, units] with returnSequences. Bidirectional calls it for
 * each direction.
 */
export function recurrentOutput(g: GraphBuilder, layer: Recurrent, x: string, mask: string | null): string {
  const spec = opSpec(layer);
  const stem = layer.weightScope ?? layer.name;
  const [steps, features] = layer.inputShape!;
  const units = layer.units;
  let input = x;
  let m = mask;
  if (layer.goBackwards) {
    input = reverseSteps(g, input, `${stem}/input`);
    if (m) m = reverseSteps(g, m, `${stem}/mask`);
  }
  const packed = m ? compact(g, input, m, steps, stem) : null;
  const timeMajor = g.node('Transpose', [packed?.x ?? input], `${stem}/time_major`, { perm: { ints: [1, 0, 2] } });
  const k = spec.order.length;
  const w = g.weight(
    `${stem}/kernel`,
    [1, k * units, features],
    onnxMatrix(layerWeight(layer, 'kernel').value, features, units, spec.order),
  );
  const r = g.weight(
    `${stem}/recurrent_kernel`,
    [1, k * units, units],
    onnxMatrix(layerWeight(layer, 'recurrent_kernel').value, units, units, spec.order),
  );
  const b = layer.useBias
    ? g.weight(`${stem}/bias`, [1, 2 * k * units], onnxBias(layerWeight(layer, 'bias').value, units, spec))
    : '';
  const seq = layer.returnSequences;
  const [y, yLast] = multiOutputNode(
    g,
    spec.op,
    [timeMajor, w, r, b, packed?.lens ?? ''],
    seq ? [`${stem}/${spec.op}`, null] : [null, `${stem}/${spec.op}_last`],
    {
      hidden_size: { int: units },
      direction: { string: 'forward' },
      ...activationAttributes(spec.activations),
      ...spec.attributes,
    },
  );
  if (!seq) {
    const last = squeeze(g, yLast, [0], `${stem}/last_state`);
    return packed ? zeroWhereNone(g, last, packed.count, `${stem}/last_state`) : last;
  }
  // Y is [steps, 1, batch, units].
  const batchMajor = g.node('Transpose', [squeeze(g, y, [1], `${stem}/sequence`)], `${stem}/batch_major`, {
    perm: { ints: [1, 0, 2] },
  });
  if (!packed || !m) return batchMajor;
  const upTo = g.node('CumSum', [m, int64Scalar(g, `${stem}/steps_axis`, 1)], `${stem}/real_steps_so_far`);
  const index = g.node(
    'Max',
    [g.node('Sub', [upTo, g.scalar(`${stem}/one_step`, 1)], `${stem}/last_real`), g.scalar(`${stem}/first`, 0)],
    `${stem}/state_index`,
  );
  const indices = unsqueeze(g, cast(g, index, ONNX_TYPE.INT64, `${stem}/state_index`), [2], `${stem}/state_index`);
  const states = g.node('GatherND', [batchMajor, indices], `${stem}/kept_states`, { batch_dims: { int: 1 } });
  return zeroWhereNone(g, states, upTo, `${stem}/sequence`);
}

/** A recurrent layer's export: it uses the current mask, and ends it unless returnSequences. */
function writeRecurrent(layer: Recurrent, input: OnnxValue, g: GraphBuilder): OnnxValue {
  const x = g.toLayout(input, 'channelsLast');
  const mask = sequenceMask(g);
  const name = recurrentOutput(g, layer, x.name, mask);
  if (!layer.maskFlow(mask !== null)) setSequenceMask(g, null);
  return { name, shape: layer.outputShape!, layout: 'channelsLast' };
}

export const simpleRnnExport = layerExport('SimpleRNN', SimpleRNN, writeRecurrent);
export const lstmExport = layerExport('LSTM', LSTM, writeRecurrent);
export const gruExport = layerExport('GRU', GRU, writeRecurrent);
