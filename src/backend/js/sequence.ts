/**
 * The sequence-model ops of the JS backend (formulas in ops.ts): embedding lookups and their sparse SGD
 * step, layer normalization, and the checked entry points of the recurrent kernels (recurrent.ts, gru.ts).
 * Every call is checked from the op table (table-checks.ts) before a kernel runs (the JS kernels here, or those
 * of another backend that shares these checks: src/backend/js/kernels.ts).
 */
import type { Backend, FloatArray } from '../ops';
import { OP_TABLE, type OpName } from '../op-table';
import { checkBlasDims, checkTableCall, recurrentActivationError, type Sizes } from './table-checks';
import { RECURRENT_ACTIVATIONS } from './recurrent-activations';

type SequenceOps = Pick<
  Backend,
  | 'embeddingForward'
  | 'embeddingBackward'
  | 'sparseSgdStep'
  | 'simpleRnnForward'
  | 'simpleRnnBackward'
  | 'lstmForward'
  | 'lstmBackward'
  | 'gruForward'
  | 'gruBackward'
  | 'layerNormForward'
  | 'layerNormBackward'
>;

/** Reads ids[i] once and returns it when it lies in [0, vocab); RangeError naming the position otherwise. */
function idAt(op: string, ids: Int32Array, i: number, vocab: number): number {
  const id = ids[i];
  if (!(id >= 0 && id < vocab)) throw new RangeError(`${op}(): 'ids'[${i}] = ${id} is outside [0, ${vocab})`);
  return id;
}

/** Checks a recurrent op's call: the table, the activations (by argument name), and BLAS's int dimensions. */
function checkRecurrent(op: OpName, args: ArrayLike<unknown>, gateBlocks: number, acts: string[]): Sizes {
  const sizes = checkTableCall(op, args);
  const names = OP_TABLE[op].args.map((a) => a.name);
  for (const name of acts)
    recurrentActivationError(op, name, args[names.indexOf(name)] as number, RECURRENT_ACTIVATIONS);
  checkBlasDims(op, [
    ['steps*batch', sizes.steps * sizes.batch],
    [`${gateBlocks}*units`, gateBlocks * sizes.units],
  ]);
  return sizes;
}

/** GRU: a recurrent bias exists only with resetAfter. */
function checkGruBias(op: string, resetAfter: boolean, recurrentBias: FloatArray | null, name: string): void {
  if (!resetAfter && recurrentBias !== null) {
    throw new RangeError(`${op}(): '${name}' must be null when 'resetAfter' is false (that GRU has one bias)`);
  }
}

export function layerNormForward(
  x: FloatArray,
  gamma: FloatArray | null,
  beta: FloatArray | null,
  y: FloatArray,
  stats: FloatArray,
  rows: number,
  cols: number,
  epsilon: number,
): void {
  if (cols === 0) return;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += x[o + j];
    const mean = sum / cols;
    let sq = 0;
    for (let j = 0; j < cols; j++) sq += (x[o + j] - mean) ** 2;
    const rstd = 1 / Math.sqrt(sq / cols + epsilon);
    stats[2 * r] = mean;
    stats[2 * r + 1] = rstd;
    for (let j = 0; j < cols; j++) {
      const v = (x[o + j] - mean) * rstd;
      y[o + j] = (gamma ? v * gamma[j] : v) + (beta ? beta[j] : 0);
    }
  }
}

export function layerNormBackward(
  x: FloatArray,
  gamma: FloatArray | null,
  stats: FloatArray,
  dy: FloatArray,
  dx: FloatArray | null,
  dGamma: FloatArray | null,
  dBeta: FloatArray | null,
  rows: number,
  cols: number,
): void {
  if (dGamma) dGamma.fill(0);
  if (dBeta) dBeta.fill(0);
  if (cols === 0) return;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const mean = stats[2 * r],
      rstd = stats[2 * r + 1];
    let sg = 0,
      sgx = 0;
    for (let j = 0; j < cols; j++) {
      const xhat = (x[o + j] - mean) * rstd;
      const g = gamma ? dy[o + j] * gamma[j] : dy[o + j];
      sg += g;
      sgx += g * xhat;
      if (dGamma) dGamma[j] += dy[o + j] * xhat;
      if (dBeta) dBeta[j] += dy[o + j];
    }
    if (!dx) continue;
    const mg = sg / cols,
      mgx = sgx / cols;
    for (let j = 0; j < cols; j++) {
      const xhat = (x[o + j] - mean) * rstd;
      const g = gamma ? dy[o + j] * gamma[j] : dy[o + j];
      dx[o + j] = rstd * (g - mg - xhat * mgx);
    }
  }
}

