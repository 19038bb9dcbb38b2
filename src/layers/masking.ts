/**
 * Masking (TF.js Layers): a step whose features all equal `maskValue` is padding. The output is the input
 * with padded steps zeroed, and carries a sequence mask (layer.ts) that later recurrent layers and the loss
 * honour. Inputs [steps, ...features].
 */
import type { Backend, FloatArray } from '../backend/ops';
import type { ConfigReader } from './config-reader';
import { Layer, type LayerArgs } from './layer';
import type { LayerEntry } from './layer-entry';
import { shapeSize, type Shape } from './shape';

export interface MaskingArgs extends LayerArgs {
  /** The value that marks padding (default 0). */
  maskValue?: number;
}

export class Masking extends Layer {
  /** y, the mask (one value per step) and dx. */
  override stepBufferValues(inputShape: Shape): number {
    return 2 * shapeSize(inputShape) + inputShape[0];
  }

  readonly className = 'Masking';
  readonly maskValue: number;
  private lastRows = 0;

  constructor(args: MaskingArgs = {}) {
    super(args, 'layers.masking()');
    const v = args?.maskValue ?? 0;
    if (typeof v !== 'number' || Number.isNaN(v)) {
      throw new Error(`layers.masking(): 'maskValue' must be a number, got ${String(args?.maskValue)}`);
    }
    this.maskValue = v;
  }

  computeOutputShape(inputShape: Shape): Shape {
    if (inputShape.length < 2) this.badInput(inputShape, 'expected [steps, features] per sample');
    return inputShape;
  }

  /** Makes a mask (whatever its input had). */
  override maskFlow(): boolean {
    return true;
  }

  override outputMask(): FloatArray {
    return this.bufs(this.lastRows)[1];
  }

  private get steps(): number {
    return this.inputShape![0];
  }

  /** y, mask, dx. */
  private bufs(rows: number): FloatArray[] {
    return this.buffers(rows, [this.inputSize, this.steps, this.inputSize]);
  }

  forward(_b: Backend, x: FloatArray, rows: number): FloatArray {
    const [y, mask] = this.bufs(rows);
    this.lastRows = rows;
    const T = this.steps,
      per = this.inputSize / T;
    for (let s = 0; s < rows * T; s++) {
      const o = s * per;
      let real = 0;
      for (let f = 0; f < per; f++) if (x[o + f] !== this.maskValue) real = 1;
      mask[s] = real;
      for (let f = 0; f < per; f++) y[o + f] = real ? x[o + f] : 0;
    }
    return y;
  }

  backward(_b: Backend, dy: FloatArray, rows: number, needDx: boolean): FloatArray | null {
    if (!needDx) return null;
    const [, mask, dx] = this.bufs(rows);
    const per = this.inputSize / this.steps;
    for (let s = 0; s < rows * this.steps; s++) {
      for (let f = 0; f < per; f++) dx[s * per + f] = mask[s] ? dy[s * per + f] : 0;
    }
    return dx;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), maskValue: this.maskValue };
  }
}

export const maskingEntry: LayerEntry = {
  className: 'Masking',
  fromConfig: (c: ConfigReader) => new Masking({ ...c.layerArgs(), maskValue: c.num('maskValue', 0) }),
};
