/**
 * The loader refuses an addon that does not match this package's tables: one missing an op, or built with
 * a different number of activations (a stale build after an activation was added), with a message that
 * says to rebuild it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ACTIVATION_COUNT } from '../../src/backend/activations';
import { loadNativeBackend } from '../../src/backend/native';
import { OP_NAMES } from '../../src/backend/op-table';
import { BINARY_CODES, REDUCE_CODES, UNARY_CODES } from '../../src/backend/elementwise';
import { describeNative, native } from './native-backend';

/** A stand-in addon (a JS module: the loader requires whatever file BACKPROP_ADDON_PATH names). */
const counts = { unary: UNARY_CODES.length, binary: BINARY_CODES.length, reduce: REDUCE_CODES.length };

function fakeAddon(activations: number | null, omit: string[] = []): string {
  const names = [...OP_NAMES, 'setThreads'].filter((n) => !omit.includes(n));
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bp-addon-')), 'fake.js');
  fs.writeFileSync(
    file,
    `for (const n of ${JSON.stringify(names)}) exports[n] = () => {};\n` +
      `exports.blasInfo = () => ({ config: 'OpenBLAS 0.3.21', core: 'Fake', threads: 1, parallel: 1 });\n` +
      // The autodiff kernels' code tables, as a current build reports them (the loader checks them too).
      `exports.elementwiseCounts = () => (${JSON.stringify(counts)});\n` +
      (activations === null ? '' : `exports.activationCount = () => ${activations};\n`),
  );
  return file;
}

function loadFrom(file: string) {
  const saved = process.env.BACKPROP_ADDON_PATH;
  process.env.BACKPROP_ADDON_PATH = file;
  try {
    return loadNativeBackend();
  } finally {
    if (saved === undefined) delete process.env.BACKPROP_ADDON_PATH;
    else process.env.BACKPROP_ADDON_PATH = saved;
  }
}

describe('the loader checks the addon against the op and activation tables', () => {
  test('an addon with the same activation count loads', () => {
    expect(loadFrom(fakeAddon(ACTIVATION_COUNT)).backend?.name).toBe('native');
  });
  test.each([
    [ACTIVATION_COUNT - 1, `${ACTIVATION_COUNT - 1} activations`],
    [ACTIVATION_COUNT + 1, `${ACTIVATION_COUNT + 1} activations`],
    [null, 'an unknown number of activations'],
  ])('built with %s activations: refused, with "rebuild it"', (count, said) => {
    const r = loadFrom(fakeAddon(count));
    expect(r.backend).toBeUndefined();
    expect(r.error).toContain(
      `addon was built with ${said} but this package has ${ACTIVATION_COUNT} (rebuild it: npm run build)`,
    );
  });
  test('an addon missing an op: refused, naming the op', () => {
    const r = loadFrom(fakeAddon(ACTIVATION_COUNT, ['huber']));
    expect(r.error).toContain('addon is missing ops huber (rebuild it: npm run build)');
  });
});

describeNative('the real addon', () => {
  test('was built with the activation table of this package (native/activations.h ACT_COUNT)', () => {
    expect(native!.addon.activationCount()).toBe(ACTIVATION_COUNT);
  });
});
