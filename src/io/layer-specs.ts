/**
 * Reading one layer of a topology into a factory for a backprop layer. Layer classes, activations,
 * initializers and regularizers come from closed lists; anything else is an error naming what is supported.
 */
import { Dense } from '../layers/dense';
import { ActivationLayer } from '../layers/activation';
import { Dropout } from '../layers/dropout';
import type { Layer } from '../layers/layer';
import type { Obj, Reader } from './safe-json';
import { activationFromFile, FILE_ACTIVATION_IDS } from '../backend/activations';

export interface LayerSpec {
  kind: 'input' | 'layer';
  inputUnits?: number;
  make(): Layer;
}

export const SUPPORTED_LAYERS = ['Dense', 'Activation', 'Dropout', 'LeakyReLU', 'InputLayer'] as const;
const NAME = /^[A-Za-z0-9][-A-Za-z0-9._/]{0,254}$/;
const INITIALIZERS = [
  'Zeros',
  'Ones',
  'Constant',
  'RandomNormal',
  'RandomUniform',
  'TruncatedNormal',
  'GlorotNormal',
  'GlorotUniform',
  'HeNormal',
  'HeUniform',
  'LeCunNormal',
  'LeCunUniform',
  'VarianceScaling',
] as const;

function initializer(r: Reader, v: unknown, where: string): unknown {
  if (v === undefined || v === null) return undefined;
  const o = r.obj(v, where);
  const cls = r.oneOf(o.class_name, `${where}.class_name`, INITIALIZERS);
  const cfg = o.config === undefined || o.config === null ? {} : r.obj(o.config, `${where}.config`);
  if (cls === 'Constant')
    return { className: 'Constant', config: { value: r.num(cfg.value ?? 0, `${where}.config.value`) } };
  if (cls === 'RandomNormal' || cls === 'TruncatedNormal') {
    return {
      className: cls,
      config: {
        mean: r.num(cfg.mean ?? 0, `${where}.config.mean`),
        stddev: r.num(cfg.stddev ?? 0.05, `${where}.config.stddev`),
      },
    };
  }
  if (cls === 'RandomUniform') {
    return {
      className: cls,
      config: {
        minval: r.num(cfg.minval ?? -0.05, `${where}.config.minval`),
        maxval: r.num(cfg.maxval ?? 0.05, `${where}.config.maxval`),
      },
    };
  }
  if (cls !== 'VarianceScaling') return { className: cls, config: {} };
  // VarianceScaling is how Keras/TF.js write glorot/he/leCun: map the common settings back to them.
  const scale = r.num(cfg.scale ?? 1, `${where}.config.scale`);
  const mode = r.oneOf(cfg.mode ?? 'fan_avg', `${where}.config.mode`, ['fan_in', 'fan_out', 'fan_avg'] as const);
  const dist = r.oneOf(cfg.distribution ?? 'normal', `${where}.config.distribution`, [
    'normal',
    'truncated_normal',
    'untruncated_normal',
    'uniform',
  ] as const);
  const family =
    mode === 'fan_avg' && scale === 1
      ? 'Glorot'
      : mode === 'fan_in' && scale === 2
        ? 'He'
        : mode === 'fan_in' && scale === 1
          ? 'LeCun'
          : undefined;
  // Weights are loaded anyway; only re-initialisation would differ.
  if (!family) return { className: 'GlorotUniform', config: {} };
  return { className: `${family}${dist === 'uniform' ? 'Uniform' : 'Normal'}`, config: {} };
}

function regularizer(r: Reader, v: unknown, where: string): unknown {
  if (v === undefined || v === null) return undefined;
  const o = r.obj(v, where);
  r.oneOf(o.class_name, `${where}.class_name`, ['L1L2', 'L1', 'L2'] as const);
  const cfg = o.config === undefined ? {} : r.obj(o.config, `${where}.config`);
  return {
    className: 'L1L2',
    config: { l1: r.num(cfg.l1 ?? 0, `${where}.config.l1`), l2: r.num(cfg.l2 ?? 0, `${where}.config.l2`) },
  };
}

