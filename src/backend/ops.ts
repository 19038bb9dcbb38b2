/**
 * The op set: the typed interface of the numeric operations every backend implements. The list of ops,
 * with their arguments, is the op table (op-table.ts); it is checked against this interface at compile time.
 *
 * The JS backend (`src/backend/js`) is the reference ("living definition"); the native backend
 * (`native/`, loaded by `src/backend/native`) must agree with it. The formulas written here are the
 * spec both follow, so that the two agree to rounding.
 *
 * Conventions shared by every op:
 * - Matrices are dense and row-major. Dimensions are passed explicitly and every array's `length` must
 *   equal exactly what its shape implies (a longer or shorter array is a RangeError, never a silent
 *   partial read). Views at a non-zero byte offset are fine.
 * - All float arrays of one call share one type: all `Float32Array` or all `Float64Array` (TypeError
 *   otherwise). Float32 ops may compute internally in higher precision.
 * - Dimensions are integers in [0, 2^31 - 1]; products of dimensions are overflow-checked. Zero sizes
 *   are valid and do nothing (a loss over zero elements returns 0).
 * - Outputs are written in place into arrays the caller owns; ops allocate nothing per call.
 * - An output may alias an input only where the op's doc says so; otherwise overlapping memory is a
 *   RangeError (BLAS gives wrong answers on aliased gemm operands).
 * - Losses return the mean over rows of a per-row loss and write `grad = d(loss)/d(input)`, already
 *   divided by the number of rows (or elements), so it feeds straight into the dense backward op.
 * - Bad arguments throw: TypeError for a wrong type / typed-array kind / argument count, RangeError for
 *   a bad dimension, a length that does not match its shape, overflow or forbidden aliasing. The message
 *   names the op and the argument, e.g. `gemm(): 'c' has length 5 but m*n = 6`.
 * - Arrays of indices (class labels today; pooling argmax, embedding ids later) address memory by their
 *   values, and may sit in a SharedArrayBuffer that another thread rewrites during the op. A kernel reads
 *   each index exactly once into a local, checks that local, and uses only it (or copies the indices once,
 *   then checks and uses the copy); never a check on one read and a use of another, which could point
 *   anywhere. Native kernels read with a relaxed atomic load so the compiler cannot re-read (native/indices.h).
 *   An index out of range is a RangeError naming its position; outputs before it may have been written.
 * - Synchronous ops accept arrays over any buffer: ArrayBuffer (resizable too), SharedArrayBuffer (growable
 *   too). Nothing can shrink, detach or free a non-shared buffer during a synchronous call (no JS runs
 *   until it returns), and a shared buffer can only grow, never shrink or move, so the checked length stays
 *   valid even while another thread writes to it.
 * - The async twins (`gemmAsync`, ...) run on libuv's thread pool while JS goes on, and JS could resize,
 *   transfer or detach an ArrayBuffer under them. So they accept only arrays backed by a non-growable
 *   SharedArrayBuffer (which cannot be detached, transferred, shrunk or freed while the op holds it):
 *   anything else is a TypeError saying so. `floatArray()` (memory.ts) allocates such arrays.
 * - Optimizer steps may flush denormal numbers (below 1.2e-38 in float32, 2.2e-308 in float64) to zero;
 *   the native backend does (as TensorFlow's CPU kernels do), because decaying optimizer state spends
 *   many steps in that range and x86 cores compute on it up to ~100x slower. The JS backend keeps them.
 */

import type { ArgKind, ArgSpec, AsyncOpName, OpName } from './op-table';
import type { OP_TABLE } from './op-table';

export type DType = 'float32' | 'float64';
export type FloatArray = Float32Array | Float64Array;

/**
 * Activation codes (the list is src/backend/activations.ts; native/activations.h uses the same numbers).
 *
 * Forward `y = f(z)` and the derivative used by backward (`dz = f'(z) * dy`), with `alpha` the
 * activation's parameter (leakyRelu slope, elu alpha; ignored by the others):
 * | name        | f(z)                                              | f'(z) as computed                      |
 * |-------------|---------------------------------------------------|----------------------------------------|
 * | linear      | z                                                 | 1                                      |
 * | sigmoid     | 1/(1+e^-z) (for z<0: e^z/(1+e^z))                  | y(1-y)                                 |
 * | tanh        | tanh(z)                                           | 1 - y²                                 |
 * | relu        | z < 0 ? 0 : z   (NaN propagates)                  | z > 0 ? 1 : 0                          |
 * | leakyRelu   | z < 0 ? alpha·z : z                               | z > 0 ? 1 : alpha                      |
 * | elu         | z > 0 ? z : alpha·expm1(z)                        | z > 0 ? 1 : y + alpha                  |
 * | selu        | z > 0 ? S·z : S·A·expm1(z)                        | z > 0 ? S : y + S·A                    |
 * | softplus    | max(z,0) + log1p(e^-|z|)                          | sigmoid(z)                             |
 * | softsign    | z / (1 + |z|)                                     | 1 / (1 + |z|)²                         |
 * | hardSigmoid | clamp(0.2·z + 0.5, 0, 1)   (TF.js / Keras 2)      | -2.5 < z < 2.5 ? 0.2 : 0               |
 * | swish       | z·sigmoid(z)   (also called silu)                 | s·(1 + z·(1 - s)), s = sigmoid(z)      |
 * | gelu        | 0.5·z·erfc(-z/√2)   (exact, not the tanh approx)  | Φ(z) + z·φ(z), Φ = 0.5·erfc(-z/√2), φ =
 * e^(-z²/2)/√(2π) |
 * | softmax     | row-wise e^(z-max)/Σe^(z-max)                     | dz = y ⊙ (dy - Σ_row(dy ⊙ y))           |
 * with S = 1.0507009873554804934193349852946, A = 1.6732632423543772848170429916717.
 */
