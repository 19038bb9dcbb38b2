/**
 * Every activation of the activation table (src/backend/activations.ts) as ONNX nodes, with backprop's
 * formulas (ops.ts): hardSigmoid with Keras' slope 0.2, selu's constants, exact gelu, swish as x·Sigmoid(x)
 * (opsets before 24 have no Swish), softmax over the Keras last axis. The table is typed by the activation
 * names, so an activation added to the table without an export here does not compile.
 */
import type { ActivationName } from '../backend/ops';
import { SELU_ALPHA, SELU_SCALE } from '../backend/js/activations';
import type { GraphBuilder, OnnxValue } from './graph';

/** Emits the activation of `x` (named from `stem`) and returns the output's name. */
type Emit = (g: GraphBuilder, x: string, stem: string, alpha: number, lastAxis: number) => string;

/** The first opset with a Gelu op (before it, gelu is written with Erf). */
const GELU_OPSET = 20;

const unary =
  (op: string): Emit =>
  (g, x, stem) =>
    g.node(op, [x], `${stem}/${op}`);

const ACTIVATION_EXPORTS: Record<ActivationName, Emit> = {
  linear: (_g, x) => x,
  sigmoid: unary('Sigmoid'),
  tanh: unary('Tanh'),
  relu: unary('Relu'),
  leakyRelu: (g, x, stem, alpha) => g.node('LeakyRelu', [x], `${stem}/LeakyRelu`, { alpha: { float: alpha } }),
  elu: (g, x, stem, alpha) => g.node('Elu', [x], `${stem}/Elu`, { alpha: { float: alpha } }),
  selu: (g, x, stem) =>
    g.node('Selu', [x], `${stem}/Selu`, { alpha: { float: SELU_ALPHA }, gamma: { float: SELU_SCALE } }),
  softplus: unary('Softplus'),
  softsign: unary('Softsign'),
  // TF.js / Keras 2: clamp(0.2·x + 0.5, 0, 1) (ONNX's own defaults are the same, but are written out).
  hardSigmoid: (g, x, stem) =>
    g.node('HardSigmoid', [x], `${stem}/HardSigmoid`, { alpha: { float: 0.2 }, beta: { float: 0.5 } }),
  swish: (g, x, stem) => g.node('Mul', [x, g.node('Sigmoid', [x], `${stem}/Sigmoid`)], `${stem}/swish`),
  gelu: (g, x, stem) => {
    if (g.opset >= GELU_OPSET) return g.node('Gelu', [x], `${stem}/Gelu`, { approximate: { string: 'none' } });
    // 0.5·x·(1 + erf(x/√2)), the exact form.
    const scaled = g.node('Mul', [x, g.scalar(`${stem}/inv_sqrt2`, Math.SQRT1_2)], `${stem}/gelu_scaled`);
    const erf = g.node('Erf', [scaled], `${stem}/Erf`);
    const onePlus = g.node('Add', [erf, g.scalar(`${stem}/one`, 1)], `${stem}/gelu_one_plus`);
    const times = g.node('Mul', [x, onePlus], `${stem}/gelu_times_x`);
    return g.node('Mul', [times, g.scalar(`${stem}/half`, 0.5)], `${stem}/gelu`);
  },
  softmax: (g, x, stem, _alpha, lastAxis) => g.node('Softmax', [x], `${stem}/Softmax`, { axis: { int: lastAxis } }),
};

/**
 * `act(x)` in the graph, `alpha` its parameter (leakyRelu's slope, elu's alpha). Elementwise activations keep
 * the value's layout; softmax normalises over the Keras last axis (the channel axis, 1, in channels-first).
 * @example exportActivation(g, x, 'softmax', 0, 'dense_2')
 */
export function exportActivation(
  g: GraphBuilder,
  x: OnnxValue,
  act: ActivationName,
  alpha: number,
  stem: string,
): OnnxValue {
  const lastAxis = x.layout === 'channelsFirst' ? 1 : -1;
  return { ...x, name: ACTIVATION_EXPORTS[act](g, x.name, stem, alpha, lastAxis) };
}
