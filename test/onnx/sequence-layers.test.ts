/**
 * @jest-environment ./test/onnx/ort-environment.js
 */
/**
 * Every sequence layer exported to ONNX: the file passes ONNX's checker, and ONNX Runtime's outputs equal
 * model.predict (every backend) within 1e-5 at batch 1 and 33 — recurrent layers with and without
 * returnSequences and goBackwards, both gate activations, both GRU variants, every Bidirectional merge mode,
 * one-step sequences, and masks (from Masking and Embedding maskZero) with every kind of padding.
 */
import * as path from 'node:path';
import * as bp from '../../src';
import type { Layer } from '../../src/layers/layer';
import type { GruArgs } from '../../src/layers/gru';
import type { LstmArgs } from '../../src/layers/lstm';
import { OnnxChecker, runOnnx, tmpDir, writeParityTable } from './support';
import {
  expectSequenceOnnxMatchesPredict as expectParity,
  paddedSequences,
  paddedTokenIds,
  tokenIds,
} from './sequence-support';

const checker = new OnnxChecker();
afterAll(() => {
  checker.close();
  writeParityTable();
});

const bias = () => bp.initializers.randomUniform({ minval: -0.5, maxval: 0.5 });
const model = (layers: Layer[], seed = 5) => bp.sequential({ seed, layers });

describe('Embedding → Gather', () => {
  test('float ids as predict takes them, on [steps] and [steps, 2] inputs', async () => {
    const m = model([bp.layers.embedding({ inputDim: 11, outputDim: 4, inputShape: [7] })]);
    await expectParity(m, checker, { label: 'Embedding', input: tokenIds(11) });
    const m2 = model([bp.layers.embedding({ inputDim: 5, outputDim: 3, inputShape: [4, 2] })]);
    await expectParity(m2, checker, { label: 'Embedding', input: tokenIds(5) });
  });

  test('ids predict refuses (negative, fractional, >= inputDim, NaN) fail the ONNX run too', async () => {
    const m = model([bp.layers.embedding({ inputDim: 6, outputDim: 2, inputShape: [3] })]);
    const bytes = await bp.exportOnnx(m, path.join(tmpDir(), 'embedding.onnx'));
    await expect(runOnnx(bytes, bp.tensor([1, 2, 5], [1, 3]))).resolves.toBeDefined();
    for (const bad of [-1, 1.5, 6, NaN]) {
      const x = bp.tensor([1, bad, 2], [1, 3]);
      expect(() => m.predict(x)).toThrow(/not a token id|non-finite/);
      await expect(runOnnx(bytes, x)).rejects.toThrow(/out of (data )?bounds|indices/i);
    }
  });
});

const recurrentCases: [string, boolean, boolean][] = [
  ['last state', false, false],
  ['sequences', true, false],
  ['last state, goBackwards', false, true],
  ['sequences, goBackwards', true, true],
];

describe.each(recurrentCases)('recurrent layers: %s', (_name, returnSequences, goBackwards) => {
  const common = { units: 5, returnSequences, goBackwards, biasInitializer: bias(), inputShape: [6, 3] };

  test('SimpleRNN (tanh, and relu) → RNN', async () => {
    await expectParity(model([bp.layers.simpleRNN(common)]), checker, { label: 'SimpleRNN' });
    const relu = model([bp.layers.simpleRNN({ ...common, activation: 'relu' })]);
    await expectParity(relu, checker, { label: 'SimpleRNN' });
  });

  test.each(['hardSigmoid', 'sigmoid'] as const)('LSTM with %s gates → LSTM', async (recurrentActivation) => {
    const m = model([bp.layers.lstm({ ...common, recurrentActivation })]);
    await expectParity(m, checker, { label: 'LSTM' });
  });

  test.each([
    ['resetAfter false (TF.js)', false, 'hardSigmoid'],
    ['resetAfter true (Keras)', true, 'sigmoid'],
  ] as const)('GRU %s → GRU', async (_v, resetAfter, recurrentActivation) => {
    const m = model([bp.layers.gru({ ...common, resetAfter, recurrentActivation })]);
    await expectParity(m, checker, { label: `GRU, resetAfter ${resetAfter}` });
  });
});

