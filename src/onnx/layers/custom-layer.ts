/**
 * Custom layers (bp.layers.Layer subclasses with call()) → the ONNX form of each op their call() records: the
 * layer is traced (inference mode) at batch 1 and batch 2, and every node is written as ONNX nodes; values whose
 * shape differs between the two traces depend on the batch, which ONNX keeps dynamic (a reshape then writes -1
 * there, a slice leaves that axis whole). Weights are initializers under their Keras names, constants too.
 *
 * ONNX forms: neg, abs, sqrt, exp, log, relu, sigmoid, tanh, softplus, sign, reciprocal → the op of that name;
 * square → Mul; rsqrt → Reciprocal(Sqrt); log1p → Log(Add); gelu → Gelu (opset 20+) or its Erf form; step, the
 * comparisons → Cast of Greater, Less, Equal, ...; clipByValue → Clip; the scalar forms → Add, Mul, Sub, Div, Pow,
 * Max, Min with a constant; add, sub, mul, div, pow, minimum, maximum → Add, Sub, Mul, Div, Pow, Min, Max; where →
 * Where; sum, mean, max, min, logSumExp → ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceLogSumExp; matMul →
 * MatMul (Transpose first for transposeA/B); reshape, expandDims, squeeze → Reshape; transpose → Transpose; slice,
 * split → Slice; pad → Pad; tile → Tile; broadcastTo → Expand; concat, stack → Concat; gather → Gather; oneHot →
 * OneHot (or a constant); stopGradient, customGrad → Identity. A node that cannot keep the batch dynamic (a
 * reshape with two batch-sized dims, a slice of part of the batch, a broadcast to the batch size) fails the export
 * with an error naming the layer and the op.
 */
import { BINARY_CODES, REDUCE_CODES, UNARY_CODES } from '../../backend/elementwise';
import { traceForward, type ForwardTrace } from '../../autodiff/program';
import type { NodeSpec } from '../../autodiff/prims';
import type { Tensor } from '../../autodiff/tensor';
import type { Layer } from '../../layers/layer';
import type { GraphBuilder, OnnxValue } from '../graph';
import type { LayerExport } from '../layer-export';
import { ONNX_TYPE, cast } from './sequence-nodes';

const GELU_OPSET = 20;
const INT64_MAX = 2 ** 63 - 1;

/** A float constant of any shape. */
function constant(g: GraphBuilder, stem: string, shape: readonly number[], values: ArrayLike<number>): string {
  return g.weight(stem, [...shape], values);
}

function traceOf(layer: Layer, rows: number): ForwardTrace {
  return traceForward(
    (x: Tensor) => layer.call!(x, { training: false }),
    [{ shape: [rows, ...layer.inputShape!], dtype: 'float32' }],
    `ONNX export of ${layer.className} '${layer.name}'`,
  );
}

/** The export of any custom layer (found by its call(), not its class name). */
export const customLayerExport: LayerExport = {
  className: '(custom layer)',
  write(layer: Layer, input: OnnxValue, g: GraphBuilder): OnnxValue {
    if (typeof layer.call !== 'function') throw new Error('not a custom layer (it has no call())');
    const one = traceOf(layer, 1),
      two = traceOf(layer, 2);
    const [t1, t2] = [one.trace, two.trace];
    if (t1.nodes.length !== t2.nodes.length || t1.nodes.some((n, i) => n.spec.prim !== t2.nodes[i].spec.prim)) {
      throw new Error(
        'call() records different ops for different batch sizes; it cannot be exported with a dynamic batch',
      );
    }
    const x = g.toLayout(input, 'channelsLast');
    const names: string[] = new Array(t1.values.length);
    names[one.inputs[0]] = x.name;
    const stem = layer.name;
    const scope = `${layer.weightScope ?? layer.name}/`;
    for (const v of t1.values) {
      if (v.kind === 'param') {
        const w = layer.weights().find((p) => p.name === v.variable!.name);
        names[v.id] = w
          ? g.weight(w.name, w.shape, w.value)
          : constant(
              g,
              v.variable!.name.startsWith(scope) ? v.variable!.name : `${stem}/${v.variable!.name}`,
              v.shape,
              v.variable!.data,
            );
      } else if (v.kind === 'const') names[v.id] = constant(g, `${stem}/const`, v.shape, v.data!);
    }
    // A dim depends on the batch when the two traces disagree on it.
    const batchDims = (id: number) => t1.values[id].shape.map((d, i) => d !== t2.values[id].shape[i]);
    t1.nodes.forEach((n) => {
      const ins = n.inputs.map((i) => names[i]);
      const where = `${stem}/${n.spec.prim}`;
      try {
        names[n.output] = writeNode(g, n.spec, ins, where, batchDims(n.output), n.inputs.map(batchDims));
      } catch (e) {
        throw new Error(`op ${n.spec.prim} (node ${n.id} of call()): ${(e as Error).message}`);
      }
    });
    return { name: names[one.outputs[0]], shape: layer.outputShape!, layout: 'channelsLast' };
  },
};

