/**
 * The linux-arm64 prebuilt's test, run by scripts/test-arm64.sh with an arm64 Node under qemu-user: the op
 * agreement suite's cases (every op of test/ops/op-cases.ts, float32 and float64, plain and offset views, against
 * the float64 JS reference, with the agreement suite's tolerances) on the addon named by BACKPROP_ADDON_PATH,
 * then two small trainings on it (XOR with an MLP, a CNN on bar images). Jest is not used: under emulation its
 * start-up and ts-jest alone take minutes, so scripts/test-arm64.sh compiles this file with tsc on the host.
 * `node qemu-run.js [filter...]` runs only the cases whose name contains one of the filters. Exits 1 on any
 * disagreement.
 */
import { jsReference, nativeBackend, setBackend, getBackend } from '../../src/backend/select';
import { sequential } from '../../src/sequential';
import * as layers from '../../src/layers';
import * as optimizers from '../../src/optimizers';
import { xor } from '../../src/data/datasets';
import { elementwiseRatio, guardsIntact, normRelError } from '../support/backends';
import { AGREEMENT_TOL, opCases, type Kind } from '../ops/op-cases';

function fail(msg: string): never {
  console.error(`arm64: ${msg}`);
  process.exit(1);
}

function agreement(filters: string[]): void {
  const loaded = nativeBackend();
  if (!loaded.backend) fail(`the native addon did not load: ${loaded.error}`);
  const native = loaded.backend;
  const js = jsReference();
  const cases = opCases().filter((c) => filters.length === 0 || filters.some((f) => c.name.includes(f)));
  if (cases.length === 0) fail(`no op case matches ${filters.join(', ')}`);
  const t0 = Date.now();
  let checks = 0;
  for (const c of cases) {
    const ref = c.run(js, 'float64', false);
    for (const kind of ['float32', 'float64'] as Kind[]) {
      for (const offset of [false, true]) {
        const got = c.run(native, kind, offset);
        const tol = AGREEMENT_TOL[kind];
        const where = `${c.name} (${kind}${offset ? ', offset view' : ''})`;
        for (const [key, refArr] of Object.entries(ref.outputs)) {
          const arr = got.outputs[key];
          if (!arr || arr.length !== refArr.length) fail(`${where}: output ${key} has the wrong length`);
          if (offset && !guardsIntact(arr)) fail(`${where}: wrote outside output ${key}`);
          const err =
            c.compare === 'norm'
              ? normRelError(arr, refArr) / tol.norm
              : elementwiseRatio(arr, refArr, tol.rtol, tol.atol);
          if (!(err <= 1)) fail(`${where}: output ${key} is ${err.toFixed(2)}× the tolerance`);
          checks++;
        }
        if (ref.value !== undefined && !(elementwiseRatio([got.value!], [ref.value], tol.rtol, tol.atol) <= 1)) {
          fail(`${where}: returned ${got.value}, the reference ${ref.value}`);
        }
      }
    }
  }
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  console.log(`arm64: ${cases.length} op cases (${checks} outputs) agree with the float64 reference in ${secs} s`);
}

/** 8×8 images of one vertical (class 0) or horizontal (class 1) bar at a random place, with noise. */
function bars(n: number): { x: Float32Array; y: Int32Array } {
  let s = 12345;
  const rand = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const x = new Float32Array(n * 64);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const cls = i % 2;
    const at = Math.floor(rand() * 8);
    for (let p = 0; p < 64; p++) {
      const r = p >> 3,
        c = p & 7;
      x[i * 64 + p] = ((cls === 0 ? c : r) === at ? 1 : 0) + 0.1 * rand();
    }
    y[i] = cls;
  }
  return { x, y };
}

async function training(): Promise<void> {
  setBackend('native');
  if (getBackend().name !== 'native') fail(`training: the backend is ${getBackend().name}, not native`);
  const { x, y } = xor();
  const mlp = sequential({
    seed: 3,
    layers: [
      layers.dense({ units: 8, activation: 'tanh', inputShape: [2] }),
      layers.dense({ units: 1, activation: 'sigmoid' }),
    ],
  });
  mlp.compile({ optimizer: optimizers.adam({ learningRate: 0.05 }), loss: 'binaryCrossentropy' });
  await mlp.fit(x, y, { epochs: 300, batchSize: 4, verbose: 0 });
  const p = Array.from(mlp.predict(x).data).map((v) => (v > 0.5 ? 1 : 0));
  if (p.join() !== '0,1,1,0') fail(`XOR did not train: predictions ${p.join()}`);
  console.log('arm64: XOR trains on native (predictions 0 1 1 0)');

  const train = bars(256);
  const test = bars(64);
  const cnn = sequential({
    seed: 1,
    layers: [
      layers.conv2d({ filters: 8, kernelSize: 3, activation: 'relu', padding: 'same', inputShape: [8, 8, 1] }),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.flatten(),
      layers.dense({ units: 2, activation: 'softmax' }),
    ],
  });
  cnn.compile({ optimizer: optimizers.adam({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy' });
  const tensor = (data: Float32Array) => ({ data, shape: [data.length / 64, 8, 8, 1], dtype: 'float32' as const });
  const h = await cnn.fit(tensor(train.x), train.y, { epochs: 10, batchSize: 32, verbose: 0 });
  const probs = cnn.predict(tensor(test.x)).data;
  let right = 0;
  for (let i = 0; i < test.y.length; i++) if ((probs[2 * i + 1] > probs[2 * i] ? 1 : 0) === test.y[i]) right++;
  const loss = h.history.loss;
  const acc = right / test.y.length;
  if (!(acc >= 0.95)) fail(`the CNN did not train: test accuracy ${acc}, loss ${loss[0]} → ${loss.at(-1)}`);
  console.log(
    `arm64: a CNN trains on native: loss ${loss[0].toFixed(3)} → ${loss.at(-1)!.toFixed(3)}, test accuracy ${acc}`,
  );
}

async function main(): Promise<void> {
  console.log(`arm64: Node ${process.version} on ${process.arch}`);
  if (process.arch !== 'arm64') fail(`expected an arm64 Node, got ${process.arch}`);
  agreement(process.argv.slice(2));
  await training();
  console.log('arm64:', JSON.stringify(getBackend()));
}

main().catch((e: unknown) => fail(e instanceof Error ? (e.stack ?? e.message) : String(e)));
