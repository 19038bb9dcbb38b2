/**
 * How long OpenBLAS's worker threads spin after a product before they sleep. OpenBLAS's default is 2^28 cycles
 * (about 0.1 s): right after a gemm, its idle threads keep yielding in a loop on every core. The convolution,
 * pooling and recurrent kernels run on backprop's own thread pool between gemms, and on a 2-core machine
 * the spinning threads took a third of their time (the Keras MNIST CNN's 32→64 convolution: 7.4 ms forward
 * after a gemm against 5.7 ms alone; the whole training step 1,630 → 2,330 samples/s). 2^20 cycles (well under
 * a millisecond) keeps the threads awake between the gemms of one dense step and lets them sleep before the
 * next layer's own kernels. OpenBLAS reads the variable once, when it loads.
 *
 * Precedence: OPENBLAS_THREAD_TIMEOUT set by the user always wins.
 */
import { isMainThread } from 'node:worker_threads';

/** log2 of the cycles OpenBLAS's idle threads spin before sleeping, when the user did not choose. */
export const DEFAULT_THREAD_TIMEOUT = 20;

/**
 * Sets OPENBLAS_THREAD_TIMEOUT unless the user has; returns the value OpenBLAS will read (undefined: its own
 * default, e.g. in a worker thread, whose process.env is a private copy that OpenBLAS never sees).
 */
export function chooseThreadTimeout(
  env: NodeJS.ProcessEnv = process.env,
  mainThread = isMainThread,
): string | undefined {
  const user = env.OPENBLAS_THREAD_TIMEOUT;
  if (user !== undefined && user !== '') return user;
  if (!mainThread) return undefined;
  // Assigning process.env on the main thread calls setenv(), so OpenBLAS's getenv() sees it at load.
  env.OPENBLAS_THREAD_TIMEOUT = String(DEFAULT_THREAD_TIMEOUT);
  return env.OPENBLAS_THREAD_TIMEOUT;
}
