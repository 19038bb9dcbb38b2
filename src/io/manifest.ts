/**
 * Reading model.json's `weightsManifest`: groups of plain file names and the weight entries stored in them,
 * each entry's name, shape, dtype, group and quantization checked against closed lists, and the byte count
 * each group's files must have. Nothing here touches the disk.
 */
import type { Obj, Reader } from './safe-json';
import type { ManifestEntry } from './weights';
import { quote } from '../quote';

const MAX_ELEMENTS = 2 ** 28;
const MAX_GROUPS = 1000;
const MAX_FILES = 10000;
const MAX_ENTRIES = 100000;
/** Plain file names: no separators, no leading dot (so never '.', '..' or a hidden file). */
export const SAFE_FILE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;

export interface ManifestGroup {
  paths: string[];
  entries: ManifestEntry[];
  /** The bytes the group's files must hold together: the sum of its entries' sizes. */
  bytes: number;
}

const QUANTIZATIONS = ['uint8', 'uint16', 'float16'] as const;

function readEntry(r: Reader, v: unknown, where: string): ManifestEntry {
  const e = r.obj(v, where);
  const name = r.str(e.name, `${where}.name`, 512);
  const { shape, size } = r.shape(e.shape, `${where}.shape`, MAX_ELEMENTS);
  const group = e.group === undefined ? 'model' : r.oneOf(e.group, `${where}.group`, ['model', 'optimizer'] as const);
  const rawDtype = r.str(e.dtype ?? 'float32', `${where}.dtype`, 32);
  // float32 everywhere; int32 only for the optimizer's step count. Anything else would be read as floats.
  const isIter = group === 'optimizer' && name === 'iter';
  if (rawDtype !== 'float32' && !(rawDtype === 'int32' && isIter)) {
    r.fail(
      `${where}.dtype`,
      `weight ${quote(name)} has dtype ${quote(rawDtype)}; backprop reads float32 weights (optionally quantized as ` +
        `${QUANTIZATIONS.join('/')}), and int32 only for the optimizer's 'iter'`,
    );
  }
  const dtype = rawDtype as ManifestEntry['dtype'];
  let quantization: ManifestEntry['quantization'];
  if (e.quantization !== undefined && e.quantization !== null) {
    if (dtype !== 'float32') r.fail(`${where}.quantization`, `weight ${quote(name)} is int32 and cannot be quantized`);
    const q = r.obj(e.quantization, `${where}.quantization`);
    const qd = r.str(q.dtype, `${where}.quantization.dtype`, 32);
    if (!(QUANTIZATIONS as readonly string[]).includes(qd)) {
      r.fail(
        `${where}.quantization.dtype`,
        `weight ${quote(name)} is quantized as ${quote(qd)}; supported: ${QUANTIZATIONS.join(', ')}`,
      );
    }
    const half = qd === 'float16';
    quantization = {
      dtype: qd as (typeof QUANTIZATIONS)[number],
      scale: half ? 1 : r.num(q.scale, `${where}.quantization.scale`),
      min: half ? 0 : r.num(q.min, `${where}.quantization.min`),
    };
  }
  const per = quantization ? (quantization.dtype === 'uint8' ? 1 : 2) : 4;
  return { name, shape, size, dtype, group, quantization, bytes: size * per, offset: 0 };
}

/**
 * The manifest's groups, with each entry's byte offset inside its group's files.
 * @example const groups = readManifest(new Reader('model.json'), json); // [{ paths: ['weights.bin'], ... }]
 */
export function readManifest(r: Reader, root: Obj): ManifestGroup[] {
  const groups = r.arr(root.weightsManifest ?? [], 'weightsManifest', MAX_GROUPS);
  let files = 0;
  let entryCount = 0;
  return groups.map((g, gi) => {
    const group = r.obj(g, `weightsManifest[${gi}]`);
    const rawPaths = r.arr(group.paths, `weightsManifest[${gi}].paths`, MAX_FILES);
    files += rawPaths.length;
    if (files > MAX_FILES) r.fail('weightsManifest', `names more than ${MAX_FILES} files`);
    const paths = rawPaths.map((p, i) => {
      const name = r.str(p, `weightsManifest[${gi}].paths[${i}]`, 255);
      if (!SAFE_FILE.test(name))
        r.fail(
          `weightsManifest[${gi}].paths[${i}]`,
          `${quote(name)} is not a plain file name in the model's directory`,
        );
      return name;
    });
    const rawEntries = r.arr(group.weights, `weightsManifest[${gi}].weights`, MAX_ENTRIES);
    entryCount += rawEntries.length;
    if (entryCount > MAX_ENTRIES) r.fail('weightsManifest', `lists more than ${MAX_ENTRIES} weights`);
    let bytes = 0;
    const entries = rawEntries.map((e, i) => {
      const entry = readEntry(r, e, `weightsManifest[${gi}].weights[${i}]`);
      entry.offset = bytes;
      bytes += entry.bytes;
      return entry;
    });
    if (bytes > 0 && paths.length === 0) r.fail(`weightsManifest[${gi}].paths`, `names no file for its weights`);
    return { paths, entries, bytes };
  });
}