describe('recurrent layer options', () => {
  test('one-step sequences, no bias, unitForgetBias, linear/elu/softsign activations', async () => {
    const one = model([bp.layers.lstm({ units: 4, inputShape: [1, 3], biasInitializer: bias() })]);
    await expectParity(one, checker, { label: 'LSTM' });
    const gru1 = model([bp.layers.gru({ units: 4, inputShape: [1, 3], returnSequences: true, resetAfter: true })]);
    await expectParity(gru1, checker, { label: 'GRU, resetAfter true' });
    const variants: Layer[] = [
      bp.layers.lstm({ units: 4, useBias: false, activation: 'softsign', returnSequences: true, inputShape: [5, 3] }),
      bp.layers.lstm({ units: 3, unitForgetBias: true, activation: 'elu', recurrentActivation: 'sigmoid' }),
    ];
    await expectParity(model(variants), checker, { label: 'LSTM' });
    const lin = model([bp.layers.simpleRNN({ units: 3, activation: 'linear', inputShape: [4, 2], useBias: false })]);
    await expectParity(lin, checker, { label: 'SimpleRNN' });
    const gruSoft: GruArgs = { units: 4, activation: 'softplus', recurrentActivation: 'sigmoid', inputShape: [5, 2] };
    await expectParity(model([bp.layers.gru(gruSoft)]), checker, { label: 'GRU, resetAfter false' });
  });

  test('an activation with no ONNX recurrent form (selu) fails the export, naming the layer', async () => {
    const args: LstmArgs = { units: 3, activation: 'selu', inputShape: [4, 2], name: 'selu_lstm' };
    await expect(bp.exportOnnx(model([bp.layers.lstm(args)]), path.join(tmpDir(), 'selu.onnx'))).rejects.toThrow(
      /layer 'selu_lstm' \(LSTM\): 'activation' selu has no form in ONNX's recurrent ops/,
    );
  });
});

describe.each([[true], [false]])('Bidirectional, returnSequences %s', (returnSequences) => {
  test.each(['concat', 'sum', 'mul', 'ave'] as const)('LSTM, merge mode %s', async (mergeMode) => {
    const layer = bp.layers.lstm({ units: 4, returnSequences, biasInitializer: bias() });
    const m = model([bp.layers.bidirectional({ layer, mergeMode, inputShape: [5, 3] })]);
    await expectParity(m, checker, { label: `Bidirectional (${mergeMode})` });
  });

  test('GRU (resetAfter) and SimpleRNN with goBackwards inside', async () => {
    const gru = bp.layers.gru({ units: 3, returnSequences, resetAfter: true, biasInitializer: bias() });
    await expectParity(model([bp.layers.bidirectional({ layer: gru, inputShape: [4, 2] })]), checker, {
      label: 'Bidirectional (concat)',
    });
    const rnn = bp.layers.simpleRNN({ units: 3, returnSequences, goBackwards: true });
    await expectParity(
      model([bp.layers.bidirectional({ layer: rnn, inputShape: [4, 2], mergeMode: 'sum' })]),
      checker,
      {
        label: 'Bidirectional (sum)',
      },
    );
  });
});

describe('per-step and pooling layers', () => {
  test('TimeDistributed(Dense) → MatMul over rank 3; TimeDistributed(Flatten) via steps folded into rows', async () => {
    const dense = bp.layers.dense({ units: 4, activation: 'softmax', biasInitializer: bias() });
    await expectParity(model([bp.layers.timeDistributed({ layer: dense, inputShape: [6, 3] })]), checker, {
      label: 'TimeDistributed(Dense)',
    });
    const flat = model([
      bp.layers.timeDistributed({ layer: bp.layers.flatten(), inputShape: [3, 2, 4] }),
      bp.layers.dense({ units: 2 }),
    ]);
    await expectParity(flat, checker, { label: 'TimeDistributed(Flatten)' });
  });

  test.each([[17], [13], [18]])(
    'LayerNormalization at opset %d (the op from 17, its formula before)',
    async (opset) => {
      const gamma = bp.initializers.randomUniform({ minval: 0.5, maxval: 1.5 });
      const m = model([
        bp.layers.layerNormalization({ inputShape: [5, 6], gammaInitializer: gamma, betaInitializer: bias() }),
        bp.layers.layerNormalization({ epsilon: 1e-5, center: false }),
        bp.layers.layerNormalization({ scale: false }),
      ]);
      await expectParity(m, checker, {
        opset,
        label: opset > 17 ? `LayerNormalization, opset ${opset}` : 'LayerNormalization',
      });
    },
  );

  test.each([[17], [18]])('GlobalAveragePooling1D → ReduceMean over the steps (opset %d)', async (opset) => {
    const m = model([bp.layers.globalAveragePooling1d({ inputShape: [7, 4] }), bp.layers.dense({ units: 2 })]);
    await expectParity(m, checker, {
      opset,
      label: opset > 17 ? `GlobalAveragePooling1D, opset ${opset}` : 'GlobalAveragePooling1D',
    });
  });
});