export { Activation, ACTIVATION_COUNT, ACTIVATION_NAMES } from './activations';
export type { ActivationCode, ActivationName } from './activations';

/** What a backend says about itself (returned by `bp.getBackend()`). */
export interface BackendInfo {
  name: 'native' | 'js';
  /**
   * For native: the BLAS library, the core its kernels are for and who chose it, e.g.
   * `OpenBLAS 0.3.21 (pthread, SkylakeX; core chosen by backprop: SkylakeX (avx512f/bw/vl/dq))`.
   */
  blas?: string;
  /** For native: the BLAS thread count currently in effect. */
  threads?: number;
  /** For native: the file the addon was loaded from. */
  loadedFrom?: string;
  /** Why this backend was chosen (e.g. `BACKPROP_BACKEND=js`, `auto: addon loaded`, `auto: addon failed: ...`). */
  reason?: string;
  /**
   * For native: the kernels of float32 convolutions, `'avx512'` or `'avx2'` (direct register-tile kernels) or
   * `'blas'` (im2col + OpenBLAS, also what float64 uses); env BACKPROP_CONV_KERNELS=avx2|blas lowers the choice.
   */
  convolution?: string;
}

/** The typed interface every backend implements. See the file comment for shared conventions. */
export interface Backend {
  readonly name: 'native' | 'js';
  info(): BackendInfo;

