/**
 * Jest's node environment with the host's typed-array constructors. onnxruntime-node's addon creates its
 * output arrays in the host realm, and onnxruntime-common then checks them with `instanceof` against the
 * test sandbox's constructors, which fails ("A float32 tensor's data must be type of ... Float32Array").
 * Suites that run ONNX Runtime select this environment with a @jest-environment docblock.
 */
const { TestEnvironment } = require('jest-environment-node');

const SHARED = [
  'ArrayBuffer',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
];

class OrtEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}

module.exports = OrtEnvironment;
