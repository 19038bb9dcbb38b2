/**
 * The layer contract: build, forward and backward written side by side, with every buffer owned by
 * the layer and reused across steps (one set per batch size seen, typically the full batch and the
 * last partial one).
 */
import type { Backend, DType, FloatArray } from '../backend/ops';
import { floatArray } from '../backend/memory';
import type { FoldedSgd, Param } from '../training/contracts';
import type { Rng } from '../random';

export interface LayerArgs {
  /** Layer name; defaults to `<kind>_<n>`, unique within the model. */
  name?: string;
  /** Input shape `[features]`; needed on the first layer (or inferred from the data at the first fit). */
  inputShape?: number[];
  /** Same as `inputShape: [inputDim]`. */
  inputDim?: number;
}

export abstract class Layer {
  /** TF.js class name ('Dense', 'Activation', 'Dropout'). */
  abstract readonly className: string;
  /** Lower-case kind used for default names ('dense'). */
  abstract readonly kind: string;
  name: string;
  inputUnits = 0;
  outputUnits = 0;
  built = false;
  readonly declaredInputShape?: number[];
  protected dtype: DType = 'float32';

  constructor(args: LayerArgs) {
    this.name = args.name ?? '';
    if (args.inputShape !== undefined || args.inputDim !== undefined) {
      const shape = args.inputShape ?? [args.inputDim as number];
      if (!Array.isArray(shape) || shape.length !== 1 || !Number.isInteger(shape[0]) || shape[0] < 1) {
        throw new Error(
          `${this.constructor.name}: 'inputShape' must be [features] with a positive integer, got ` +
            `${JSON.stringify(shape)}. ` +
            `backprop's layers take flat feature vectors; flatten images to [height*width].`,
        );
      }
      this.declaredInputShape = shape;
    }
  }

  /** Creates weights for `inputUnits` inputs; `rng` drives the initializers. */
  build(inputUnits: number, dtype: DType, rng: Rng): void {
    this.inputUnits = inputUnits;
    this.dtype = dtype;
    this.outputUnits = this.computeOutputUnits(inputUnits);
    this.createWeights(rng);
    this.built = true;
  }

  protected abstract computeOutputUnits(inputUnits: number): number;

  /** The output width for `inputUnits` inputs, without building. */
  outputUnitsFor(inputUnits: number): number {
    return this.computeOutputUnits(inputUnits);
  }

  /** How many parameter values build() would allocate for `inputUnits` inputs (checked before allocating). */
  parameterCount(_inputUnits: number): number {
    return 0;
  }
  protected createWeights(_rng: Rng): void {}

  /** Trainable parameters, TF.js order (kernel, then bias). */
  params(): Param[] {
    return [];
  }

  /** Output for `rows` input rows; the returned array is the layer's own buffer (valid until the next call). */
  abstract forward(b: Backend, x: FloatArray, rows: number, training: boolean, rng: Rng): FloatArray;

  /**
   * Given dL/d(output) for the last forward, writes parameter gradients and returns dL/d(input) (or null
   * when `needDx` is false). `dy` may be overwritten. `skipActivation`: dy is already dL/dz (fused loss).
   * With `fold`, a layer with parameters applies that SGD update itself instead of writing gradients.
   */
  abstract backward(
    b: Backend,
    dy: FloatArray,
    rows: number,
    needDx: boolean,
    skipActivation: boolean,
    fold?: FoldedSgd | null,
  ): FloatArray | null;

  /** forward() that may run its heavy part off the main thread (default: the synchronous forward). */
  async forwardAsync(b: Backend, x: FloatArray, rows: number, training: boolean, rng: Rng): Promise<FloatArray> {
    return this.forward(b, x, rows, training, rng);
  }

  /** backward() that may run its heavy part off the main thread (default: the synchronous backward). */
  async backwardAsync(
    b: Backend,
    dy: FloatArray,
    rows: number,
    needDx: boolean,
    skipActivation: boolean,
  ): Promise<FloatArray | null> {
    return this.backward(b, dy, rows, needDx, skipActivation);
  }

  /** Keras/TF.js layer config (camelCase; the saver converts to snake_case). */
  getConfig(): Record<string, unknown> {
    return { name: this.name, trainable: true, dtype: this.dtype };
  }

  /** Zero-copy views of `rows`-row buffers, allocated once per distinct row count. */
  private pools = new Map<number, FloatArray[]>();
  protected buffers(rows: number, widths: number[]): FloatArray[] {
    let views = this.pools.get(rows);
    if (!views) {
      views = widths.map((w) => floatArray(this.dtype, rows * w));
      this.pools.set(rows, views);
    }
    return views;
  }
  /** Drops cached buffers (after a rebuild or dtype change). */
  protected resetBuffers(): void {
    this.pools.clear();
  }
}

export function allocParam(name: string, shape: number[], dtype: DType): Param {
  const n = shape.reduce((a, b) => a * b, 1);
  return { name, shape, value: floatArray(dtype, n), grad: floatArray(dtype, n) };
}