/** `out[i, :] = table[ids[i], :]` (each id read once and checked). */
export function embeddingForwardKernel(
  ids: Int32Array,
  table: FloatArray,
  out: FloatArray,
  n: number,
  vocab: number,
  dim: number,
): void {
  for (let i = 0; i < n; i++) {
    const from = idAt('embeddingForward', ids, i, vocab) * dim;
    for (let j = 0; j < dim; j++) out[i * dim + j] = table[from + j];
  }
}

/** `dTable[ids[i], :] += dy[i, :]` (each id read once and checked). */
export function embeddingBackwardKernel(
  ids: Int32Array,
  dy: FloatArray,
  dTable: FloatArray,
  n: number,
  vocab: number,
  dim: number,
): void {
  for (let i = 0; i < n; i++) {
    const to = idAt('embeddingBackward', ids, i, vocab) * dim;
    for (let j = 0; j < dim; j++) dTable[to + j] += dy[i * dim + j];
  }
}

/** SGD on the named rows, then those gradient rows zeroed (each id read once and checked). */
export function sparseSgdStepKernel(
  ids: Int32Array,
  w: FloatArray,
  g: FloatArray,
  n: number,
  vocab: number,
  dim: number,
  lr: number,
): void {
  for (let i = 0; i < n; i++) {
    const o = idAt('sparseSgdStep', ids, i, vocab) * dim;
    for (let j = 0; j < dim; j++) {
      w[o + j] -= lr * g[o + j];
      g[o + j] = 0;
    }
  }
}

/** The checked sequence-model ops: the table's checks, then the kernel of `k`. */
export function createSequenceOps(k: Pick<Backend, keyof SequenceOps>): SequenceOps {
  return {
    embeddingForward(...args) {
      checkTableCall('embeddingForward', args);
      k.embeddingForward(...args);
    },
    embeddingBackward(...args) {
      checkTableCall('embeddingBackward', args);
      k.embeddingBackward(...args);
    },
    sparseSgdStep(...args) {
      checkTableCall('sparseSgdStep', args);
      k.sparseSgdStep(...args);
    },
    simpleRnnForward(...args) {
      checkRecurrent('simpleRnnForward', args, 1, ['act']);
      k.simpleRnnForward(...args);
    },
    simpleRnnBackward(...args) {
      checkRecurrent('simpleRnnBackward', args, 1, ['act']);
      k.simpleRnnBackward(...args);
    },
    lstmForward(...args) {
      checkRecurrent('lstmForward', args, 4, ['act', 'recurrentAct']);
      k.lstmForward(...args);
    },
    lstmBackward(...args) {
      checkRecurrent('lstmBackward', args, 4, ['act', 'recurrentAct']);
      k.lstmBackward(...args);
    },
    gruForward(...args) {
      checkRecurrent('gruForward', args, 3, ['act', 'recurrentAct']);
      checkGruBias('gruForward', args[18], args[4], 'recurrentBias');
      k.gruForward(...args);
    },
    gruBackward(...args) {
      checkRecurrent('gruBackward', args, 3, ['act', 'recurrentAct']);
      checkGruBias('gruBackward', args[22], args[12], 'dRecurrentBias');
      k.gruBackward(...args);
    },
    layerNormForward(...args) {
      checkTableCall('layerNormForward', args);
      if (!(args[7] > 0)) throw new RangeError(`layerNormForward(): 'epsilon' must be > 0, got ${args[7]}`);
      k.layerNormForward(...args);
    },
    layerNormBackward(...args) {
      checkTableCall('layerNormBackward', args);
      k.layerNormBackward(...args);
    },
  };
}
