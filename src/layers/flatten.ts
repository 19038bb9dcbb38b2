/**
 * Flatten: [d1, d2, ...] → [d1·d2·...]. Batches are flat, batch-major arrays, so the values are already in
 * the right order: forward returns its input and backward its gradient, copying nothing.
 */
import type { Backend, FloatArray } from '../backend/ops';
import type { ConfigReader } from './config-reader';
import { Layer, type LayerArgs } from './layer';
import type { LayerEntry } from './layer-entry';
import { shapeSize, type Shape } from './shape';

export type FlattenArgs = LayerArgs;

export class Flatten extends Layer {
  /** None: forward and backward hand on their argument. */
  override stepBufferValues(): number {
    return 0;
  }

  readonly className = 'Flatten';

  constructor(args: FlattenArgs = {}) {
    super(args, 'layers.flatten()');
  }

  computeOutputShape(inputShape: Shape): Shape {
    return [shapeSize(inputShape)];
  }

  forward(_b: Backend, x: FloatArray): FloatArray {
    return x;
  }

  backward(_b: Backend, dy: FloatArray): FloatArray | null {
    return dy;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), dataFormat: 'channels_last' };
  }
}

export const flattenEntry: LayerEntry = {
  className: 'Flatten',
  fromConfig(c: ConfigReader): Flatten {
    c.oneOf('dataFormat', ['channels_last'] as const, 'channels_last');
    return new Flatten(c.layerArgs());
  },
};
