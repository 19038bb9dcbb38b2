/**
 * Dropout over inputs of any rank: in training, zeroes each value with probability `rate` and scales the
 * rest by 1/(1-rate) (inverted dropout, as Keras); at inference it is the identity. The mask comes from the
 * model's seeded RNG, whose state checkpoints save, so training repeats and resumes exactly.
 */
import type { Backend, FloatArray } from '../backend/ops';
import type { Rng } from '../random';
import type { ConfigReader } from './config-reader';
import { Layer, type LayerArgs } from './layer';
import type { LayerEntry } from './layer-entry';
import { shapeSize, type Shape } from './shape';

export interface DropoutArgs extends LayerArgs {
  /** Fraction of inputs to drop, in [0, 1). */
  rate: number;
}

export class Dropout extends Layer {
  /** y and the mask. */
  override stepBufferValues(inputShape: Shape): number {
    return 2 * shapeSize(inputShape);
  }

  readonly className = 'Dropout';
  readonly rate: number;
  private lastRows = 0;
  private lastTraining = false;

  constructor(args: DropoutArgs) {
    super(args, 'layers.dropout()');
    if (!args || typeof args.rate !== 'number' || !(args.rate >= 0 && args.rate < 1)) {
      throw new Error(
        `layers.dropout(): 'rate' must be a number in [0, 1), got ${args?.rate}. ` +
          'Example: layers.dropout({ rate: 0.2 })',
      );
    }
    const extra = args as DropoutArgs & { seed?: unknown; noiseShape?: unknown };
    if (extra.seed !== undefined && extra.seed !== null) {
      throw new Error(
        `layers.dropout(): 'seed' is not supported: dropout draws from the model's seeded RNG ` +
          `(bp.sequential({ seed })), which checkpoints save so training resumes exactly`,
      );
    }
    if (extra.noiseShape !== undefined && extra.noiseShape !== null) {
      throw new Error(`layers.dropout(): 'noiseShape' is not supported (use spatial dropout layers instead)`);
    }
    this.rate = args.rate;
  }

  /** Works on each step alone, so a sequence mask passes through. */
  override maskFlow(inputMasked: boolean): boolean {
    return inputMasked;
  }

  computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }

  forward(_b: Backend, x: FloatArray, rows: number, training: boolean, rng: Rng): FloatArray {
    this.lastRows = rows;
    this.lastTraining = training && this.rate > 0;
    if (!this.lastTraining) return x;
    const [y, mask] = this.buffers(rows, [this.outputSize, this.outputSize]);
    const keep = 1 / (1 - this.rate);
    const n = rows * this.outputSize;
    for (let i = 0; i < n; i++) {
      const m = rng.uniform(0, 1) >= this.rate ? keep : 0;
      mask[i] = m;
      y[i] = x[i] * m;
    }
    return y;
  }

  backward(_b: Backend, dy: FloatArray, rows: number): FloatArray | null {
    if (!this.lastTraining) return dy;
    if (rows !== this.lastRows) throw new Error('Dropout.backward(): batch size differs from the last forward');
    const mask = this.buffers(rows, [this.outputSize, this.outputSize])[1];
    const n = rows * this.outputSize;
    for (let i = 0; i < n; i++) dy[i] *= mask[i];
    return dy;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), rate: this.rate, noiseShape: null, seed: null };
  }
}

export const dropoutEntry: LayerEntry = {
  className: 'Dropout',
  fromConfig(c: ConfigReader): Dropout {
    c.unsupported('noiseShape', 'seed');
    const rate = c.num('rate');
    if (!(rate >= 0 && rate < 1)) c.fail('rate', `must be in [0, 1), got ${rate}`);
    return new Dropout({ ...c.layerArgs(), rate });
  },
};
