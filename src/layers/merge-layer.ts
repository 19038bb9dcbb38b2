/**
 * The multi-input side of the layer contract: a merge layer takes a list of inputs (`layer.apply([a, b])`) and
 * computes one output. The engine calls `forwardMany` with the inputs' buffers and `backwardMany`, which writes
 * one gradient per input that needs it — each in a buffer of its own (or `dy` itself for at most one input),
 * since every producer may overwrite the gradient it receives. Merge layers have no weights of their own here
 * (Add, Concatenate, Dot, ...); their shapes follow from the inputs' at build.
 *
 * Masks (Keras rules): an elementwise merge's output is masked where any masked input is; inputs without a mask
 * count as unmasked.
 */
import type { Backend, DType, FloatArray } from '../backend/ops';
import { floatArray } from '../backend/memory';
import type { Rng } from '../random';
import { Layer, type LayerArgs } from './layer';
import { formatShape, shapeSize, type Shape } from './shape';

export abstract class MergeLayer extends Layer {
  /** Per-sample shapes of the inputs, once built. */
  inputShapes: Shape[] = [];
  private readonly maskPools = new Map<number, FloatArray>();

  constructor(args: LayerArgs | undefined, where: string) {
    super(args, where);
    if (args?.inputShape !== undefined || args?.batchInputShape !== undefined || args?.inputDim !== undefined) {
      throw new Error(`${where}: a merge layer takes its input shapes from the tensors it is applied to`);
    }
  }

  override get multiInput(): boolean {
    return true;
  }

  /** Fewest inputs the layer takes (2 for most; Subtract and Dot take exactly 2). */
  protected get minInputs(): number {
    return 2;
  }

  protected get maxInputs(): number {
    return Infinity;
  }

  /** The output shape for the inputs' per-sample shapes (their count already checked). */
  protected abstract outputShapeFor(shapes: readonly Shape[]): Shape;

  computeOutputShape(inputShape: Shape): Shape {
    return this.badInput(inputShape, 'a merge layer takes a list of inputs: layer.apply([a, b])');
  }

  override computeOutputShapeFor(shapes: readonly Shape[]): Shape {
    if (shapes.length < this.minInputs || shapes.length > this.maxInputs) {
      const want = this.minInputs === this.maxInputs ? `exactly ${this.minInputs}` : `at least ${this.minInputs}`;
      throw new Error(
        `${this.describe()} takes ${want} inputs, got ${shapes.length} (${shapes.map(formatShape).join(', ')})`,
      );
    }
    return this.outputShapeFor(shapes);
  }

  override buildFor(shapes: readonly Shape[], dtype: DType, rng: Rng): void {
    const out = this.computeOutputShapeFor(shapes);
    this.dtype = dtype;
    this.inputShapes = shapes.map((s) => [...s]);
    this.inputShape = [...shapes[0]];
    this.outputShape = [...out];
    this.resetBuffers();
    this.maskPools.clear();
    this.onBuiltMerge(rng);
    this.built = true;
  }

  /** The output and one gradient per input. */
  override stepBufferValuesFor(inputShapes: readonly Shape[]): number {
    let n = shapeSize(this.computeOutputShapeFor(inputShapes));
    for (const s of inputShapes) n += shapeSize(s);
    return n;
  }

  /** Hook for layers that precompute per-shape tables at build. */
  protected onBuiltMerge(_rng: Rng): void {}

  override build(inputShape: Shape): void {
    this.badInput(inputShape, 'a merge layer takes a list of inputs: layer.apply([a, b])');
  }

  /** Elementwise merges keep the step masks of their inputs (Keras): any masked input may be merged. */
  override maskFlowMany(masked: readonly boolean[]): boolean {
    return masked.some((m) => m);
  }

  /** The AND of the inputs' masks (inputs without one count as all real steps). */
  override outputMaskMany(masks: readonly (FloatArray | null)[]): FloatArray | null {
    let first: FloatArray | null = null;
    let count = 0;
    for (const m of masks)
      if (m) {
        first ??= m;
        count++;
      }
    if (count <= 1) return first;
    let out = this.maskPools.get(first!.length);
    if (!out) {
      out = floatArray(this.dtype, first!.length);
      this.maskPools.set(first!.length, out);
    }
    for (let i = 0; i < out.length; i++) {
      let v = 1;
      for (const m of masks) if (m && m[i] === 0) v = 0;
      out[i] = v;
    }
    return out;
  }

  forward(): FloatArray {
    throw new Error(`${this.describe()} takes a list of inputs (forwardMany)`);
  }

  backward(): FloatArray | null {
    throw new Error(`${this.describe()} takes a list of inputs (backwardMany)`);
  }

  abstract override forwardMany(
    b: Backend,
    xs: readonly FloatArray[],
    rows: number,
    training: boolean,
    rng: Rng,
    masks: readonly (FloatArray | null)[],
  ): FloatArray;

  abstract override backwardMany(
    b: Backend,
    dy: FloatArray,
    rows: number,
    needDx: readonly boolean[],
    dxs: (FloatArray | null)[],
  ): void;

  /** The output buffer, then one gradient buffer per input, for `rows` rows (allocated once per row count). */
  protected allBuffers(rows: number): FloatArray[] {
    return this.buffers(rows, [this.outputSize, ...this.inputShapes.map((s) => shapeSize(s))]);
  }

  /** Values per sample of input i. */
  protected inputSizeOf(i: number): number {
    return shapeSize(this.inputShapes[i]);
  }
}
