/**
 * TransformerDecoder (KerasNLP), on the template of dense.test.ts without TF.js parity (TF.js has no such layer):
 * decoder-only — gradients (float64, both backends; post- and pre-norm; with a padding mask and without; dropout),
 * backend agreement, config round trip, save/load, Keras' weight names, causality, bad arguments — and with
 * cross-attention on [decoderSequence, encoderSequence]: gradients (both backends, masks on both sequences,
 * encoder features ≠ decoder features, 4 ≠ 5 steps), weight names and order, save/load, the encoder's mask.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as bp from '../../src';
import { backendNames } from '../support/backends';
import { expectBackendsAgree, expectConfigRoundTrip, expectGradientsMatch, randomInput } from '../support/layer-checks';
import { expectSaveLoadRoundTrip, tokenIds } from '../support/transformer-checks';

const bias = () => bp.initializers.randomUniform({ minval: -0.2, maxval: 0.2 });

describe('TransformerDecoder', () => {
  test('gradients match finite differences (post-norm, pre-norm with dropout; every backend)', () => {
    expectGradientsMatch(
      () => [
        bp.layers.transformerDecoder({ intermediateDim: 6, numHeads: 2, inputShape: [3, 4], biasInitializer: bias() }),
      ],
      [3, 4],
    );
    expectGradientsMatch(
      () => [
        bp.layers.transformerDecoder({
          intermediateDim: 5,
          numHeads: 3,
          activation: 'tanh',
          normalizeFirst: true,
          dropout: 0.25,
          inputShape: [4, 6],
          biasInitializer: bias(),
        }),
      ],
      [4, 6],
      [2],
    );
  });

  test('gradients match with a padding mask (tokenAndPositionEmbedding({ maskZero }))', () => {
    expectGradientsMatch(
      () => [
        bp.layers.tokenAndPositionEmbedding({
          vocabularySize: 7,
          sequenceLength: 6,
          embeddingDim: 4,
          maskZero: true,
          inputShape: [5],
        }),
        bp.layers.transformerDecoder({
          intermediateDim: 3,
          numHeads: 2,
          normalizeFirst: true,
          biasInitializer: bias(),
        }),
        bp.layers.dense({ units: 3 }),
      ],
      [5],
      [1, 3],
      7,
      (rows, seed) => tokenIds(5, 7, rows, seed),
    );
  });

  test('the backends agree', () => {
    expectBackendsAgree(
      () => [
        bp.layers.transformerDecoder({ intermediateDim: 8, numHeads: 2, inputShape: [5, 6], biasInitializer: bias() }),
        bp.layers.transformerDecoder({ intermediateDim: 4, numHeads: 3, normalizeFirst: true, dropout: 0.1 }),
      ],
      [5, 6],
    );
  });

  test('config round trip through the registry', () => {
    const model = bp.sequential({
      layers: [
        bp.layers.transformerDecoder({
          intermediateDim: 8,
          numHeads: 2,
          inputShape: [5, 6],
          dropout: 0.1,
          activation: 'gelu',
          layerNormEpsilon: 1e-6,
          normalizeFirst: true,
          kernelInitializer: 'heNormal',
        }),
        bp.layers.transformerDecoder({ intermediateDim: 4, numHeads: 1, trainable: false }),
      ],
    });
    expectConfigRoundTrip(model.layers);
  });

  test("Keras' weight names, shapes and order; save and load", async () => {
    const model = bp.sequential({
      seed: 3,
      layers: [bp.layers.transformerDecoder({ name: 'dec', intermediateDim: 8, numHeads: 4, inputShape: [4, 8] })],
    });
    expect(model.getWeights().map((w) => `${w.name} ${w.shape.join('x')}`)).toEqual([
      'dec/self_attention/query/kernel 8x4x2',
      'dec/self_attention/query/bias 4x2',
      'dec/self_attention/key/kernel 8x4x2',
      'dec/self_attention/key/bias 4x2',
      'dec/self_attention/value/kernel 8x4x2',
      'dec/self_attention/value/bias 4x2',
      'dec/self_attention/attention_output/kernel 4x2x8',
      'dec/self_attention/attention_output/bias 8',
      'dec/self_attention_layer_norm/gamma 8',
      'dec/self_attention_layer_norm/beta 8',
      'dec/feedforward_intermediate_dense/kernel 8x8',
      'dec/feedforward_intermediate_dense/bias 8',
      'dec/feedforward_output_dense/kernel 8x8',
      'dec/feedforward_output_dense/bias 8',
      'dec/feedforward_layer_norm/gamma 8',
      'dec/feedforward_layer_norm/beta 8',
    ]);
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const x = randomInput([4, 8], 3, 1);
    model.trainOnBatch(x, randomInput([4, 8], 3, 2));
    await expectSaveLoadRoundTrip(model, x);
  });

  test('causal: a step does not depend on later steps', () => {
    const model = bp.sequential({
      seed: 4,
      dtype: 'float64',
      layers: [
        bp.layers.transformerDecoder({ intermediateDim: 8, numHeads: 2, inputShape: [5, 4], biasInitializer: bias() }),
      ],
    });
    const x = randomInput([5, 4], 1, 9);
    const y = model.predict(x).data;
    const x2 = bp.tensor(Float32Array.from(x.data), [1, 5, 4]);
    for (let i = 12; i < 20; i++) x2.data[i] += 1; // steps 3 and 4
    const y2 = model.predict(x2).data;
    expect(Array.from(y2.subarray(0, 12))).toEqual(Array.from(y.subarray(0, 12)));
    expect(Array.from(y2.subarray(12))).not.toEqual(Array.from(y.subarray(12)));
  });

  test('bad arguments name the option', () => {
    expect(() => bp.layers.transformerDecoder({ intermediateDim: 4, numHeads: 0 })).toThrow(
      /'numHeads' must be an integer in \[1, 4096\], got 0/,
    );
    expect(() => bp.layers.transformerDecoder({ intermediateDim: 4, numHeads: 2, normalizeFirst: 1 as never })).toThrow(
      /'normalizeFirst' must be true or false/,
    );
    // Keras writes the shapes it was built with; the encoder's comes from the call's second input here.
    expect(
      bp.layers.layerFromConfig('TransformerDecoder', {
        intermediateDim: 4,
        numHeads: 2,
        encoderSequenceShape: [null, 3, 4],
      }).className,
    ).toBe('TransformerDecoder');
    const dec = bp.layers.transformerDecoder({ intermediateDim: 4, numHeads: 2 });
    const x = bp.input({ shape: [3, 4] });
    expect(() => dec.apply([x, x, x])).toThrow(/takes \[sequence\] or \[sequence, encoderSequence\], got 3 inputs/);
    expect(() => dec.apply([x, bp.input({ shape: [4] })])).toThrow(/the encoder sequence must be \[steps, features\]/);
    const enc = bp.layers.transformerEncoder({ intermediateDim: 4, numHeads: 2 });
    expect(() => enc.apply([x, x])).toThrow(/takes one input/);
  });
});

/** A float64 encoder-decoder graph: decoder ids [4] (maskZero) and encoder ids [5] (maskZero) or features [5, 3]. */
function encoderDecoder(normalizeFirst: boolean, dropout = 0, encoderMask = true) {
  const L = bp.layers;
  const decIds = bp.input({ shape: [4], name: 'dec' });
  const x = L.embedding({ inputDim: 7, outputDim: 4, maskZero: true }).apply(decIds);
  let encIn: bp.SymbolicTensor, e: bp.SymbolicTensor;
  if (encoderMask) {
    encIn = bp.input({ shape: [5], name: 'enc' });
    e = L.embedding({ inputDim: 7, outputDim: 6, maskZero: true }).apply(encIn);
  } else {
    encIn = bp.input({ shape: [5, 3], name: 'enc' });
    e = L.dense({ units: 6, biasInitializer: bias() }).apply(encIn);
  }
  const y = L.transformerDecoder({
    name: 'dec_block',
    intermediateDim: 5,
    numHeads: 2,
    normalizeFirst,
    dropout,
    biasInitializer: bias(),
  }).apply([x, e]);
  return bp.model({ inputs: [decIds, encIn], outputs: L.dense({ units: 2 }).apply(y), dtype: 'float64', seed: 6 });
}