  /**
   * `c = alpha · op(a) · op(b) + beta · c`, row-major; op(a) is m×k, op(b) is k×n, c is m×n.
   * `a` is stored m×k (k×m when `transA`), `b` is k×n (n×k when `transB`). With beta = 0, c is not read
   * (NaN in c does not propagate). `c` must not overlap `a` or `b`.
   */
  gemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: FloatArray,
    b: FloatArray,
    beta: number,
    c: FloatArray,
  ): void;

  /** `y = f(z)` elementwise (row-wise for softmax) over rows×cols. `y` may alias `z` (in place). */
  activationForward(act: number, alpha: number, z: FloatArray, y: FloatArray, rows: number, cols: number): void;

  /**
   * `dz = f'(z) ⊙ dy` (the softmax Jacobian-vector product for softmax). Both `z` and `y = f(z)` are
   * given; each activation reads the one its formula names. `dz` may alias `dy`.
   */
  activationBackward(
    act: number,
    alpha: number,
    z: FloatArray,
    y: FloatArray,
    dy: FloatArray,
    dz: FloatArray,
    rows: number,
    cols: number,
  ): void;

  /**
   * Fused dense forward: `z = x·w + b` (gemm, then one pass adding the bias and applying the
   * activation) and `y = f(z)`. x is m×k, w is k×n, b is n (or null: no bias), z and y are m×n.
   * `y` may be the same array as `z` only when act is linear. z, y must not overlap x, w, b.
   */
  denseForward(
    x: FloatArray,
    w: FloatArray,
    b: FloatArray | null,
    z: FloatArray,
    y: FloatArray,
    m: number,
    k: number,
    n: number,
    act: number,
    alpha: number,
  ): void;

  /**
   * Fused dense backward, given the forward's x, w, z, y and the upstream gradient dy (m×n):
   * `dz = f'(z) ⊙ dy` (into `dz`, m×n scratch that may alias dy), then `dw = xᵀ·dz` (k×n, overwritten),
   * `db = Σ_rows dz` (n, overwritten; null to skip), and `dx = dz·wᵀ` (m×k, overwritten; null to skip,
   * e.g. for the first layer). With act = linear, dz is a copy of dy (or dy itself when aliased): that is
   * how the output layer receives the fused loss gradient.
   */
  denseBackward(
    x: FloatArray,
    w: FloatArray,
    z: FloatArray,
    y: FloatArray,
    dy: FloatArray,
    dz: FloatArray,
    dw: FloatArray,
    db: FloatArray | null,
    dx: FloatArray | null,
    m: number,
    k: number,
    n: number,
    act: number,
    alpha: number,
  ): void;

  // ---- Losses: return the mean loss; write the gradient into `grad` unless it is null. -----------
  // `grad` may alias the prediction/logits input. Over zero elements the loss is 0.

  /** mean over all elements of (p - t)²; grad = 2(p - t)/(rows·cols). */
  meanSquaredError(pred: FloatArray, target: FloatArray, grad: FloatArray | null, rows: number, cols: number): number;
  /** mean over all elements of |p - t|; grad = sign(p - t)/(rows·cols) (0 where p = t). */
  meanAbsoluteError(pred: FloatArray, target: FloatArray, grad: FloatArray | null, rows: number, cols: number): number;
  /**
   * Huber with threshold delta, mean over all elements: e = p - t; |e| ≤ delta ? 0.5e² : delta(|e| - 0.5·delta);
   * grad = (|e| ≤ delta ? e : delta·sign(e)) / (rows·cols).
   */
  huber(
    pred: FloatArray,
    target: FloatArray,
    grad: FloatArray | null,
    rows: number,
    cols: number,
    delta: number,
  ): number;
  /**
   * Binary cross-entropy from probabilities, mean over all elements: pc = clamp(p, 1e-7, 1 - 1e-7);
   * -(t·log(pc) + (1-t)·log(1-pc)); grad = (pc - t)/(pc(1-pc))/(rows·cols) where p lies within the clamp
   * range, 0 outside it (the clamp's derivative, as in Keras).
   */
  binaryCrossentropy(prob: FloatArray, target: FloatArray, grad: FloatArray | null, rows: number, cols: number): number;
  /**
   * Binary cross-entropy from logits, stable: mean over all elements of max(x,0) - x·t + log1p(e^-|x|);
   * grad = (sigmoid(x) - t)/(rows·cols).
   */
  sigmoidCrossEntropyWithLogits(
    logits: FloatArray,
    target: FloatArray,
    grad: FloatArray | null,
    rows: number,
    cols: number,
  ): number;
  /**
   * Categorical cross-entropy from probabilities (no renormalisation): mean over rows of
   * -Σ_j t_j·log(clamp(p_j, 1e-7, 1 - 1e-7)); grad = -t_j/pc_j/rows inside the clamp range, 0 outside.
   */
  categoricalCrossentropy(
    prob: FloatArray,
    target: FloatArray,
    grad: FloatArray | null,
    rows: number,
    cols: number,
  ): number;
  /**
   * Softmax + categorical cross-entropy from logits, stable (log-sum-exp): per row
   * lse = max + log Σ e^(x-max), loss_row = Σ_j t_j·(lse - x_j); mean over rows.
   * grad_j = (softmax_j·Σ_k t_k - t_j)/rows (soft labels allowed; one-hot gives softmax - t).
   */
  softmaxCrossEntropy(
    logits: FloatArray,
    target: FloatArray,
    grad: FloatArray | null,
    rows: number,
    cols: number,
  ): number;
  /**
   * As softmaxCrossEntropy with integer class labels (`labels.length === rows`, each in [0, cols);
   * otherwise RangeError naming the row, with the grad rows before it already written).
   * grad_j = (softmax_j - [j = label])/rows.
   */
  softmaxCrossEntropySparse(
    logits: FloatArray,
    labels: Int32Array,
    grad: FloatArray | null,
    rows: number,
    cols: number,
  ): number;

  // ---- Optimizer steps: each one pass over the parameters, all arrays of equal length, in place. ---
  // `weightDecay` is L2 folded into the gradient (g' = g + weightDecay·w) except where "decoupled".

  /** w -= lr·g' */
  sgdStep(w: FloatArray, g: FloatArray, lr: number, weightDecay: number): void;
  /**
   * Keras momentum: v = momentum·v - lr·g'; w += nesterov ? momentum·v - lr·g' : v.
   */
  momentumStep(
    w: FloatArray,
    g: FloatArray,
    velocity: FloatArray,
    lr: number,
    momentum: number,
    nesterov: boolean,
    weightDecay: number,
  ): void;
  /** TF.js RMSprop: ms = rho·ms + (1-rho)·g'²; w -= lr·g'/sqrt(ms + epsilon). */
  rmspropStep(
    w: FloatArray,
    g: FloatArray,
    meanSquare: FloatArray,
    lr: number,
    rho: number,
    epsilon: number,
    weightDecay: number,
  ): void;
  /** TF.js AdaGrad: acc += g'²; w -= lr·g'/sqrt(acc + epsilon). */
  adagradStep(
    w: FloatArray,
    g: FloatArray,
    accumulator: FloatArray,
    lr: number,
    epsilon: number,
    weightDecay: number,
  ): void;
  /**
   * Adam (TF.js form): m = b1·m + (1-b1)·g'; v = b2·v + (1-b2)·g'²;
   * w -= lr·(m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + epsilon), with t ≥ 1 the 1-based step count.
   * AdamW (`decoupled`): first w -= lr·weightDecay·w, and g' = g (decay not folded into the moments).
   */
  adamStep(
    w: FloatArray,
    g: FloatArray,
    m: FloatArray,
    v: FloatArray,
    lr: number,
    beta1: number,
    beta2: number,
    epsilon: number,
    t: number,
    weightDecay: number,
    decoupled: boolean,
  ): void;

  // ---- Small helpers used by clipping and regularisation. -------------------------------------------

  /** Σ x² (accumulated in float64). */
  sumSquares(x: FloatArray): number;
  /** x *= s, in place. */
  scale(x: FloatArray, s: number): void;
  /** x = clamp(x, lo, hi), in place (NaN stays NaN). */
  clip(x: FloatArray, lo: number, hi: number): void;
  /**
   * Regularisation in one pass: g += l1·sign(w) + 2·l2·w; returns l1·Σ|w| + l2·Σw² (Keras definitions).
   */
  l1l2(w: FloatArray, g: FloatArray, l1: number, l2: number): number;

  // ---- Optional: the heavy ops run off the main thread (native backend). Same arguments and checks as
  // the synchronous op (which throw synchronously), and every array must be backed by a non-growable
  // SharedArrayBuffer (TypeError otherwise; see the file comment). The promise resolves when the arrays
  // are written; until then the caller must not read or write them.
  gemmAsync?(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: FloatArray,
    b: FloatArray,
    beta: number,
    c: FloatArray,
  ): Promise<void>;
  denseForwardAsync?(
    x: FloatArray,
    w: FloatArray,
    b: FloatArray | null,
    z: FloatArray,
    y: FloatArray,
    m: number,
    k: number,
    n: number,
    act: number,
    alpha: number,
  ): Promise<void>;
  denseBackwardAsync?(
    x: FloatArray,
    w: FloatArray,
    z: FloatArray,
    y: FloatArray,
    dy: FloatArray,
    dz: FloatArray,
    dw: FloatArray,
    db: FloatArray | null,
    dx: FloatArray | null,
    m: number,
    k: number,
    n: number,
    act: number,
    alpha: number,
  ): Promise<void>;
  adamStepAsync?(
    w: FloatArray,
    g: FloatArray,
    m: FloatArray,
    v: FloatArray,
    lr: number,
    beta1: number,
    beta2: number,
    epsilon: number,
    t: number,
    weightDecay: number,
    decoupled: boolean,
  ): Promise<void>;

  // ---- Sequence models. No two array arguments of these ops may overlap in memory (RangeError).
  // Token ids (`ids`) are read once each and checked against `vocab` where used (RangeError naming the
  // position). Recurrent ops take inputs batch-major (`x[b, t, :]`, as layers hold them) and run the whole
  // sequence in one call: the input projection of every step as one gemm over a time-major copy `xT` (in
  // processing order), then per step one gemm with the recurrent kernel and one fused pass for the gates;
  // backward runs through time the same way and takes the weight gradients as one gemm over all steps.
  // Shapes: kernel [inputSize, k·units], recurrentKernel [units, k·units], gate blocks in TF.js order (LSTM
  // i, f, c, o; GRU z, r, h). `act` is the activation (candidate and LSTM cell output), `recurrentAct` the
  // gates' (sigmoid, or TF.js's default hardSigmoid); both must be one whose derivative is a function of its
  // output: linear, sigmoid, tanh, relu, elu (alpha 1), selu, softplus, softsign, hardSigmoid (RangeError
  // otherwise). `mask` (optional, batch×steps, in input order): a step whose value is 0 leaves the state
  // unchanged (its output repeats the previous one, as TF.js/Keras). With `goBackwards` the steps are
  // processed from last to first; step s of the outputs (`hs`, `y`) is the s-th step processed (Keras order).
  // Forward writes every workspace (xT, gates/z, cells, rh, hs) for backward, which consumes them: backward
  // may overwrite xT, gates/z, cells and rh (gates/z hold the gate gradients after it). The initial state is 0.

  /** `out[i, :] = table[ids[i], :]` for i < n. */
  embeddingForward(ids: Int32Array, table: FloatArray, out: FloatArray, n: number, vocab: number, dim: number): void;
  /** `dTable[ids[i], :] += dy[i, :]` for i < n (accumulates; rows not named are untouched). */
  embeddingBackward(ids: Int32Array, dy: FloatArray, dTable: FloatArray, n: number, vocab: number, dim: number): void;
  /**
   * Plain SGD on the rows named by `ids` only, then those gradient rows zeroed: for i < n, r = ids[i]:
   * `w[r, :] -= lr·g[r, :]; g[r, :] = 0`. A repeated id finds its gradient row already zero, so the result
   * equals sgdStep over the whole array when `g` is zero outside the named rows.
   */
  sparseSgdStep(ids: Int32Array, w: FloatArray, g: FloatArray, n: number, vocab: number, dim: number, lr: number): void;
  /**
   * SimpleRNN over the sequence: `z_s = x_s·W + b + h_{s-1}·U`, `h_s = act(z_s)`. Writes xT, `z` (the
   * pre-activations, steps×batch×units, time-major), `hs` (h after each step, time-major) and, unless null,
   * `y` (the outputs batch-major, [batch, steps, units]).
   */
  simpleRnnForward(
    x: FloatArray,
    kernel: FloatArray,
    recurrentKernel: FloatArray,
    bias: FloatArray | null,
    mask: FloatArray | null,
    xT: FloatArray,
    z: FloatArray,
    hs: FloatArray,
    y: FloatArray | null,
    batch: number,
    steps: number,
    inputSize: number,
    units: number,
    act: number,
    goBackwards: boolean,
  ): void;
  /**
   * Backward through time of simpleRnnForward, given the gradient of the output sequence (`dySeq`,
   * batch-major) and/or of the last state (`dyLast`, batch×units; either may be null). Writes dKernel,
   * dRecurrentKernel, dBias (unless null) and dx (unless null); `dh` is a batch×units workspace.
   */
  simpleRnnBackward(
    xT: FloatArray,
    kernel: FloatArray,
    recurrentKernel: FloatArray,
    mask: FloatArray | null,
    z: FloatArray,
    hs: FloatArray,
    dySeq: FloatArray | null,
    dyLast: FloatArray | null,
    dKernel: FloatArray,
    dRecurrentKernel: FloatArray,
    dBias: FloatArray | null,
    dx: FloatArray | null,
    dh: FloatArray,
    batch: number,
    steps: number,
    inputSize: number,
    units: number,
    act: number,
    goBackwards: boolean,
  ): void;
  /**
   * LSTM over the sequence: `[i f c o] = x_s·W + b + h_{s-1}·U`; i, f, o through recurrentAct, c through act;
   * `c_s = f·c_{s-1} + i·c`, `h_s = o·act(c_s)`. Writes xT, `gates` (the activated gates, time-major),
   * `cells` (c after each step), `hs` and `y` (unless null).
   */
  lstmForward(
    x: FloatArray,
    kernel: FloatArray,
    recurrentKernel: FloatArray,
    bias: FloatArray | null,
    mask: FloatArray | null,
    xT: FloatArray,
    gates: FloatArray,
    cells: FloatArray,
    hs: FloatArray,
    y: FloatArray | null,
    batch: number,
    steps: number,
    inputSize: number,
    units: number,
    act: number,
    recurrentAct: number,
    goBackwards: boolean,
  ): void;
  /** Backward through time of lstmForward (see simpleRnnBackward); `dh`, `dc` are batch×units workspaces. */
  lstmBackward(
    xT: FloatArray,
    kernel: FloatArray,
    recurrentKernel: FloatArray,
    mask: FloatArray | null,
    gates: FloatArray,
    cells: FloatArray,
    hs: FloatArray,
    dySeq: FloatArray | null,
    dyLast: FloatArray | null,
    dKernel: FloatArray,
    dRecurrentKernel: FloatArray,
    dBias: FloatArray | null,
    dx: FloatArray | null,
    dh: FloatArray,
    dc: FloatArray,
    batch: number,
    steps: number,
    inputSize: number,
    units: number,
    act: number,
    recurrentAct: number,
    goBackwards: boolean,
  ): void;
  /**
   * GRU over the sequence. `resetAfter` false (TF.js): z, r = recurrentAct(x·W + b + h·U) on their blocks,
   * `hh = act(x·W_h + b_h + (r·h)·U_h)`; true (Keras' default, CuDNN-compatible): `hh = act(x·W_h + b_h +
   * r·(h·U_h + rb_h))` with the recurrent bias `recurrentBias` (null when there is no bias; it must be null
   * when resetAfter is false). `h_s = z·h_{s-1} + (1 - z)·hh`. Writes xT, `gates` (activated z, r, hh),
   * `rh` (r·h_{s-1}, or h_{s-1}·U_h + rb_h when resetAfter), `hs` and `y` (unless null); `scratch` is a
   * batch×3·units workspace.
   */
  gruForward(
    x: FloatArray,
    kernel: FloatArray,
    recurrentKernel: FloatArray,
    bias: FloatArray | null,
    recurrentBias: FloatArray | null,
    mask: FloatArray | null,
    xT: FloatArray,
    gates: FloatArray,
    rh: FloatArray,
    hs: FloatArray,
    scratch: FloatArray,
    y: FloatArray | null,
    batch: number,
    steps: number,
    inputSize: number,
    units: number,
    act: number,
    recurrentAct: number,
    resetAfter: boolean,
    goBackwards: boolean,
  ): void;
  /** Backward through time of gruForward (see simpleRnnBackward); also overwrites `rh`. */
  gruBackward(
    xT: FloatArray,
    kernel: FloatArray,
    recurrentKernel: FloatArray,
    mask: FloatArray | null,
    gates: FloatArray,
    rh: FloatArray,
    hs: FloatArray,
    dySeq: FloatArray | null,
    dyLast: FloatArray | null,
    dKernel: FloatArray,
    dRecurrentKernel: FloatArray,
    dBias: FloatArray | null,
    dRecurrentBias: FloatArray | null,
    dx: FloatArray | null,
    dh: FloatArray,
    scratch: FloatArray,
    batch: number,
    steps: number,
    inputSize: number,
    units: number,
    act: number,
    recurrentAct: number,
    resetAfter: boolean,
    goBackwards: boolean,
  ): void;
  /**
   * Layer normalization of each row (TF.js): `y = (x - mean)/sqrt(var + epsilon)·gamma + beta` with the
   * biased variance; gamma/beta null for scale/center false. `stats` receives each row's mean and
   * 1/sqrt(var + epsilon) (rows×2). epsilon must be > 0.
   */
  layerNormForward(
    x: FloatArray,
    gamma: FloatArray | null,
    beta: FloatArray | null,
    y: FloatArray,
    stats: FloatArray,
    rows: number,
    cols: number,
    epsilon: number,
  ): void;
  /**
   * Backward of layerNormForward from its x and stats: with x̂ the normalized input and g = dy·gamma,
   * `dx = rstd·(g - mean(g) - x̂·mean(g·x̂))` (unless null), `dGamma = Σ_rows dy·x̂`, `dBeta = Σ_rows dy`
   * (overwritten; null to skip).
   */
  layerNormBackward(
    x: FloatArray,
    gamma: FloatArray | null,
    stats: FloatArray,
    dy: FloatArray,
    dx: FloatArray | null,
    dGamma: FloatArray | null,
    dBeta: FloatArray | null,
    rows: number,
    cols: number,
  ): void;
  simpleRnnForwardAsync?(...args: Parameters<Backend['simpleRnnForward']>): Promise<void>;
  simpleRnnBackwardAsync?(...args: Parameters<Backend['simpleRnnBackward']>): Promise<void>;
  lstmForwardAsync?(...args: Parameters<Backend['lstmForward']>): Promise<void>;
  lstmBackwardAsync?(...args: Parameters<Backend['lstmBackward']>): Promise<void>;
  gruForwardAsync?(...args: Parameters<Backend['gruForward']>): Promise<void>;
  gruBackwardAsync?(...args: Parameters<Backend['gruBackward']>): Promise<void>;
  // ---- Convolution, pooling and batch normalization. ------------------------------------------------
  // Images are NHWC: x is [batch, inH, inW, inC] and outputs [batch, outH, outW, channels], flat. A
  // convolution kernel is [kH, kW, inC/groups, outC] (TF.js layout); output channel o belongs to group
  // g = ⌊o/(outC/groups)⌋ and reads input channels [g·inC/groups, (g+1)·inC/groups). For output position
  // (oy, ox) and kernel tap (ky, kx) the input position is (oy·strideH − padTop + ky·dilationH,
  // ox·strideW − padLeft + kx·dilationW) (pooling: dilation 1); positions outside the input read as 0 in
  // a convolution and are skipped by pooling. outH and outW are given, so any padding below and right is
  // implied. Strides, dilations and groups must be ≥ 1, and groups must divide inC and outC (RangeError).

  /**
   * Fused convolution forward: `z[n,oy,ox,o] = b[o] + Σ_{ky,kx,c∈group(o)} x[n,iy,ix,c]·w[ky,kx,c−c₀(o),o]`
   * and `y = f(z)` (softmax is not allowed here: RangeError). `y` may be the same array as `z` when act is
   * linear or relu (then only relu(z) is kept: relu's derivative, z > 0, reads the same from it); z and y must
   * not overlap x, w, b.
   */
  conv2dForward(
    x: FloatArray,
    w: FloatArray,
    b: FloatArray | null,
    z: FloatArray,
    y: FloatArray,
    batch: number,
    inH: number,
    inW: number,
    inC: number,
    kH: number,
    kW: number,
    outC: number,
    strideH: number,
    strideW: number,
    padTop: number,
    padLeft: number,
    dilationH: number,
    dilationW: number,
    outH: number,
    outW: number,
    groups: number,
    act: number,
    alpha: number,
  ): void;

  /**
   * Fused convolution backward, given the forward's x, w, z, y and dy: `dz = f'(z) ⊙ dy` (dz may alias dy),
   * `dw = ∂/∂w` (overwritten), `db = Σ_{n,oy,ox} dz` (overwritten; null to skip) and `dx = ∂/∂x`
   * (overwritten; null to skip). Outputs must not overlap each other or the inputs (dz may be dy).
   */
  conv2dBackward(
    x: FloatArray,
    w: FloatArray,
    z: FloatArray,
    y: FloatArray,
    dy: FloatArray,
    dz: FloatArray,
    dw: FloatArray,
    db: FloatArray | null,
    dx: FloatArray | null,
    batch: number,
    inH: number,
    inW: number,
    inC: number,
    kH: number,
    kW: number,
    outC: number,
    strideH: number,
    strideW: number,
    padTop: number,
    padLeft: number,
    dilationH: number,
    dilationW: number,
    outH: number,
    outW: number,
    groups: number,
    act: number,
    alpha: number,
  ): void;

  /**
   * Max pooling over kH×kW windows, per channel: `y = max` over the window's positions inside the input
   * (the first maximum in row-major window order wins; NaN wins over numbers), `argmax` = its window position
   * ky·kW + kx. Every window must overlap the input (RangeError otherwise). y, argmax must not overlap x.
   */
  maxPool2dForward(
    x: FloatArray,
    y: FloatArray,
    argmax: Int32Array,
    batch: number,
    inH: number,
    inW: number,
    inC: number,
    kH: number,
    kW: number,
    strideH: number,
    strideW: number,
    padTop: number,
    padLeft: number,
    outH: number,
    outW: number,
  ): void;

  /**
   * Max pooling backward: `dx` = 0, then each dy is added at its window's argmax position. Each argmax is read
   * once and must lie in [0, kH·kW) at a position inside the input (RangeError naming it otherwise).
   */
  maxPool2dBackward(
    dy: FloatArray,
    argmax: Int32Array,
    dx: FloatArray,
    batch: number,
    inH: number,
    inW: number,
    inC: number,
    kH: number,
    kW: number,
    strideH: number,
    strideW: number,
    padTop: number,
    padLeft: number,
    outH: number,
    outW: number,
  ): void;

  /**
   * Average pooling: `y` = the mean over the window's positions inside the input (padding is not counted, as
   * TensorFlow's 'same' pooling). Every window must overlap the input. y must not overlap x.
   */
  avgPool2dForward(
    x: FloatArray,
    y: FloatArray,
    batch: number,
    inH: number,
    inW: number,
    inC: number,
    kH: number,
    kW: number,
    strideH: number,
    strideW: number,
    padTop: number,
    padLeft: number,
    outH: number,
    outW: number,
  ): void;

  /** Average pooling backward: `dx` = 0, then each dy/count is added at every position of its window. */
  avgPool2dBackward(
    dy: FloatArray,
    dx: FloatArray,
    batch: number,
    inH: number,
    inW: number,
    inC: number,
    kH: number,
    kW: number,
    strideH: number,
    strideW: number,
    padTop: number,
    padLeft: number,
    outH: number,
    outW: number,
  ): void;

  /**
   * Batch normalization over x seen as rows×cols (cols = channels, the last axis). Training: mean and
   * (biased) variance per column over the rows, accumulated in float64; `mean` and `invStd = 1/√(var+ε)`
   * are written for backward, and the moving statistics updated as TF.js does: m ← m − (m − stat)·(1 −
   * momentum). Inference: mean and invStd come from the moving statistics, which stay unchanged. Then
   * `y = gamma·(x − mean)·invStd + beta` (gamma/beta null: 1/0). y may alias x; no other overlap.
   */
  batchNormForward(
    x: FloatArray,
    gamma: FloatArray | null,
    beta: FloatArray | null,
    movingMean: FloatArray,
    movingVariance: FloatArray,
    mean: FloatArray,
    invStd: FloatArray,
    y: FloatArray,
    rows: number,
    cols: number,
    epsilon: number,
    momentum: number,
    training: boolean,
  ): void;

  /**
   * Batch normalization backward through the batch statistics of a training forward: with x̂ = (x − mean)·invStd,
   * `dbeta = Σ_rows dy`, `dgamma = Σ_rows dy·x̂` (null to skip), `dx = gamma·invStd/rows·(rows·dy − dbeta − x̂·dgamma)`
   * (sums in float64). dx may alias dy; no other overlap.
   */
  batchNormBackward(
    x: FloatArray,
    gamma: FloatArray | null,
    mean: FloatArray,
    invStd: FloatArray,
    dy: FloatArray,
    dx: FloatArray,
    dgamma: FloatArray | null,
    dbeta: FloatArray | null,
    rows: number,
    cols: number,
  ): void;

  conv2dForwardAsync?(...args: Parameters<Backend['conv2dForward']>): Promise<void>;
  conv2dBackwardAsync?(...args: Parameters<Backend['conv2dBackward']>): Promise<void>;
  maxPool2dForwardAsync?(...args: Parameters<Backend['maxPool2dForward']>): Promise<void>;
  maxPool2dBackwardAsync?(...args: Parameters<Backend['maxPool2dBackward']>): Promise<void>;
  avgPool2dForwardAsync?(...args: Parameters<Backend['avgPool2dForward']>): Promise<void>;
  avgPool2dBackwardAsync?(...args: Parameters<Backend['avgPool2dBackward']>): Promise<void>;
  batchNormForwardAsync?(...args: Parameters<Backend['batchNormForward']>): Promise<void>;
  batchNormBackwardAsync?(...args: Parameters<Backend['batchNormBackward']>): Promise<void>;

  // ---- graph-model layers: the transposed convolution. ------------------------------------------------
  // A transposed convolution is the adjoint of a convolution: x is [batch, inH, inW, inC], the kernel
  // [kH, kW, outC, inC] (TF.js Conv2DTranspose layout), the output [batch, outH, outW, outC]. Input position
  // (iy, ix) with kernel tap (ky, kx) adds to output position (iy·strideH − padTop + ky·dilationH,
  // ix·strideW − padLeft + kx·dilationW); contributions falling outside the output are dropped. It is thus the
  // input gradient of the convolution of an [outH, outW, outC] image by the same kernel (read as
  // [kH, kW, outC, inC]) with the same strides, padding and dilation, whose output is [inH, inW, inC]; its
  // backward is that convolution's forward (dx) and weight gradient (dw). Strides and dilations must be ≥ 1.

  /**
   * Fused transposed convolution forward: `z[n,oy,ox,o] = b[o] + Σ x[n,iy,ix,c]·w[ky,kx,o,c]` over the (iy, ix,
   * ky, kx) that reach (oy, ox), and `y = f(z)` (softmax: RangeError). `y` may be `z` when act is linear or
   * relu; z and y must not overlap x, w, b.
   */
  conv2dTransposeForward(
    x: FloatArray,
    w: FloatArray,
    b: FloatArray | null,
    z: FloatArray,
    y: FloatArray,
    batch: number,
    inH: number,
    inW: number,
    inC: number,
    kH: number,
    kW: number,
    outC: number,
    strideH: number,
    strideW: number,
    padTop: number,
    padLeft: number,
    dilationH: number,
    dilationW: number,
    outH: number,
    outW: number,
    act: number,
    alpha: number,
  ): void;

  /**
   * Fused transposed convolution backward, given the forward's x, w, z, y and dy: `dz = f'(z) ⊙ dy` (dz may
   * alias dy), `dw = ∂/∂w` (overwritten), `db = Σ_{n,oy,ox} dz` (overwritten; null to skip), `dx = ∂/∂x` (the
   * convolution of dz by w; overwritten; null to skip). The aliasing rules are conv2dBackward's.
   */
  conv2dTransposeBackward(
    x: FloatArray,
    w: FloatArray,
    z: FloatArray,
    y: FloatArray,
    dy: FloatArray,
    dz: FloatArray,
    dw: FloatArray,
    db: FloatArray | null,
    dx: FloatArray | null,
    batch: number,
    inH: number,
    inW: number,
    inC: number,
    kH: number,
    kW: number,
    outC: number,
    strideH: number,
    strideW: number,
    padTop: number,
    padLeft: number,
    dilationH: number,
    dilationW: number,
    outH: number,
    outW: number,
    act: number,
    alpha: number,
  ): void;

  conv2dTransposeForwardAsync?(...args: Parameters<Backend['conv2dTransposeForward']>): Promise<void>;
  conv2dTransposeBackwardAsync?(...args: Parameters<Backend['conv2dTransposeBackward']>): Promise<void>;
  // ---- Attention. -------------------------------------------------------------------------------------
  // Scaled dot-product attention of every head at once, over projections laid out as a dense layer writes
  // them: q is [batch, tq, heads, keyDim], k [batch, tk, heads, keyDim], v [batch, tk, heads, valueDim], out
  // [batch, tq, heads, valueDim]. For batch b, head h, query i and key j: s_ij = scale·q[b,i,h,:]·k[b,j,h,:];
  // key j is allowed for query i when mask[b,i,j] ≠ 0 (a boolean mask shared by the heads, as Keras), keyMask[b,j]
  // ≠ 0 (padding), queryMask[b,i] ≠ 0 and, when causal, j ≤ i (null masks allow everything).
  // p_ij = e^(s_ij − lse_i) over the allowed keys, 0 elsewhere, with lse_i = log Σ_allowed e^(s_ij); a row with no
  // allowed key has p = 0, out = 0 and lse = −∞. Dropout (rate in [0, 1)) keeps p_ij for the output when
  // hash(seed, b·heads + h, i, j) ≥ rate·2³² (uint32; see js/attention.ts) and scales it by 1/(1 − rate): the
  // same keys are dropped forward and backward, on every backend. Kernels keep O(steps) memory per head: no
  // tq×tk matrix is built unless `probs` asks for it. Outputs must not overlap inputs. Per (batch, head) the
  // arithmetic is the same whatever the thread count, so results are the same bits at any thread count.

  /**
   * `out[b,i,h,:] = Σ_j p_ij·keep_ij/(1 − dropout)·v[b,j,h,:]`, `lse[b,h,i]` (for the backward pass) and, unless
   * null, `probs[b,h,i,j] = p_ij` (the attention scores before dropout, as Keras returns them).
   */
  attentionForward(
    q: FloatArray,
    k: FloatArray,
    v: FloatArray,
    mask: FloatArray | null,
    keyMask: FloatArray | null,
    queryMask: FloatArray | null,
    out: FloatArray,
    lse: FloatArray,
    probs: FloatArray | null,
    batch: number,
    heads: number,
    tq: number,
    tk: number,
    keyDim: number,
    valueDim: number,
    scale: number,
    causal: boolean,
    dropout: number,
    seed: number,
  ): void;
  /**
   * Backward of attentionForward from its inputs, `out`, `lse` and `dOut`, recomputing p from lse (nothing of
   * size tq×tk is kept): with d_ij = keep_ij/(1 − dropout) and D_i = dOut_i·out_i, `dv_j = Σ_i p_ij·d_ij·dOut_i`,
   * `ds_ij = p_ij·(d_ij·dOut_i·v_j − D_i)`, `dq_i = scale·Σ_j ds_ij·k_j`, `dk_j = scale·Σ_i ds_ij·q_i` (all
   * overwritten; masked and dropped pairs contribute nothing).
   */
  attentionBackward(
    q: FloatArray,
    k: FloatArray,
    v: FloatArray,
    mask: FloatArray | null,
    keyMask: FloatArray | null,
    queryMask: FloatArray | null,
    out: FloatArray,
    lse: FloatArray,
    dOut: FloatArray,
    dq: FloatArray,
    dk: FloatArray,
    dv: FloatArray,
    batch: number,
    heads: number,
    tq: number,
    tk: number,
    keyDim: number,
    valueDim: number,
    scale: number,
    causal: boolean,
    dropout: number,
    seed: number,
  ): void;
  attentionForwardAsync?(...args: Parameters<Backend['attentionForward']>): Promise<void>;
  attentionBackwardAsync?(...args: Parameters<Backend['attentionBackward']>): Promise<void>;
}

