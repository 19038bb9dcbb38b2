/**
 * Agreement cases of the sequence-model ops (embedding, sparse SGD, layer normalization, SimpleRNN, LSTM,
 * GRU): odd sizes, empty batches and sequences, masks with padded steps, going backwards, with and without
 * bias, output sequence and last-state gradients, and the activations the recurrent ops accept. Recurrent
 * cases run forward then backward and compare every output of both.
 */
import type { Backend, FloatArray } from '../../src/backend/ops';
import { Activation } from '../../src/backend/ops';
import { Rng } from '../../src/random';
import { asKind } from '../support/backends';
import type { Kind, OpCase } from './op-cases';

function values(seed: number, n: number, lo = -1, hi = 1): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => Math.fround(rng.uniform(lo, hi)));
}
const zeros = (n: number) => new Array<number>(n).fill(0);

function ids(seed: number, n: number, vocab: number): Int32Array {
  const rng = new Rng(seed);
  return Int32Array.from({ length: n }, () => rng.int(vocab));
}

/** A mask of batch×steps with some padded steps (at the end of each sequence, and one in the middle). */
function maskValues(batch: number, steps: number): number[] {
  const m = new Array<number>(batch * steps).fill(1);
  for (let b = 0; b < batch; b++) {
    const len = Math.max(0, steps - (b % 3));
    for (let t = len; t < steps; t++) m[b * steps + t] = 0;
    if (steps > 3 && b % 2 === 1) m[b * steps + 1] = 0;
  }
  return m;
}

type Cell = 'simpleRnn' | 'lstm' | 'gru' | 'gruResetAfter';
const BLOCKS: Record<Cell, number> = { simpleRnn: 1, lstm: 4, gru: 3, gruResetAfter: 3 };

interface RnnCase {
  cell: Cell;
  batch: number;
  steps: number;
  inputSize: number;
  units: number;
  mask: boolean;
  back: boolean;
  bias: boolean;
  seq: boolean;
  act: number;
  rec: number;
}

function runRecurrent(b: Backend, kind: Kind, off: boolean, c: RnnCase): Record<string, FloatArray> {
  const { batch: B, steps: S, inputSize: I, units: N } = c;
  const k = BLOCKS[c.cell] * N;
  const arr = (v: number[]) => asKind(v, kind, off);
  const x = arr(values(1, B * S * I));
  const W = arr(values(2, I * k, -0.6, 0.6));
  const U = arr(values(3, N * k, -0.6, 0.6));
  const bias = c.bias ? arr(values(4, k, -0.3, 0.3)) : null;
  const rbias = c.bias && c.cell === 'gruResetAfter' ? arr(values(5, k, -0.3, 0.3)) : null;
  const mask = c.mask ? arr(maskValues(B, S)) : null;
  const xT = arr(zeros(S * B * I)),
    gates = arr(zeros(S * B * k)),
    hs = arr(zeros(S * B * N));
  const aux = arr(zeros(S * B * N)); // cells (LSTM) or rh (GRU)
  const scratch = arr(zeros(B * 3 * N));
  const y = c.seq ? arr(zeros(B * S * N)) : null;
  const dySeq = c.seq ? arr(values(6, B * S * N)) : null;
  const dyLast = arr(values(7, B * N));
  const dK = arr(zeros(I * k)),
    dU = arr(zeros(N * k)),
    dB = c.bias ? arr(zeros(k)) : null,
    dRB = rbias ? arr(zeros(k)) : null;
  const dx = arr(zeros(B * S * I)),
    dh = arr(zeros(B * N)),
    dc = arr(zeros(B * N));
  switch (c.cell) {
    case 'simpleRnn':
      b.simpleRnnForward(x, W, U, bias, mask, xT, gates, hs, y, B, S, I, N, c.act, c.back);
      break;
    case 'lstm':
      b.lstmForward(x, W, U, bias, mask, xT, gates, aux, hs, y, B, S, I, N, c.act, c.rec, c.back);
      break;
    default: {
      const ra = c.cell === 'gruResetAfter';
      b.gruForward(x, W, U, bias, rbias, mask, xT, gates, aux, hs, scratch, y, B, S, I, N, c.act, c.rec, ra, c.back);
    }
  }
  const forward = { hs: Float64Array.from(hs), ...(y ? { y: Float64Array.from(y) } : {}) };
  switch (c.cell) {
    case 'simpleRnn':
      b.simpleRnnBackward(xT, W, U, mask, gates, hs, dySeq, dyLast, dK, dU, dB, dx, dh, B, S, I, N, c.act, c.back);
      break;
    case 'lstm':
      b.lstmBackward(
        xT,
        W,
        U,
        mask,
        gates,
        aux,
        hs,
        dySeq,
        dyLast,
        dK,
        dU,
        dB,
        dx,
        dh,
        dc,
        B,
        S,
        I,
        N,
        c.act,
        c.rec,
        c.back,
      );
      break;
    default: {
      const ra = c.cell === 'gruResetAfter';
      b.gruBackward(
        xT,
        W,
        U,
        mask,
        gates,
        aux,
        hs,
        dySeq,
        dyLast,
        dK,
        dU,
        dB,
        dRB,
        dx,
        dh,
        scratch,
        B,
        S,
        I,
        N,
        c.act,
        c.rec,
        ra,
        c.back,
      );
    }
  }
  const out: Record<string, FloatArray> = { ...forward, dK, dU, dx };
  if (dB) out.dB = dB;
  if (dRB) out.dRB = dRB;
  return out;
}