const UNARY_OPS: Record<string, string> = {
  neg: 'Neg',
  abs: 'Abs',
  sqrt: 'Sqrt',
  exp: 'Exp',
  log: 'Log',
  relu: 'Relu',
  sigmoid: 'Sigmoid',
  tanh: 'Tanh',
  softplus: 'Softplus',
  sign: 'Sign',
  reciprocal: 'Reciprocal',
  copy: 'Identity',
};
const BINARY_OPS: Record<string, string> = {
  add: 'Add',
  sub: 'Sub',
  mul: 'Mul',
  div: 'Div',
  pow: 'Pow',
  minimum: 'Min',
  maximum: 'Max',
};
const COMPARE_OPS: Record<string, [string, boolean]> = {
  greater: ['Greater', false],
  greaterEqual: ['GreaterOrEqual', false],
  less: ['Less', false],
  lessEqual: ['LessOrEqual', false],
  equal: ['Equal', false],
  notEqual: ['Equal', true],
};
const REDUCE_OPS: Record<string, string> = {
  sum: 'ReduceSum',
  mean: 'ReduceMean',
  max: 'ReduceMax',
  min: 'ReduceMin',
  logSumExp: 'ReduceLogSumExp',
};

function writeNode(
  g: GraphBuilder,
  spec: NodeSpec,
  ins: string[],
  stem: string,
  outBatch: boolean[],
  inBatch: boolean[][],
): string {
  const a = spec.attrs;
  const toFloat = (v: string) => cast(g, v, ONNX_TYPE.FLOAT, stem);
  const scalar = (v: number) => g.scalar(`${stem}/c`, v);
  switch (spec.prim) {
    case 'unary': {
      const name = UNARY_CODES[a.code!];
      const x = ins[0],
        p = a.p ?? 0,
        q = a.q ?? 0;
      if (UNARY_OPS[name]) return g.node(UNARY_OPS[name], [x], stem);
      switch (name) {
        case 'square':
          return g.node('Mul', [x, x], stem);
        case 'rsqrt':
          return g.node('Reciprocal', [g.node('Sqrt', [x], stem)], stem);
        case 'log1p':
          return g.node('Log', [g.node('Add', [x, scalar(1)], stem)], stem);
        case 'gelu': {
          if (g.opset >= GELU_OPSET) return g.node('Gelu', [x], stem, { approximate: { string: 'none' } });
          const erf = g.node('Erf', [g.node('Mul', [x, scalar(Math.SQRT1_2)], stem)], stem);
          return g.node('Mul', [g.node('Mul', [x, g.node('Add', [erf, scalar(1)], stem)], stem), scalar(0.5)], stem);
        }
        case 'step':
          return toFloat(g.node('Greater', [x, scalar(0)], stem));
        case 'clip':
          return g.node('Clip', [x, scalar(p), scalar(q)], stem);
        case 'addScalar':
          return g.node('Add', [x, scalar(p)], stem);
        case 'mulScalar':
          return g.node('Mul', [x, scalar(p)], stem);
        case 'rsubScalar':
          return g.node('Sub', [scalar(p), x], stem);
        case 'divScalar':
          return g.node('Div', [x, scalar(p)], stem);
        case 'rdivScalar':
          return g.node('Div', [scalar(p), x], stem);
        case 'powScalar':
          return g.node('Pow', [x, scalar(p)], stem);
        case 'maxScalar':
          return g.node('Max', [x, scalar(p)], stem);
        case 'minScalar':
          return g.node('Min', [x, scalar(p)], stem);
        case 'fill':
          return g.node('Expand', [scalar(p), g.node('Shape', [x], stem)], stem);
        case 'inRange':
          return toFloat(
            g.node(
              'And',
              [g.node('GreaterOrEqual', [x, scalar(p)], stem), g.node('LessOrEqual', [x, scalar(q)], stem)],
              stem,
            ),
          );
      }
      throw new Error(`unary '${name}' has no ONNX form`);
    }
    case 'binary': {
      const name = BINARY_CODES[a.code!];
      if (BINARY_OPS[name]) return g.node(BINARY_OPS[name], ins, stem);
      const cmp = COMPARE_OPS[name];
      if (cmp) {
        const b = g.node(cmp[0], ins, stem);
        return toFloat(cmp[1] ? g.node('Not', [b], stem) : b);
      }
      throw new Error(`'${name}' has no ONNX form (it only appears in gradients)`);
    }
    case 'select': {
      const cond = g.node('Not', [g.node('Equal', [ins[0], scalar(0)], stem)], stem);
      return g.node('Where', [cond, ins[1], ins[2]], stem);
    }
    case 'reduce': {
      const op = REDUCE_OPS[REDUCE_CODES[a.code!]];
      const keep = { keepdims: { int: a.keepDims ? 1 : 0 } };
      if (op === 'ReduceSum' || g.opset >= 18)
        return g.node(op, [ins[0], g.int64s(`${stem}/axes`, a.axes!)], stem, keep);
      return g.node(op, [ins[0]], stem, { ...keep, axes: { ints: a.axes! } });
    }
    case 'matMul': {
      const swap = (v: string, rank: number) =>
        g.node('Transpose', [v], stem, {
          perm: { ints: [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2] },
        });
      const [as, bs] = spec.inputShapes;
      const x = a.transposeA ? swap(ins[0], as.length) : ins[0];
      const y = a.transposeB ? swap(ins[1], bs.length) : ins[1];
      return g.node('MatMul', [x, y], stem);
    }
    case 'reshape': {
      const dynamic = outBatch.filter(Boolean).length;
      if (dynamic > 1) throw new Error('a reshape with more than one batch-sized dim cannot keep the batch dynamic');
      const shape = spec.shape.map((d, i) => (outBatch[i] ? -1 : d));
      return g.node('Reshape', [ins[0], g.int64s(`${stem}/shape`, shape)], stem);
    }
    case 'stopGradient':
      return g.node('Identity', [ins[0]], stem);
    case 'transpose':
      return g.node('Transpose', [ins[0]], stem, { perm: { ints: a.perm! } });
    case 'slice': {
      const axes: number[] = [],
        starts: number[] = [],
        ends: number[] = [];
      spec.shape.forEach((d, i) => {
        const full = spec.inputShapes[0][i];
        if (a.begin![i] === 0 && d === full) return;
        if (inBatch[0][i]) throw new Error('a slice of part of the batch cannot keep the batch dynamic');
        axes.push(i);
        starts.push(a.begin![i]);
        ends.push(a.begin![i] + d);
      });
      if (axes.length === 0) return g.node('Identity', [ins[0]], stem);
      return g.node(
        'Slice',
        [
          ins[0],
          g.int64s(`${stem}/starts`, starts),
          g.int64s(
            `${stem}/ends`,
            ends.map((e) => Math.min(e, INT64_MAX)),
          ),
          g.int64s(`${stem}/axes`, axes),
        ],
        stem,
      );
    }
    case 'pad': {
      const inShape = spec.inputShapes[0];
      const before = a.begin!;
      const after = spec.shape.map((d, i) => d - inShape[i] - before[i]);
      return g.node('Pad', [ins[0], g.int64s(`${stem}/pads`, [...before, ...after]), scalar(a.value ?? 0)], stem);
    }
    case 'tile':
      return g.node('Tile', [ins[0], g.int64s(`${stem}/repeats`, a.reps!)], stem);
    case 'broadcastTo': {
      const inShape = spec.inputShapes[0];
      const lead = spec.shape.length - inShape.length;
      const shape = spec.shape.map((d, i) => {
        if (!outBatch[i]) return d;
        if ((inShape[i - lead] ?? 1) === 1)
          throw new Error('a broadcast to the batch size cannot keep the batch dynamic');
        return 1;
      });
      return g.node('Expand', [ins[0], g.int64s(`${stem}/shape`, shape)], stem);
    }
    case 'concat':
      return g.node('Concat', ins, stem, { axis: { int: a.axis! } });
    case 'gather': {
      const idx = a.indices
        ? g.int64s(`${stem}/indices`, Array.from(a.indices))
        : cast(g, ins[1], ONNX_TYPE.INT64, stem);
      const gathered = g.node('Gather', [ins[0], idx], stem, { axis: { int: a.axis! } });
      if (!a.indices) return gathered;
      // Constant indices were flattened to a list: restore their shape.
      const shape = spec.shape.map((d, i) => (outBatch[i] ? -1 : d));
      return g.node('Reshape', [gathered, g.int64s(`${stem}/shape`, shape)], stem);
    }
    case 'oneHot': {
      if (a.indices) {
        if (outBatch.some(Boolean)) throw new Error('constant one-hot rows cannot depend on the batch');
        const values = new Float32Array(spec.shape.reduce((p, d) => p * d, 1)).fill(a.off ?? 0);
        a.indices.forEach((v, c) => (values[c * a.depth! + v] = a.on ?? 1));
        return constant(g, `${stem}/one_hot`, spec.shape, values);
      }
      return g.node(
        'OneHot',
        [
          cast(g, ins[0], ONNX_TYPE.INT64, stem),
          g.int64s(`${stem}/depth`, [a.depth!]),
          g.weight(`${stem}/values`, [2], [a.off ?? 0, a.on ?? 1]),
        ],
        stem,
        { axis: { int: -1 } },
      );
    }
    default:
      throw new Error(`'${spec.prim}' has no ONNX form`);
  }
}