describe('masks: every padding pattern (none, trailing, leading, interior, scattered, all)', () => {
  test('Masking alone, with maskValue 0 and -1, on [steps, features] and [steps, 2, 2]', async () => {
    await expectParity(model([bp.layers.masking({ inputShape: [6, 3] })]), checker, {
      label: 'Masking',
      input: paddedSequences(0),
    });
    const m = model([bp.layers.masking({ maskValue: -1, inputShape: [6, 2, 2] })]);
    await expectParity(m, checker, { label: 'Masking', input: paddedSequences(-1) });
  });

  const rnn = (returnSequences: boolean, goBackwards: boolean) => [
    bp.layers.lstm({ units: 4, returnSequences, goBackwards, biasInitializer: bias() }),
    bp.layers.gru({ units: 3, returnSequences, goBackwards, resetAfter: !goBackwards, biasInitializer: bias() }),
    bp.layers.simpleRNN({ units: 3, returnSequences, goBackwards, biasInitializer: bias() }),
  ];

  test.each(recurrentCases)('Masking → LSTM, GRU, SimpleRNN: %s', async (_n, returnSequences, goBackwards) => {
    for (const layer of rnn(returnSequences, goBackwards)) {
      const m = model([bp.layers.masking({ inputShape: [6, 3] }), bp.layers.dense({ units: 3 }), layer]);
      await expectParity(m, checker, { label: `masked ${layer.className}`, input: paddedSequences(0) });
    }
  });

  test('Embedding(maskZero) → LSTM(returnSequences) → GRU, and → Bidirectional → GlobalAveragePooling1D', async () => {
    const chain = model([
      bp.layers.embedding({ inputDim: 9, outputDim: 4, maskZero: true, inputShape: [7] }),
      bp.layers.lstm({ units: 4, returnSequences: true, biasInitializer: bias() }),
      bp.layers.layerNormalization(),
      bp.layers.gru({ units: 3, goBackwards: true, biasInitializer: bias() }),
    ]);
    await expectParity(chain, checker, { label: 'masked LSTM', input: paddedTokenIds(9) });
    for (const mergeMode of ['concat', 'ave'] as const) {
      const bidi = model([
        bp.layers.embedding({ inputDim: 9, outputDim: 3, maskZero: true, inputShape: [6] }),
        bp.layers.bidirectional({ layer: bp.layers.lstm({ units: 3, returnSequences: true }), mergeMode }),
        bp.layers.timeDistributed({ layer: bp.layers.dense({ units: 2, activation: 'tanh' }) }),
        bp.layers.globalAveragePooling1d(),
      ]);
      await expectParity(bidi, checker, { label: 'masked Bidirectional', input: paddedTokenIds(9) });
    }
  });

  test('GlobalAveragePooling1D averages the real steps only (0 for a sample with none)', async () => {
    const m = model([bp.layers.masking({ inputShape: [6, 3] }), bp.layers.globalAveragePooling1d()]);
    await expectParity(m, checker, { label: 'masked GlobalAveragePooling1D', input: paddedSequences(0) });
    await expectParity(m, checker, {
      opset: 18,
      label: 'masked GlobalAveragePooling1D, opset 18',
      input: paddedSequences(0),
    });
  });
});
