/**
 * The pure-JS backend: the reference implementation of the op set. It validates every argument the way
 * the native addon does, then runs allocation-free kernels over typed arrays (kernels.ts). The same checks
 * serve the wasm backend, built here over its own kernels (createCheckedBackend).
 */
import type { Backend, BackendInfo, FloatArray } from '../ops';
import { Activation } from '../activations';
import {
  actArg,
  argCount,
  boolArg,
  checkFusedBackwardOverlaps,
  dimArg,
  floatArg,
  int32Arg,
  lengthIs,
  noOverlap,
  numArg,
  optFloatArg,
  product,
  sameOrDisjoint,
} from './validate';
import { createSequenceOps } from './sequence';
import { createConvOps } from './conv-ops';
import { JS_KERNELS, type Kernels } from './kernels';
import { checkAttention } from './attention';
import * as ConvTranspose from './conv-transpose';
import { checkedAutodiffOps } from './autodiff-ops';

const LINEAR = Activation.linear;

function checkedLoss(
  op: string,
  args: IArguments,
  predName: string,
  extra: number,
): {
  p: FloatArray;
  t: FloatArray;
  g: FloatArray | null;
  rows: number;
  cols: number;
} {
  argCount(op, args.length, 5 + extra);
  const p = floatArg(op, predName, args[0]);
  const t = floatArg(op, 'target', args[1], p);
  const g = optFloatArg(op, 'grad', args[2], p);
  const rows = dimArg(op, 'rows', args[3]);
  const cols = dimArg(op, 'cols', args[4]);
  const len = product(op, 'rows*cols', rows, cols);
  lengthIs(op, predName, p, len, 'rows*cols');
  lengthIs(op, 'target', t, len, 'rows*cols');
  if (g) {
    lengthIs(op, 'grad', g, len, 'rows*cols');
    sameOrDisjoint(op, 'grad', g, predName, p);
    noOverlap(op, 'grad', g, 'target', t);
  }
  return { p, t, g, rows, cols };
}

type LossName =
  | 'meanSquaredError'
  | 'meanAbsoluteError'
  | 'binaryCrossentropy'
  | 'sigmoidCrossEntropyWithLogits'
  | 'categoricalCrossentropy'
  | 'softmaxCrossEntropy';

function lossOp(op: LossName, predName: string, k: Kernels) {
  const kernel = k[op];
  return function (this: unknown): number {
    // eslint-disable-next-line prefer-rest-params
    const { p, t, g, rows, cols } = checkedLoss(op, arguments, predName, 0);
    return kernel(p, t, g, rows, cols);
  };
}

/** Validates the arrays of an optimizer step: all same kind, same length, pairwise disjoint. */
function optArrays(op: string, names: string[], values: unknown[]): FloatArray[] {
  const first = floatArg(op, names[0], values[0]);
  const out = [first];
  for (let i = 1; i < names.length; i++) {
    const a = floatArg(op, names[i], values[i], first);
    if (a.length !== first.length) {
      throw new RangeError(
        `${op}(): '${names[i]}' has length ${a.length} but '${names[0]}' has length ${first.length}`,
      );
    }
    for (let j = 0; j < i; j++) noOverlap(op, names[i], a, names[j], out[j]);
    out.push(a);
  }
  return out;
}

/** The JS reference backend: the checked ops over the JS kernels. */
export function createJsBackend(): Backend {
  return createCheckedBackend(JS_KERNELS, () => ({ name: 'js' }));
}

/**
 * The checked ops over the kernels `k`: every argument validated as the native addon validates it, then the
 * kernel runs. `describe` gives the backend's info (its `name` is the backend's name).
 */
