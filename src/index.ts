/**
 * backprop: neural-network training for Node.js.
 *
 * @example
 * const bp = require('backprop');
 * console.log(bp.getBackend()); // { name: 'native', blas: 'OpenBLAS 0.3.21 (pthread, Haswell)', threads: 2, ... }
 */
export { backend, getBackend, setBackend, setThreads, jsReference, nativeBackend } from './backend/select';
export type { BackendName } from './backend/select';
export { Activation, ACTIVATION_NAMES, OP_NAMES } from './backend/ops';
export type { Backend, BackendInfo, DType, FloatArray, ActivationName, ActivationCode } from './backend/ops';
export { Rng } from './random';