function recurrentCases(): RnnCase[] {
  const out: RnnCase[] = [];
  const base = { mask: false, back: false, bias: true, seq: true, act: Activation.tanh, rec: Activation.sigmoid };
  const shapes: [number, number, number, number][] = [
    [1, 1, 1, 1],
    [3, 5, 4, 6],
    [2, 7, 3, 5],
    [0, 3, 2, 2],
    [2, 0, 3, 2],
  ];
  for (const cell of ['simpleRnn', 'lstm', 'gru', 'gruResetAfter'] as Cell[]) {
    for (const [batch, steps, inputSize, units] of shapes) out.push({ ...base, cell, batch, steps, inputSize, units });
    const odd = { cell, batch: 3, steps: 6, inputSize: 4, units: 5 };
    out.push({ ...base, ...odd, mask: true });
    out.push({ ...base, ...odd, back: true, mask: true });
    out.push({ ...base, ...odd, bias: false, seq: false });
    out.push({ ...base, ...odd, rec: Activation.hardSigmoid, act: Activation.relu });
    out.push({ ...base, ...odd, rec: Activation.hardSigmoid, act: Activation.softsign, back: true });
    out.push({ ...base, ...odd, act: Activation.elu, rec: Activation.sigmoid, seq: false, mask: true });
  }
  return out;
}

export function sequenceOpCases(): OpCase[] {
  const cases: OpCase[] = [];
  for (const [n, vocab, dim] of [
    [0, 3, 2],
    [1, 1, 1],
    [7, 5, 3],
    [40, 9, 17],
  ]) {
    cases.push({
      name: `embeddingForward n=${n} vocab=${vocab} dim=${dim}`,
      compare: 'elementwise',
      run(b, kind, off) {
        const out = asKind(zeros(n * dim), kind, off);
        b.embeddingForward(ids(30, n, vocab), asKind(values(31, vocab * dim), kind, off), out, n, vocab, dim);
        return { outputs: { out } };
      },
    });
    cases.push({
      name: `embeddingBackward + sparseSgdStep n=${n} vocab=${vocab} dim=${dim}`,
      compare: 'elementwise',
      run(b, kind, off) {
        const id = ids(32, n, vocab);
        const g = asKind(zeros(vocab * dim), kind, off),
          w = asKind(values(33, vocab * dim), kind, off);
        b.embeddingBackward(id, asKind(values(34, n * dim), kind, off), g, n, vocab, dim);
        const grad = Float64Array.from(g);
        b.sparseSgdStep(id, w, g, n, vocab, dim, 0.1);
        return { outputs: { grad: asKind(Array.from(grad), kind), w, g } };
      },
    });
  }
  for (const [rows, cols] of [
    [0, 3],
    [3, 0],
    [1, 1],
    [3, 7],
    [17, 33],
  ]) {
    for (const affine of [true, false]) {
      cases.push({
        name: `layerNorm ${rows}x${cols}${affine ? '' : ' (no gamma/beta)'}`,
        compare: 'norm',
        run(b, kind, off) {
          const x = asKind(values(40, rows * cols, -2, 3), kind, off);
          const gamma = affine ? asKind(values(41, cols, 0.5, 1.5), kind, off) : null;
          const beta = affine ? asKind(values(42, cols), kind, off) : null;
          const y = asKind(zeros(rows * cols), kind, off),
            stats = asKind(zeros(rows * 2), kind, off);
          b.layerNormForward(x, gamma, beta, y, stats, rows, cols, 1e-3);
          const dx = asKind(zeros(rows * cols), kind, off);
          const dGamma = affine ? asKind(zeros(cols), kind, off) : null;
          const dBeta = affine ? asKind(zeros(cols), kind, off) : null;
          b.layerNormBackward(
            x,
            gamma,
            stats,
            asKind(values(43, rows * cols), kind, off),
            dx,
            dGamma,
            dBeta,
            rows,
            cols,
          );
          return { outputs: { y, stats, dx, ...(dGamma && dBeta ? { dGamma, dBeta } : {}) } };
        },
      });
    }
  }
  for (const c of recurrentCases()) {
    const opts = [c.mask && 'mask', c.back && 'goBackwards', !c.bias && 'no bias', !c.seq && 'last state only']
      .filter(Boolean)
      .join(', ');
    cases.push({
      name: `${c.cell} batch=${c.batch} steps=${c.steps} in=${c.inputSize} units=${c.units} act=${c.act} rec=${c.rec}${opts ? ` (${opts})` : ''}`,
      compare: 'norm',
      run: (b, kind, off) => ({ outputs: runRecurrent(b, kind, off, c) }),
    });
  }
  return cases;
}