function activation(r: Reader, v: unknown, where: string): string {
  const name = r.str(v ?? 'linear', where);
  const mapped = activationFromFile(name);
  if (!mapped) r.fail(where, `activation '${name}' is not supported; supported: ${FILE_ACTIVATION_IDS.join(', ')}`);
  return mapped;
}

export function readLayer(r: Reader, v: unknown, index: number, maxUnits: number): LayerSpec {
  const where = `modelTopology layers[${index}]`;
  const o = r.obj(v, where);
  const cls = r.str(o.class_name, `${where}.class_name`, 128);
  if (!(SUPPORTED_LAYERS as readonly string[]).includes(cls)) {
    r.fail(
      `${where}.class_name`,
      `layer '${cls}' is not supported; backprop loads Sequential models of ${SUPPORTED_LAYERS.join(', ')}`,
    );
  }
  const cfg = r.obj(o.config, `${where}.config`);
  const name = cfg.name === undefined ? undefined : r.str(cfg.name, `${where}.config.name`, 255);
  if (name !== undefined && !NAME.test(name)) r.fail(`${where}.config.name`, `'${name}' is not a valid layer name`);
  if (cfg.dtype !== undefined && cfg.dtype !== null) r.oneOf(cfg.dtype, `${where}.config.dtype`, ['float32'] as const);
  let inputUnits: number | undefined;
  const bis =
    cfg.batch_input_shape ??
    (cfg.input_shape !== undefined ? [null, ...r.arr(cfg.input_shape, `${where}.config.input_shape`, 8)] : undefined);
  if (bis !== undefined && bis !== null) {
    const shape = r.arr(bis, `${where}.config.batch_input_shape`, 8);
    if (shape.length !== 2 || (shape[0] !== null && typeof shape[0] !== 'number')) {
      r.fail(
        `${where}.config.batch_input_shape`,
        `expected [null, features] (flat inputs), got [${shape.map(String).join(', ')}]`,
      );
    }
    inputUnits = r.int(shape[1], `${where}.config.batch_input_shape[1]`, 1, maxUnits);
  }
  const common = { name };
  switch (cls) {
    case 'InputLayer':
      return {
        kind: 'input',
        inputUnits,
        make: () => {
          throw new Error('unreachable');
        },
      };
    case 'Dense': {
      const units = r.int(cfg.units, `${where}.config.units`, 1, maxUnits);
      const act = activation(r, cfg.activation, `${where}.config.activation`);
      const useBias = cfg.use_bias === undefined ? true : r.bool(cfg.use_bias, `${where}.config.use_bias`);
      const args = {
        ...common,
        units,
        activation: act,
        useBias,
        kernelInitializer: initializer(r, cfg.kernel_initializer, `${where}.config.kernel_initializer`),
        biasInitializer: initializer(r, cfg.bias_initializer, `${where}.config.bias_initializer`),
        kernelRegularizer: regularizer(r, cfg.kernel_regularizer, `${where}.config.kernel_regularizer`),
        biasRegularizer: regularizer(r, cfg.bias_regularizer, `${where}.config.bias_regularizer`),
      } as ConstructorParameters<typeof Dense>[0];
      return { kind: 'layer', inputUnits, make: () => new Dense(args) };
    }
    case 'Activation': {
      const act = activation(r, cfg.activation, `${where}.config.activation`);
      return { kind: 'layer', inputUnits, make: () => new ActivationLayer({ ...common, activation: act }) };
    }
    case 'LeakyReLU': {
      const alpha = r.num(cfg.alpha ?? 0.3, `${where}.config.alpha`);
      return {
        kind: 'layer',
        inputUnits,
        make: () => new ActivationLayer({ ...common, activation: 'leakyRelu', alpha }),
      };
    }
    default: {
      const rate = r.num(cfg.rate, `${where}.config.rate`);
      if (!(rate >= 0 && rate < 1)) r.fail(`${where}.config.rate`, `must be in [0, 1), got ${rate}`);
      return { kind: 'layer', inputUnits, make: () => new Dropout({ ...common, rate }) };
    }
  }
}

export type { Obj };