function paddedIds(rows: number, steps: number, seed: number) {
  const rng = new bp.Rng(seed);
  const data = new Float64Array(rows * steps);
  for (let r = 0; r < rows; r++)
    for (let t = 0; t < steps - (r % steps); t++) data[r * steps + t] = 1 + Math.floor(rng.uniform(0, 5.999));
  return bp.tensor(data, [rows, steps], 'float64');
}

describe.each(backendNames())('TransformerDecoder with cross-attention on the %s backend', (backend) => {
  beforeAll(() => bp.setBackend(backend));
  afterAll(() => bp.setBackend('auto'));

  test.each([
    ['post-norm, padding masks on both sequences', false, 0, true],
    ['pre-norm, dropout, encoder features (no mask)', true, 0.2, false],
  ] as const)('%s: float64 gradients match finite differences', (_label, normalizeFirst, dropout, encoderMask) => {
    const model = encoderDecoder(normalizeFirst, dropout, encoderMask);
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    const rows = 3;
    const rng = new bp.Rng(4);
    const enc = encoderMask
      ? paddedIds(rows, 5, 2)
      : bp.tensor(
          Float64Array.from({ length: rows * 15 }, () => rng.uniform(-1, 1)),
          [rows, 5, 3],
          'float64',
        );
    const y = bp.tensor(
      Float64Array.from({ length: rows * 8 }, () => rng.uniform(-1, 1)),
      [rows, 4, 2],
      'float64',
    );
    const r = bp.gradcheck(model, [paddedIds(rows, 4, 1), enc], y);
    expect(r.maxError).toBeLessThan(1e-5);
    expect(Object.keys(r.checked).some((n) => n.includes('cross_attention/key/kernel'))).toBe(true);
  });
});