export { ASYNC_OP_NAMES, OP_NAMES, OP_TABLE } from './op-table';
export type { AsyncOpName, OpName } from './op-table';

// ---- Compile-time agreement of the op table with the Backend interface: the same ops, each with the
// same parameter types in the same order, and an async twin in the interface for each one the table marks.
type ArgType<K extends ArgKind> = K extends 'bool'
  ? boolean
  : K extends 'floats'
    ? FloatArray
    : K extends 'optFloats'
      ? FloatArray | null
      : K extends 'int32s' | 'int32Out'
        ? Int32Array
        : number;
type TableParams<A extends readonly ArgSpec[]> = { -readonly [I in keyof A]: ArgType<A[I]['kind']> };
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type TableAgrees = {
  [K in OpName]: Same<TableParams<(typeof OP_TABLE)[K]['args']>, Parameters<Backend[K]>>;
}[OpName];
type OpsAgree = Same<OpName | AsyncOpName, Exclude<keyof Backend, 'name' | 'info'>>;
type AsyncAgree = {
  [K in OpName]: `${K}Async` extends keyof Backend
    ? Same<Parameters<NonNullable<Backend[`${K}Async`]>>, Parameters<Backend[K]>>
    : true;
}[OpName];
/** `true`, or a compile error where the table and the interface disagree. */
export type _OpTableMatchesBackend = [TableAgrees, OpsAgree, AsyncAgree] extends [true, true, true] ? true : never;
const _check: _OpTableMatchesBackend = true;
void _check;
