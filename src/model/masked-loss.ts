/**
 * The loss and metrics of a model whose output carries a sequence mask (layer.ts): padded steps count for
 * nothing. The loss rows of real steps are gathered into compact buffers, the loss (fused or not) and its
 * gradient are computed over them alone — so the loss is the mean over real steps, as Keras computes it —
 * and the gradient is scattered back, zero at padded steps. Buffers are allocated once per batch size, and
 * the views of their first `count` rows once per count, so steady training allocates nothing.
 */
import type { Backend, DType, FloatArray } from '../backend/ops';
import { floatArray } from '../backend/memory';
import type { Loss, Metric, Targets } from '../training/contracts';

interface Buffers {
  /** Indices of the kept loss rows. */
  kept: Int32Array;
  src: FloatArray;
  grad: FloatArray;
  target: FloatArray;
  labels: Int32Array;
  /** Views of the first n rows, by n. */
  views: Map<number, { src: FloatArray; grad: FloatArray; target: FloatArray; labels: Int32Array }>;
}

export class MaskedLoss {
  private readonly pools = new Map<number, Buffers>();
  private count = 0;
  private buffers?: Buffers;

  constructor(private readonly dtype: DType) {}

  /**
   * Selects the loss rows of real steps: `lossRows` rows of `cols` values (rows × lossRowsPerSample), the
   * mask `rows` × steps. Each step spans lossRows / (rows·steps) consecutive loss rows.
   */
  select(mask: FloatArray, rows: number, lossRows: number, cols: number): void {
    let buf = this.pools.get(lossRows);
    if (!buf) {
      const n = lossRows * cols;
      buf = {
        kept: new Int32Array(lossRows),
        src: floatArray(this.dtype, n),
        grad: floatArray(this.dtype, n),
        target: floatArray(this.dtype, n),
        labels: new Int32Array(lossRows),
        views: new Map(),
      };
      this.pools.set(lossRows, buf);
    }
    const perStep = mask.length > 0 ? lossRows / mask.length : 0;
    let count = 0;
    for (let r = 0; r < lossRows; r++) if (mask[Math.floor(r / perStep)] !== 0) buf.kept[count++] = r;
    this.buffers = buf;
    this.count = count;
  }

  private view(cols: number) {
    const buf = this.buffers!;
    let v = buf.views.get(this.count);
    if (!v) {
      const n = this.count * cols;
      v = {
        src: buf.src.subarray(0, n),
        grad: buf.grad.subarray(0, n),
        target: buf.target.subarray(0, n),
        labels: buf.labels.subarray(0, this.count),
      };
      buf.views.set(this.count, v);
    }
    return v;
  }

  /** Copies the kept rows of `src` (and the targets) into the compact buffers. */
  private gather(src: FloatArray, target: Targets, cols: number) {
    const v = this.view(cols);
    const kept = this.buffers!.kept;
    for (let k = 0; k < this.count; k++) {
      const from = kept[k] * cols,
        to = k * cols;
      for (let j = 0; j < cols; j++) v.src[to + j] = src[from + j];
      if (target instanceof Int32Array) v.labels[k] = target[kept[k]];
      else for (let j = 0; j < cols; j++) v.target[to + j] = target[from + j];
    }
    return { src: v.src, target: target instanceof Int32Array ? v.labels : v.target, grad: v.grad };
  }

  /**
   * The loss over the selected rows of `src` (the output, or the pre-activation when `fromLogits`), its
   * gradient written into `grad` (zero at padded steps) unless grad is null.
   */
  loss(
    b: Backend,
    loss: Loss,
    fromLogits: boolean,
    src: FloatArray,
    target: Targets,
    grad: FloatArray | null,
    cols: number,
  ): number {
    const c = this.gather(src, target, cols);
    const g = grad ? c.grad : null;
    const value = fromLogits
      ? loss.computeFromLogits!(b, c.src, c.target, g, this.count, cols)
      : loss.compute(b, c.src, c.target, g, this.count, cols);
    if (grad) {
      grad.fill(0);
      const kept = this.buffers!.kept;
      for (let k = 0; k < this.count; k++) {
        const to = kept[k] * cols,
          from = k * cols;
        for (let j = 0; j < cols; j++) grad[to + j] = c.grad[from + j];
      }
    }
    return value;
  }

  /** Updates metrics with the selected rows of the output. */
  updateMetrics(metrics: Metric[], out: FloatArray, target: Targets, cols: number): void {
    const c = this.gather(out, target, cols);
    for (const m of metrics) m.update(c.src, c.target, this.count, cols);
  }
}
