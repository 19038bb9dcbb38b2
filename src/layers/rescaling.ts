/**
 * Rescaling: `y = x·scale + offset` (image preprocessing inside the model: `scale: 1 / 255`, or `scale: 1 / 127.5,
 * offset: -1` for [-1, 1]). Elementwise over any rank; scalar scale and offset, as TF.js takes them (Keras also
 * allows per-channel arrays: refused, naming the key).
 */
import type { Backend, FloatArray } from '../backend/ops';
import type { ConfigReader } from './config-reader';
import { Layer, type LayerArgs } from './layer';
import type { LayerEntry } from './layer-entry';
import { shapeSize, type Shape } from './shape';

export interface RescalingArgs extends LayerArgs {
  /** The factor inputs are multiplied by. */
  scale: number;
  /** Added after scaling (default 0). */
  offset?: number;
}

export class Rescaling extends Layer {
  readonly className = 'Rescaling';
  readonly scale: number;
  readonly offset: number;

  constructor(args: RescalingArgs) {
    const where = 'layers.rescaling()';
    super(args, where);
    const finite = (name: string, v: unknown): number => {
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new Error(
          `${where}: '${name}' must be a finite number (per-channel arrays are Keras-only), ` +
            `got ${JSON.stringify(v)}. ` +
            'Example: layers.rescaling({ scale: 1 / 255 })',
        );
      }
      return v;
    };
    this.scale = finite('scale', args?.scale);
    this.offset = finite('offset', args?.offset ?? 0);
  }

  /** Works on each value alone, so a sequence mask passes through. */
  override maskFlow(inputMasked: boolean): boolean {
    return inputMasked;
  }

  /** y only: backward scales dy in place into the input gradient. */
  override stepBufferValues(inputShape: Shape): number {
    return shapeSize(inputShape);
  }

  computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }

  forward(_b: Backend, x: FloatArray, rows: number): FloatArray {
    const [y] = this.buffers(rows, [this.outputSize]);
    const n = rows * this.outputSize;
    for (let i = 0; i < n; i++) y[i] = x[i] * this.scale + this.offset;
    return y;
  }

  backward(_b: Backend, dy: FloatArray, rows: number, needDx: boolean): FloatArray | null {
    if (!needDx) return null;
    const n = rows * this.outputSize;
    for (let i = 0; i < n; i++) dy[i] *= this.scale;
    return dy;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), scale: this.scale, offset: this.offset };
  }
}

export const rescalingEntry: LayerEntry = {
  className: 'Rescaling',
  fromConfig: (c: ConfigReader) =>
    new Rescaling({ ...c.layerArgs(), scale: c.num('scale'), offset: c.num('offset', 0) }),
};
