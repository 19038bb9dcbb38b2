/**
 * Parity with the Keras / KerasNLP formulas: attention-fixture.json holds weights and outputs computed in float64
 * by attention_formulas.py (numpy, straight from the formulas of Keras 3's MultiHeadAttention and KerasNLP's
 * blocks, independent of backprop) for a post-norm relu encoder with padding masks and a pre-norm swish decoder
 * with causal and padding masks (not gelu: backprop's erfc is an approximation within 1.2e-7, activations.ts); backprop's float64 predictions equal them within 1e-12 on every backend. And one case
 * small enough to check by hand, on the attention op itself.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as bp from '../../src';
import { testBackends } from '../support/backends';

interface Fixture {
  config: {
    vocabularySize: number;
    sequenceLength: number;
    embeddingDim: number;
    numHeads: number;
    intermediateDim: number;
  };
  ids: number[][];
  cases: {
    name: 'encoder' | 'decoder';
    weights: { name: string; shape: number[]; data: number[] }[];
    output: number[];
  }[];
}

const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, 'attention-fixture.json'), 'utf8')) as Fixture;

describe.each(testBackends())('%s backend: KerasNLP formulas in float64', (name) => {
  beforeAll(() => bp.setBackend(name));
  afterAll(() => bp.setBackend('auto'));

  test.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const { vocabularySize, sequenceLength, embeddingDim, numHeads, intermediateDim } = fixture.config;
    const steps = fixture.ids[0].length;
    const block =
      c.name === 'encoder'
        ? bp.layers.transformerEncoder({ name: 'enc', intermediateDim, numHeads })
        : bp.layers.transformerDecoder({
            name: 'dec',
            intermediateDim,
            numHeads,
            normalizeFirst: true,
            activation: 'swish',
          });
    const model = bp.sequential({
      dtype: 'float64',
      layers: [
        bp.layers.tokenAndPositionEmbedding({
          name: 'emb',
          vocabularySize,
          sequenceLength,
          embeddingDim,
          maskZero: true,
          inputShape: [steps],
        }),
        block,
      ],
    });
    // The same names, shapes and order as Keras: setWeights by position is then setWeights by name.
    expect(model.getWeights().map((w) => [w.name, w.shape])).toEqual(c.weights.map((w) => [w.name, w.shape]));
    model.setWeights(c.weights.map((w) => ({ data: w.data, shape: w.shape })));
    const y = model.predict(bp.tensor(fixture.ids.flat(), [fixture.ids.length, steps])).data;
    let worst = 0;
    for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(y[i] - c.output[i]));
    expect(worst).toBeLessThan(1e-12);
  });
});

describe.each(testBackends())('%s backend: attention by hand', (_name, b) => {
  test('one query, two keys: weights 1/4 and 3/4', () => {
    // One head of depth 1: q = 1, keys 0 and ln 3, scale 1 → scores 0 and ln 3 → softmax (1, 3)/4; values 2 and 6
    // → out = 2/4 + 18/4 = 5; log-sum-exp = ln(1 + 3) = ln 4. Backward of dOut = 1: dv = p = (1/4, 3/4);
    // dp = v = (2, 6), D = dOut·out = 5, ds = p·(dp − D) = (−3/4, 3/4); dq = Σ ds·k = 3/4·ln 3; dk = ds·q.
    for (const F of [Float64Array, Float32Array]) {
      const q = F.of(1),
        k = F.of(0, Math.log(3)),
        v = F.of(2, 6);
      const out = new F(1),
        lse = new F(1),
        probs = new F(2);
      b.attentionForward(q, k, v, null, null, null, out, lse, probs, 1, 1, 1, 2, 1, 1, 1, false, 0, 0);
      const tol = F === Float64Array ? 1e-15 : 1e-6;
      expect(Math.abs(out[0] - 5)).toBeLessThan(4 * tol);
      expect(Math.abs(lse[0] - Math.log(4))).toBeLessThan(tol);
      expect(Math.abs(probs[0] - 0.25) + Math.abs(probs[1] - 0.75)).toBeLessThan(2 * tol);
      const dq = new F(1),
        dk = new F(2),
        dv = new F(2);
      b.attentionBackward(q, k, v, null, null, null, out, lse, F.of(1), dq, dk, dv, 1, 1, 1, 2, 1, 1, 1, false, 0, 0);
      const want = [0.75 * Math.log(3), -0.75, 0.75, 0.25, 0.75];
      const got = [dq[0], dk[0], dk[1], dv[0], dv[1]];
      got.forEach((g, i) => expect(Math.abs(g - want[i])).toBeLessThan(8 * tol));
    }
  });
});
