/**
 * The weights manifest is checked like the bytes it describes: a dtype, shape, name or order edited in a
 * saved model.json is refused (manifestChecksum), and dtypes other than float32 (int32 only for the
 * optimizer's 'iter') are refused by name even in files without checksums.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bp } from '../model/support';

interface Entry {
  name: string;
  shape: number[];
  dtype: string;
  group?: string;
  quantization?: unknown;
}
type Json = {
  weightsManifest: { paths: string[]; weights: Entry[] }[];
  userDefinedMetadata: { backprop: Record<string, unknown> };
};

async function saved(includeOptimizer = false): Promise<{ dir: string; json: Json }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-manifest-'));
  // two layers with kernels of the same shape, so swapping their names or order keeps every size valid
  const m = bp.sequential({
    seed: 3,
    layers: [bp.layers.dense({ units: 3, inputShape: [3] }), bp.layers.dense({ units: 3 })],
  });
  m.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
  m.trainOnBatch([[1, 2, 3]], [[1, 0, 0]]);
  await m.save(dir, { includeOptimizer });
  return { dir, json: JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) };
}

function write(dir: string, json: Json): void {
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
}

const CHECKSUM = /weightsManifest: does not match its checksum/;

test('a kernel whose dtype is edited to int32 is refused (it would load as reinterpreted floats)', async () => {
  const { dir, json } = await saved(true);
  json.weightsManifest[0].weights[0].dtype = 'int32';
  write(dir, json);
  await expect(bp.loadLayersModel(dir)).rejects.toThrow(/weight 'dense_1\/kernel' has dtype 'int32'/);
  // also with the dtype check out of the way: the checksum covers each entry's dtype
  json.weightsManifest[0].weights.find((e) => e.name === 'iter')!.dtype = 'float32';
  json.weightsManifest[0].weights[0].dtype = 'float32';
  write(dir, json);
  await expect(bp.loadLayersModel(dir)).rejects.toThrow(CHECKSUM);
});

test('swapping the names or the order of two same-shaped weights is refused', async () => {
  const { dir, json } = await saved();
  const w = json.weightsManifest[0].weights;
  [w[0].name, w[2].name] = [w[2].name, w[0].name];
  write(dir, json);
  await expect(bp.loadLayersModel(dir)).rejects.toThrow(CHECKSUM);

  const again = await saved();
  const v = again.json.weightsManifest[0].weights;
  [v[0], v[2]] = [v[2], v[0]];
  write(again.dir, again.json);
  await expect(bp.loadLayersModel(again.dir)).rejects.toThrow(CHECKSUM);
});

test('an edited shape, group or quantization, or a removed checksum map, is refused', async () => {
  const edits: [(j: Json) => void, RegExp][] = [
    [(j) => (j.weightsManifest[0].weights[1].shape = [1, 3]), CHECKSUM], // same element count as [3]
    [
      (j) => (j.weightsManifest[0].weights.find((e) => e.group === 'optimizer' && e.name !== 'iter')!.group = 'model'),
      CHECKSUM,
    ],
    [(j) => (j.weightsManifest[0].weights[1].quantization = { dtype: 'float16' }), CHECKSUM],
    [(j) => delete j.userDefinedMetadata.backprop.checksums, /checksums: missing, although the manifest has a/],
  ];
  for (const [edit, message] of edits) {
    const { dir, json } = await saved(true);
    edit(json);
    write(dir, json);
    const err = await bp.loadLayersModel(dir).catch((e: Error) => e);
    expect(err).toMatchObject({ name: 'ModelFormatError', message: expect.stringMatching(message) });
  }
});

test('unknown dtypes are refused with the entry named, even in a file without checksums', async () => {
  for (const [index, dtype] of [
    [0, 'int32'],
    [1, 'bool'],
    [0, 'complex64'],
    [1, 'string'],
    [0, 'float64'],
  ] as const) {
    const { dir, json } = await saved();
    delete json.userDefinedMetadata.backprop.checksums;
    delete json.userDefinedMetadata.backprop.manifestChecksum;
    const entry = json.weightsManifest[0].weights[index];
    entry.dtype = dtype;
    write(dir, json);
    const err = await bp.loadLayersModel(dir).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).name).toBe('ModelFormatError');
    expect((err as Error).message).toContain(`weight '${entry.name}' has dtype '${dtype}'`);
  }
});

test("int32 is accepted for the optimizer's 'iter' only", async () => {
  const { dir, json } = await saved(true);
  const iter = json.weightsManifest[0].weights.find((e) => e.name === 'iter')!;
  expect(iter).toMatchObject({ dtype: 'int32', group: 'optimizer' });
  const loaded = await bp.loadLayersModel(dir);
  expect(loaded.optimizer!.iterations).toBe(1);

  // an optimizer slot as int32 is refused, by name
  delete json.userDefinedMetadata.backprop.checksums;
  delete json.userDefinedMetadata.backprop.manifestChecksum;
  const slot = json.weightsManifest[0].weights.find((e) => e.group === 'optimizer' && e.name !== 'iter')!;
  slot.dtype = 'int32';
  write(dir, json);
  await expect(bp.loadLayersModel(dir)).rejects.toThrow(`weight '${slot.name}' has dtype 'int32'`);
});

test('files of earlier versions (per-file checksums, no manifestChecksum) still load and check their bytes', async () => {
  const { dir, json } = await saved(true);
  delete json.userDefinedMetadata.backprop.manifestChecksum;
  write(dir, json);
  await expect(bp.loadLayersModel(dir)).resolves.toBeDefined();
  const file = path.join(dir, json.weightsManifest[0].paths[0]);
  const bytes = fs.readFileSync(file);
  bytes[0] ^= 1;
  fs.writeFileSync(file, bytes);
  await expect(bp.loadLayersModel(dir)).rejects.toThrow(/checksum mismatch/);
});
