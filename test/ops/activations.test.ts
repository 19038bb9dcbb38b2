/**
 * The activation table (src/backend/activations.ts) is the one source of the codes, the names layers
 * accept, the identifiers in model files and the default parameters.
 */
import {
  ACTIVATION_COUNT,
  ACTIVATION_NAMES,
  ACTIVATION_TABLE,
  Activation,
  FILE_ACTIVATION_IDS,
  activationFromFile,
  activationToFile,
  resolveActivation,
} from '../../src/backend/activations';

test('codes are the table indices, names in table order', () => {
  expect(ACTIVATION_NAMES).toEqual(ACTIVATION_TABLE.map((r) => r.name));
  ACTIVATION_NAMES.forEach((name, i) => expect(Activation[name]).toBe(i));
  expect(ACTIVATION_COUNT).toBe(ACTIVATION_TABLE.length);
  expect(Object.isFrozen(Activation)).toBe(true);
});

describe('resolveActivation (what layers accept)', () => {
  test.each([
    ['relu', 'relu', 0],
    ['hard_sigmoid', 'hardSigmoid', 0],
    ['HARD_SIGMOID', 'hardSigmoid', 0],
    ['hardsigmoid', 'hardSigmoid', 0],
    ['leaky_relu', 'leakyRelu', 0.3],
    ['LeakyReLU', 'leakyRelu', 0.3],
    ['silu', 'swish', 0],
    ['none', 'linear', 0],
    ['elu', 'elu', 1],
  ])('%s → %s (alpha %s)', (id, name, alpha) => {
    expect(resolveActivation(id, 'layers.dense()')).toEqual({ name, code: Activation[name as 'relu'], alpha });
  });
  test.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'relu6', ''])('%s is unknown', (id) => {
    expect(() => resolveActivation(id, 'layers.dense()')).toThrow(
      `layers.dense(): unknown activation '${id}'. Supported: ${ACTIVATION_NAMES.join(', ')}.`,
    );
  });
});

describe('model-file identifiers', () => {
  test('each activation with a file identifier reads back as itself', () => {
    for (const r of ACTIVATION_TABLE) if (r.file) expect(activationFromFile(activationToFile(r.name))).toBe(r.name);
  });
  test('TF.js spellings: hard_sigmoid is written, hardSigmoid and silu are read too', () => {
    expect(activationToFile('hardSigmoid')).toBe('hard_sigmoid');
    expect(activationFromFile('hardSigmoid')).toBe('hardSigmoid');
    expect(activationFromFile('silu')).toBe('swish');
  });
  test('leakyRelu has no TF.js activation string (it is saved as a LeakyReLU layer)', () => {
    expect(() => activationToFile('leakyRelu')).toThrow("activation 'leakyRelu' has no TF.js activation identifier");
    expect(activationFromFile('leakyRelu')).toBeUndefined();
    expect(activationFromFile('leaky_relu')).toBeUndefined();
    expect(FILE_ACTIVATION_IDS).not.toContain('leakyRelu');
  });
  test.each(['__proto__', 'constructor', 'RELU', 'Relu'])('%s is not a file identifier (exact spelling)', (id) => {
    expect(activationFromFile(id)).toBeUndefined();
  });
  test('the accepted identifiers are those the files written before this table held', () => {
    expect([...FILE_ACTIVATION_IDS].sort()).toEqual(
      [
        'linear',
        'sigmoid',
        'tanh',
        'relu',
        'elu',
        'selu',
        'softplus',
        'softsign',
        'hard_sigmoid',
        'hardSigmoid',
        'swish',
        'silu',
        'gelu',
        'softmax',
      ].sort(),
    );
  });
});