describe('TransformerDecoder with cross-attention', () => {
  test("KerasNLP's weight names and order; save and load", async () => {
    const model = encoderDecoder(false);
    const names = model
      .getWeights()
      .map((w) => w.name)
      .filter((n) => n.startsWith('dec_block/'));
    expect(names).toEqual([
      ...['query', 'key', 'value', 'attention_output'].flatMap((p) => [
        `dec_block/self_attention/${p}/kernel`,
        `dec_block/self_attention/${p}/bias`,
      ]),
      'dec_block/self_attention_layer_norm/gamma',
      'dec_block/self_attention_layer_norm/beta',
      ...['query', 'key', 'value', 'attention_output'].flatMap((p) => [
        `dec_block/cross_attention/${p}/kernel`,
        `dec_block/cross_attention/${p}/bias`,
      ]),
      'dec_block/cross_attention_layer_norm/gamma',
      'dec_block/cross_attention_layer_norm/beta',
      'dec_block/feedforward_intermediate_dense/kernel',
      'dec_block/feedforward_intermediate_dense/bias',
      'dec_block/feedforward_output_dense/kernel',
      'dec_block/feedforward_output_dense/bias',
      'dec_block/feedforward_layer_norm/gamma',
      'dec_block/feedforward_layer_norm/beta',
    ]);
    const shape = (n: string) => model.getWeights().find((w) => w.name === n)!.shape;
    expect(shape('dec_block/cross_attention/key/kernel')).toEqual([6, 2, 2]);
    expect(shape('dec_block/cross_attention/query/kernel')).toEqual([4, 2, 2]);
    expect(shape('dec_block/cross_attention/attention_output/kernel')).toEqual([2, 2, 4]);
    const xs = [paddedIds(2, 4, 1), paddedIds(2, 5, 2)];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-xattn-'));
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      await model.save(dir);
    } finally {
      warn.mockRestore();
    }
    const again = await bp.loadLayersModel(dir);
    // The file holds float32 weights (this model computes in float64): equal to float32 precision.
    const want = (model.predict(xs) as bp.Tensor).data;
    const got = (again.predict(xs) as bp.Tensor).data;
    for (let k = 0; k < want.length; k++) expect(got[k]).toBeCloseTo(want[k], 5);
    expect(again.getWeights().map((w) => w.name)).toEqual(model.getWeights().map((w) => w.name));
  });

  test('padded encoder steps are ignored; the output depends on the encoder sequence', () => {
    const model = encoderDecoder(true);
    const dec = bp.tensor([[1, 2, 3, 0]], [1, 4], 'float64');
    const y = (model.predict([dec, bp.tensor([[4, 5, 0, 0, 0]], [1, 5], 'float64')]) as bp.Tensor).data;
    const other = (model.predict([dec, bp.tensor([[4, 6, 0, 0, 0]], [1, 5], 'float64')]) as bp.Tensor).data;
    expect(Array.from(other)).not.toEqual(Array.from(y));
    // A padded encoder step's embedding does not matter: change the padding row of the table.
    const weights = model.getWeights();
    const table = weights.find((w) => w.name.endsWith('embeddings') && w.shape[1] === 6)!;
    table.data.fill(3, 0, 6);
    model.setWeights(weights);
    const padChanged = (model.predict([dec, bp.tensor([[4, 5, 0, 0, 0]], [1, 5], 'float64')]) as bp.Tensor).data;
    for (let i = 0; i < y.length; i++) expect(padChanged[i]).toBeCloseTo(y[i], 12);
  });
});
