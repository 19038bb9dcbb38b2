/**
 * An activation on its own (`layers.activation({ activation: 'relu' })`), elementwise over any rank;
 * softmax normalises over the last axis. TF.js's LeakyReLU, ELU and Softmax layers load as this layer too (see
 * the registry entries below); ReLU, with its options, has its own (relu.ts).
 */
import type { ActivationName, Backend, FloatArray } from '../backend/ops';
import { resolveActivation, type ActivationIdentifier } from './activation-names';
import type { ConfigReader } from './config-reader';
import { Layer, type LayerArgs } from './layer';
import type { LayerEntry } from './layer-entry';
import { shapeSize, type Shape } from './shape';

export interface ActivationArgs extends LayerArgs {
  activation: ActivationIdentifier;
  /** Parameter of leakyRelu (slope, default 0.3) and elu (default 1). */
  alpha?: number;
}

export class ActivationLayer extends Layer {
  readonly className = 'Activation';

  /** y and dx. */
  override stepBufferValues(inputShape: Shape): number {
    return 2 * shapeSize(inputShape);
  }
  readonly activation: ActivationName;
  readonly actCode: number;
  readonly actAlpha: number;
  private readonly defaultAlpha: number;
  /** A TF.js Softmax layer's axis (batch axis = 0; -1 = last); only the last axis is supported. */
  private readonly softmaxAxis: number;
  private lastZ?: FloatArray;
  private lastY?: FloatArray;

  constructor(args: ActivationArgs) {
    super(args, 'layers.activation()');
    if (!args || args.activation === undefined) {
      throw new Error(`layers.activation(): 'activation' is required, e.g. layers.activation({ activation: 'relu' })`);
    }
    const act = resolveActivation(args.activation, 'layers.activation()');
    this.activation = act.name;
    this.actCode = act.code;
    if (args.alpha !== undefined && (typeof args.alpha !== 'number' || !Number.isFinite(args.alpha))) {
      throw new Error(`layers.activation(): 'alpha' must be a finite number, got ${args.alpha}`);
    }
    this.defaultAlpha = act.alpha;
    this.actAlpha = args.alpha ?? act.alpha;
    this.softmaxAxis = (args as { softmaxAxis?: number }).softmaxAxis ?? -1;
  }

  /** Works on each step alone, so a sequence mask passes through. */
  override maskFlow(inputMasked: boolean): boolean {
    return inputMasked;
  }

  computeOutputShape(inputShape: Shape): Shape {
    if (this.softmaxAxis !== -1 && this.softmaxAxis !== inputShape.length) {
      this.badInput(inputShape, `softmax over axis ${this.softmaxAxis} is not supported, only over the last axis`);
    }
    return inputShape;
  }

  /** Rows and columns the op sees: softmax runs over the last axis, so each row is one last-axis vector. */
  private dims(rows: number): [number, number] {
    const last = this.outputShape![this.outputShape!.length - 1];
    return [(rows * this.outputSize) / last, last];
  }

  override get outputActivation(): ActivationName {
    return this.activation;
  }

  override preActivation(): FloatArray {
    return this.lastZ!;
  }

  forward(b: Backend, x: FloatArray, rows: number): FloatArray {
    const [y] = this.buffers(rows, [this.outputSize, this.outputSize]);
    const [r, c] = this.dims(rows);
    b.activationForward(this.actCode, this.actAlpha, x, y, r, c);
    this.lastZ = x;
    this.lastY = y;
    return y;
  }

  backward(b: Backend, dy: FloatArray, rows: number, _needDx: boolean, lossFused: boolean): FloatArray | null {
    if (lossFused) return dy;
    const dx = this.buffers(rows, [this.outputSize, this.outputSize])[1];
    const [r, c] = this.dims(rows);
    b.activationBackward(this.actCode, this.actAlpha, this.lastZ!, this.lastY!, dy, dx, r, c);
    return dx;
  }

  override getConfig(): Record<string, unknown> {
    const config: Record<string, unknown> = { ...super.getConfig(), activation: this.activation };
    if (this.actAlpha !== this.defaultAlpha) config.alpha = this.actAlpha;
    return config;
  }
}

function layerWith(c: ConfigReader, activation: ActivationName, alphaKey?: string, alphaDefault?: number, axis = -1) {
  const alpha = alphaKey ? c.num(alphaKey, alphaDefault) : undefined;
  return new ActivationLayer({ ...c.layerArgs(), activation, alpha, softmaxAxis: axis } as ActivationArgs);
}

export const activationEntry: LayerEntry = {
  className: 'Activation',
  fromConfig: (c) => layerWith(c, c.activation('activation'), c.has('alpha') ? 'alpha' : undefined),
  // TF.js names neither leakyRelu nor a parameterised elu as an activation string: write their layers.
  toFile(layer) {
    const a = layer as ActivationLayer;
    const { name, trainable } = a.getConfig();
    if (a.activation === 'leakyRelu')
      return [{ className: 'LeakyReLU', config: { name, trainable, alpha: a.actAlpha } }];
    if (a.activation === 'elu' && a.actAlpha !== 1) {
      return [{ className: 'ELU', config: { name, trainable, alpha: a.actAlpha } }];
    }
    return [{ className: 'Activation', config: { name, trainable, activation: a.activation } }];
  },
};

/** TF.js `LeakyReLU({ alpha = 0.3 })`; Keras 3 names the slope `negative_slope`. */
export const leakyReluEntry: LayerEntry = {
  className: 'LeakyReLU',
  fromConfig(c) {
    if (c.has('alpha') && c.has('negativeSlope')) c.fail('negativeSlope', "give 'alpha' or 'negative_slope', not both");
    return layerWith(c, 'leakyRelu', c.has('negativeSlope') ? 'negativeSlope' : 'alpha', 0.3);
  },
};

/** TF.js `ELU({ alpha = 1 })`. */
export const eluEntry: LayerEntry = { className: 'ELU', fromConfig: (c) => layerWith(c, 'elu', 'alpha', 1) };

/**
 * TF.js `Softmax({ axis })` (TF.js defaults to axis 1, Keras to -1): only over the last axis, which is checked
 * once the input's rank is known.
 */
export const softmaxEntry: LayerEntry = {
  className: 'Softmax',
  fromConfig(c) {
    const raw = c.get('axis');
    const axis = Array.isArray(raw) && raw.length === 1 ? raw[0] : (raw ?? 1);
    if (typeof axis !== 'number' || !Number.isInteger(axis) || axis < -1 || axis > 9) {
      c.fail('axis', `expected an axis number, got ${JSON.stringify(raw)}`);
    }
    return layerWith(c, 'softmax', undefined, undefined, axis);
  },
};
