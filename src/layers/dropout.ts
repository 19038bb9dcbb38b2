/**
 * Dropout: in training, zeroes each input with probability `rate` and scales the rest by 1/(1-rate)
 * (inverted dropout, as Keras); at inference it is the identity. The mask comes from the model's
 * seeded RNG, so training stays reproducible.
 */
import type { Backend, FloatArray } from '../backend/ops';
import type { Rng } from '../random';
import { Layer, type LayerArgs } from './layer';

export interface DropoutArgs extends LayerArgs {
  /** Fraction of inputs to drop, in [0, 1). */
  rate: number;
  seed?: number;
}

export class Dropout extends Layer {
  readonly className = 'Dropout';
  readonly kind = 'dropout';
  readonly rate: number;
  private lastRows = 0;
  private lastTraining = false;

  constructor(args: DropoutArgs) {
    super(args);
    if (!args || typeof args.rate !== 'number' || !(args.rate >= 0 && args.rate < 1)) {
      throw new Error(
        `layers.dropout(): 'rate' must be a number in [0, 1), got ${args?.rate}. Example: layers.dropout({ ` +
          `rate: 0.2 })`,
      );
    }
    this.rate = args.rate;
  }

  protected computeOutputUnits(inputUnits: number): number {
    return inputUnits;
  }

  forward(_b: Backend, x: FloatArray, rows: number, training: boolean, rng: Rng): FloatArray {
    this.lastRows = rows;
    this.lastTraining = training && this.rate > 0;
    if (!this.lastTraining) return x;
    const [y, mask] = this.buffers(rows, [this.outputUnits, this.outputUnits]);
    const keep = 1 / (1 - this.rate);
    for (let i = 0; i < y.length; i++) {
      const m = rng.uniform(0, 1) >= this.rate ? keep : 0;
      mask[i] = m;
      y[i] = x[i] * m;
    }
    return y;
  }

  backward(_b: Backend, dy: FloatArray, rows: number): FloatArray | null {
    if (!this.lastTraining) return dy;
    if (rows !== this.lastRows) throw new Error('Dropout.backward(): batch size differs from the last forward');
    const mask = this.buffers(rows, [this.outputUnits, this.outputUnits])[1];
    for (let i = 0; i < dy.length; i++) dy[i] *= mask[i];
    return dy;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), rate: this.rate, noiseShape: null, seed: null };
  }
}
