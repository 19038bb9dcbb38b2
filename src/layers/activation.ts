/** Activation layer: applies an activation on its own (`layers.activation({ activation: 'relu' })`). */
import type { Backend, FloatArray } from '../backend/ops';
import { resolveActivation, type ActivationIdentifier } from './activation-names';
import { Layer, type LayerArgs } from './layer';

export interface ActivationArgs extends LayerArgs {
  activation: ActivationIdentifier;
  /** Parameter of leakyRelu (slope, default 0.3) and elu (default 1). */
  alpha?: number;
}

export class ActivationLayer extends Layer {
  readonly className = 'Activation';
  readonly kind = 'activation';
  readonly activation: string;
  readonly actCode: number;
  readonly actAlpha: number;
  private lastZ?: FloatArray;
  private lastY?: FloatArray;

  constructor(args: ActivationArgs) {
    super(args);
    if (!args || args.activation === undefined) {
      throw new Error(`layers.activation(): 'activation' is required, e.g. layers.activation({ activation: 'relu' })`);
    }
    const act = resolveActivation(args.activation, 'layers.activation()');
    this.activation = act.name;
    this.actCode = act.code;
    if (args.alpha !== undefined && (typeof args.alpha !== 'number' || !Number.isFinite(args.alpha))) {
      throw new Error(`layers.activation(): 'alpha' must be a finite number, got ${args.alpha}`);
    }
    this.actAlpha = args.alpha ?? act.alpha;
  }

  protected computeOutputUnits(inputUnits: number): number {
    return inputUnits;
  }

  /** The input of the last forward (pre-activation, what fused losses read). */
  get preActivation(): FloatArray {
    return this.lastZ!;
  }

  forward(b: Backend, x: FloatArray, rows: number): FloatArray {
    const [y, dx] = this.buffers(rows, [this.outputUnits, this.outputUnits]);
    void dx;
    b.activationForward(this.actCode, this.actAlpha, x, y, rows, this.outputUnits);
    this.lastZ = x;
    this.lastY = y;
    return y;
  }

  backward(b: Backend, dy: FloatArray, rows: number, _needDx: boolean, skipActivation: boolean): FloatArray | null {
    if (skipActivation) return dy;
    const dx = this.buffers(rows, [this.outputUnits, this.outputUnits])[1];
    b.activationBackward(this.actCode, this.actAlpha, this.lastZ!, this.lastY!, dy, dx, rows, this.outputUnits);
    return dx;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), activation: this.activation };
  }
}