export function createCheckedBackend(k: Kernels, describe: () => BackendInfo): Backend {
  const conv = createConvOps(k);
  const kernels = k; // gemm and the dense ops name a dimension `k`
  return {
    name: describe().name,
    info: describe,

    gemm(transA, transB, m, n, k, alpha, a, b, beta, c) {
      const op = 'gemm';
      argCount(op, arguments.length, 10);
      boolArg(op, 'transA', transA);
      boolArg(op, 'transB', transB);
      dimArg(op, 'm', m);
      dimArg(op, 'n', n);
      dimArg(op, 'k', k);
      numArg(op, 'alpha', alpha);
      numArg(op, 'beta', beta);
      floatArg(op, 'a', a);
      floatArg(op, 'b', b, a);
      floatArg(op, 'c', c, a);
      lengthIs(op, 'a', a, product(op, 'm*k', m, k), 'm*k');
      lengthIs(op, 'b', b, product(op, 'k*n', k, n), 'k*n');
      lengthIs(op, 'c', c, product(op, 'm*n', m, n), 'm*n');
      product(op, 'm*n*k', m, n, k);
      noOverlap(op, 'c', c, 'a', a);
      noOverlap(op, 'c', c, 'b', b);
      kernels.gemm(transA, transB, m, n, k, alpha, a, b, beta, c);
    },

    activationForward(act, alpha, z, y, rows, cols) {
      const op = 'activationForward';
      argCount(op, arguments.length, 6);
      actArg(op, act);
      numArg(op, 'alpha', alpha);
      floatArg(op, 'z', z);
      floatArg(op, 'y', y, z);
      dimArg(op, 'rows', rows);
      dimArg(op, 'cols', cols);
      const len = product(op, 'rows*cols', rows, cols);
      lengthIs(op, 'z', z, len, 'rows*cols');
      lengthIs(op, 'y', y, len, 'rows*cols');
      sameOrDisjoint(op, 'y', y, 'z', z);
      k.activationForward(act, alpha, z, y, rows, cols);
    },

    activationBackward(act, alpha, z, y, dy, dz, rows, cols) {
      const op = 'activationBackward';
      argCount(op, arguments.length, 8);
      actArg(op, act);
      numArg(op, 'alpha', alpha);
      floatArg(op, 'z', z);
      floatArg(op, 'y', y, z);
      floatArg(op, 'dy', dy, z);
      floatArg(op, 'dz', dz, z);
      dimArg(op, 'rows', rows);
      dimArg(op, 'cols', cols);
      const len = product(op, 'rows*cols', rows, cols);
      for (const [nm, arr] of [
        ['z', z],
        ['y', y],
        ['dy', dy],
        ['dz', dz],
      ] as const)
        lengthIs(op, nm, arr, len, 'rows*cols');
      sameOrDisjoint(op, 'dz', dz, 'dy', dy);
      noOverlap(op, 'dz', dz, 'z', z);
      noOverlap(op, 'dz', dz, 'y', y);
      k.activationBackward(act, alpha, z, y, dy, dz, rows, cols);
    },

    denseForward(x, w, b, z, y, m, k, n, act, alpha) {
      const op = 'denseForward';
      argCount(op, arguments.length, 10);
      floatArg(op, 'x', x);
      floatArg(op, 'w', w, x);
      optFloatArg(op, 'b', b, x);
      floatArg(op, 'z', z, x);
      floatArg(op, 'y', y, x);
      dimArg(op, 'm', m);
      dimArg(op, 'k', k);
      dimArg(op, 'n', n);
      actArg(op, act);
      numArg(op, 'alpha', alpha);
      product(op, 'm*n*k', m, n, k);
      lengthIs(op, 'x', x, m * k, 'm*k');
      lengthIs(op, 'w', w, k * n, 'k*n');
      if (b) lengthIs(op, 'b', b, n, 'n');
      lengthIs(op, 'z', z, m * n, 'm*n');
      lengthIs(op, 'y', y, m * n, 'm*n');
      for (const [nm, arr] of [
        ['z', z],
        ['y', y],
      ] as const) {
        noOverlap(op, nm, arr, 'x', x);
        noOverlap(op, nm, arr, 'w', w);
        if (b) noOverlap(op, nm, arr, 'b', b);
      }
      if (act === LINEAR) sameOrDisjoint(op, 'y', y, 'z', z);
      else noOverlap(op, 'y', y, 'z', z);
      kernels.denseForward(x, w, b, z, y, m, k, n, act, alpha);
    },

    denseBackward(x, w, z, y, dy, dz, dw, db, dx, m, k, n, act, alpha) {
      const op = 'denseBackward';
      argCount(op, arguments.length, 14);
      floatArg(op, 'x', x);
      floatArg(op, 'w', w, x);
      floatArg(op, 'z', z, x);
      floatArg(op, 'y', y, x);
      floatArg(op, 'dy', dy, x);
      floatArg(op, 'dz', dz, x);
      floatArg(op, 'dw', dw, x);
      optFloatArg(op, 'db', db, x);
      optFloatArg(op, 'dx', dx, x);
      dimArg(op, 'm', m);
      dimArg(op, 'k', k);
      dimArg(op, 'n', n);
      actArg(op, act);
      numArg(op, 'alpha', alpha);
      product(op, 'm*n*k', m, n, k);
      lengthIs(op, 'x', x, m * k, 'm*k');
      lengthIs(op, 'w', w, k * n, 'k*n');
      for (const [nm, arr] of [
        ['z', z],
        ['y', y],
        ['dy', dy],
        ['dz', dz],
      ] as const)
        lengthIs(op, nm, arr, m * n, 'm*n');
      lengthIs(op, 'dw', dw, k * n, 'k*n');
      if (db) lengthIs(op, 'db', db, n, 'n');
      if (dx) lengthIs(op, 'dx', dx, m * k, 'm*k');
      checkFusedBackwardOverlaps(op, { x, w, z, y }, dy, { dz, dw, db, dx });
      kernels.denseBackward(x, w, z, y, dy, dz, dw, db, dx, m, k, n, act, alpha);
    },

    meanSquaredError: lossOp('meanSquaredError', 'pred', k),
    meanAbsoluteError: lossOp('meanAbsoluteError', 'pred', k),
    huber: function (this: unknown) {
      // eslint-disable-next-line prefer-rest-params
      const { p, t, g, rows, cols } = checkedLoss('huber', arguments, 'pred', 1);
      // eslint-disable-next-line prefer-rest-params
      const delta = numArg('huber', 'delta', arguments[5]);
      if (!(delta > 0)) throw new RangeError(`huber(): 'delta' must be > 0, got ${delta}`);
      return k.huber(p, t, g, rows, cols, delta);
    } as Backend['huber'],
    binaryCrossentropy: lossOp('binaryCrossentropy', 'prob', k),
    sigmoidCrossEntropyWithLogits: lossOp('sigmoidCrossEntropyWithLogits', 'logits', k),
    categoricalCrossentropy: lossOp('categoricalCrossentropy', 'prob', k),
    softmaxCrossEntropy: lossOp('softmaxCrossEntropy', 'logits', k),

    softmaxCrossEntropySparse(logits, labels, grad, rows, cols) {
      const op = 'softmaxCrossEntropySparse';
      argCount(op, arguments.length, 5);
      floatArg(op, 'logits', logits);
      int32Arg(op, 'labels', labels);
      optFloatArg(op, 'grad', grad, logits);
      dimArg(op, 'rows', rows);
      dimArg(op, 'cols', cols);
      const len = product(op, 'rows*cols', rows, cols);
      lengthIs(op, 'logits', logits, len, 'rows*cols');
      lengthIs(op, 'labels', labels, rows, 'rows');
      if (grad) {
        lengthIs(op, 'grad', grad, len, 'rows*cols');
        sameOrDisjoint(op, 'grad', grad, 'logits', logits);
        noOverlap(op, 'grad', grad, 'labels', labels);
      }
      // The kernel checks each label in the one read it uses (no separate pass that could be raced).
      return k.softmaxCrossEntropySparse(logits, labels, grad, rows, cols);
    },

    sgdStep(w, g, lr, wd) {
      const op = 'sgdStep';
      argCount(op, arguments.length, 4);
      const [W, G] = optArrays(op, ['w', 'g'], [w, g]);
      k.sgdStep(W, G, numArg(op, 'lr', lr), numArg(op, 'weightDecay', wd));
    },
    momentumStep(w, g, v, lr, mu, nesterov, wd) {
      const op = 'momentumStep';
      argCount(op, arguments.length, 7);
      const [W, G, V] = optArrays(op, ['w', 'g', 'velocity'], [w, g, v]);
      k.momentumStep(
        W,
        G,
        V,
        numArg(op, 'lr', lr),
        numArg(op, 'momentum', mu),
        boolArg(op, 'nesterov', nesterov),
        numArg(op, 'weightDecay', wd),
      );
    },
    rmspropStep(w, g, ms, lr, rho, eps, wd) {
      const op = 'rmspropStep';
      argCount(op, arguments.length, 7);
      const [W, G, M] = optArrays(op, ['w', 'g', 'meanSquare'], [w, g, ms]);
      k.rmspropStep(
        W,
        G,
        M,
        numArg(op, 'lr', lr),
        numArg(op, 'rho', rho),
        numArg(op, 'epsilon', eps),
        numArg(op, 'weightDecay', wd),
      );
    },
    adagradStep(w, g, acc, lr, eps, wd) {
      const op = 'adagradStep';
      argCount(op, arguments.length, 6);
      const [W, G, A] = optArrays(op, ['w', 'g', 'accumulator'], [w, g, acc]);
      k.adagradStep(W, G, A, numArg(op, 'lr', lr), numArg(op, 'epsilon', eps), numArg(op, 'weightDecay', wd));
    },
    adamStep(w, g, m, v, lr, b1, b2, eps, t, wd, decoupled) {
      const op = 'adamStep';
      argCount(op, arguments.length, 11);
      const [W, G, M, V] = optArrays(op, ['w', 'g', 'm', 'v'], [w, g, m, v]);
      numArg(op, 't', t);
      if (!Number.isInteger(t) || t < 1) throw new RangeError(`adamStep(): 't' must be an integer >= 1, got ${t}`);
      k.adamStep(
        W,
        G,
        M,
        V,
        numArg(op, 'lr', lr),
        numArg(op, 'beta1', b1),
        numArg(op, 'beta2', b2),
        numArg(op, 'epsilon', eps),
        t,
        numArg(op, 'weightDecay', wd),
        boolArg(op, 'decoupled', decoupled),
      );
    },

    sumSquares(x) {
      argCount('sumSquares', arguments.length, 1);
      return k.sumSquares(floatArg('sumSquares', 'x', x));
    },
    scale(x, s) {
      argCount('scale', arguments.length, 2);
      k.scale(floatArg('scale', 'x', x), numArg('scale', 's', s));
    },
    clip(x, lo, hi) {
      const op = 'clip';
      argCount(op, arguments.length, 3);
      const a = floatArg(op, 'x', x);
      numArg(op, 'lo', lo);
      numArg(op, 'hi', hi);
      if (!(lo <= hi)) throw new RangeError(`clip(): 'lo' (${lo}) must be <= 'hi' (${hi})`);
      k.clip(a, lo, hi);
    },
    l1l2(w, g, l1, l2) {
      const op = 'l1l2';
      argCount(op, arguments.length, 4);
      const [W, G] = optArrays(op, ['w', 'g'], [w, g]);
      numArg(op, 'l1', l1);
      numArg(op, 'l2', l2);
      return k.l1l2(W, G, l1, l2);
    },

    // sequence models
    ...createSequenceOps(k),
    // convolution, pooling and batch normalization
    ...conv,
    // graph-model layers: the transposed convolution
    conv2dTransposeForward(...args) {
      ConvTranspose.checkConv2dTransposeForward(...args);
      k.conv2dTransposeForward(...args);
    },
    conv2dTransposeBackward(...args) {
      ConvTranspose.checkConv2dTransposeBackward(...args);
      k.conv2dTransposeBackward(...args);
    },
    // autodiff ops: checked here, run on the kernels of k
    ...checkedAutodiffOps(k),
    // attention
    attentionForward(...args) {
      checkAttention('attentionForward', args);
      k.attentionForward(...args);
    },
    attentionBackward(...args) {
      checkAttention('attentionBackward', args);
      k.attentionBackward(...args);
    },
  };
}
