/**
 * The directory store against someone who can write into it: no key may pass through a symbolic link (even one
 * that stays inside), what was opened is what is read or written afterwards however the names change, a
 * directory swapped for a link is noticed before the next save, and removing a key never deletes outside.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as bp from '../../src';
import { DirectoryStore } from '../../src/jobs/store';
import { checkGuard } from '../../src/jobs/store-open';

let storeDir: string;
let outside: string;
let store: DirectoryStore;
const put = (key: string, text: string) => {
  fs.mkdirSync(path.dirname(path.join(storeDir, key)), { recursive: true });
  fs.writeFileSync(path.join(storeDir, key), text);
};
const tree = (dir: string): string[] =>
  fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort((a, b) => a.localeCompare(b));

beforeEach(() => {
  storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-store-'));
  outside = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-outside-'));
  fs.writeFileSync(path.join(outside, 'secret.csv'), 'SECRET-LINE,x\n1,2\n');
  store = new DirectoryStore(storeDir);
});
afterEach(() => {
  for (const d of [storeDir, outside]) fs.rmSync(d, { recursive: true, force: true });
});

const tiny = () => {
  const m = bp.sequential({ seed: 1, layers: [bp.layers.dense({ units: 2, inputShape: [3] })] });
  m.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
  return m;
};

test('a symbolic link anywhere in a key is refused, even one that stays inside the store', async () => {
  put('datasets/d.csv', 'a,b\n1,2\n');
  fs.mkdirSync(path.join(storeDir, 'models/m'), { recursive: true });
  fs.symlinkSync(path.join(outside, 'secret.csv'), path.join(storeDir, 'datasets/out.csv'));
  fs.symlinkSync('d.csv', path.join(storeDir, 'datasets/in.csv'));
  fs.symlinkSync(outside, path.join(storeDir, 'link-out'));
  fs.symlinkSync('datasets', path.join(storeDir, 'link-in'));
  fs.symlinkSync('m', path.join(storeDir, 'models/alias'));
  const link = /is or passes through a symbolic link; links are not followed in the store/;
  for (const key of ['datasets/out.csv', 'datasets/in.csv', 'link-out/secret.csv', 'link-in/d.csv'])
    await expect(store.open(key, 'file', 'data.csv')).rejects.toThrow(link);
  await expect(store.open('models/alias', 'directory', 'model')).rejects.toThrow(link);
  await expect(store.openWritable('link-out/x', 'checkpoint directory')).rejects.toThrow(link);
  await expect(store.open('datasets', 'file', 'data.csv')).rejects.toThrow("data.csv 'datasets' is not a regular file");
  await expect(store.open('datasets/d.csv', 'directory', 'model')).rejects.toThrow(
    "model 'datasets/d.csv' is not a directory in the store",
  );
  await expect(store.open('datasets/d.csv/x', 'file', 'data.csv')).rejects.toThrow(/passes through a file/);
  await expect(store.open('datasets/none.csv', 'file', 'data.csv')).rejects.toThrow('does not exist in the store');
  await expect(store.open('../x', 'file', 'data.csv')).rejects.toThrow(/'\.\.' segment/);
  const ok = await store.open('datasets/d.csv', 'file', 'data.csv');
  expect(ok.size).toBe(8);
  ok.close();
  expect(fs.readdirSync(outside)).toEqual(['secret.csv']);
});

test('a FIFO is refused without blocking', async () => {
  fs.mkdirSync(path.join(storeDir, 'datasets'));
  if (spawnSync('mkfifo', [path.join(storeDir, 'datasets/pipe.csv')]).status !== 0) return;
  await expect(store.open('datasets/pipe.csv', 'file', 'data.csv')).rejects.toThrow('is not a regular file');
});

test('what was opened is what is read: a file swapped for a link after the check is never followed', async () => {
  put('datasets/d.csv', 'a,label\n1,0\n');
  const entry = await store.open('datasets/d.csv', 'file', 'data.csv');
  try {
    fs.renameSync(path.join(storeDir, 'datasets/d.csv'), path.join(storeDir, 'datasets/old.csv'));
    fs.symlinkSync(path.join(outside, 'secret.csv'), path.join(storeDir, 'datasets/d.csv'));
    expect(fs.readFileSync(entry.path, 'utf8')).toBe('a,label\n1,0\n');
  } finally {
    entry.close();
  }
});

test('a model directory swapped for a link after the check: the model loaded is the one checked', async () => {
  const inStore = tiny();
  await inStore.save(path.join(storeDir, 'models/base'));
  const other = bp.sequential({ seed: 9, layers: [bp.layers.dense({ units: 5, inputShape: [3] })] });
  await other.save(path.join(outside, 'model'));
  const entry = await store.open('models/base', 'directory', 'model');
  try {
    fs.renameSync(path.join(storeDir, 'models/base'), path.join(storeDir, 'models/moved'));
    fs.symlinkSync(path.join(outside, 'model'), path.join(storeDir, 'models/base'));
    const loaded = await bp.loadLayersModel(entry.path);
    expect(loaded.outputShape).toEqual([2]);
    expect(Array.from(loaded.getWeights()[0].data)).toEqual(Array.from(inStore.getWeights()[0].data));
  } finally {
    entry.close();
  }
});

test('a writable directory swapped for a link: saves stay inside, and the guard stops the next save', async () => {
  const entry = await store.openWritable('checkpoints/job-1', 'checkpoint directory');
  try {
    const m = tiny();
    checkGuard(entry.guard!);
    await m.save(entry.path, { includeOptimizer: true });
    const ckpt = path.join(storeDir, 'checkpoints/job-1');
    fs.renameSync(ckpt, path.join(storeDir, 'checkpoints/elsewhere'));
    fs.symlinkSync(outside, ckpt);
    expect(() => checkGuard(entry.guard!)).toThrow(
      /checkpoint directory 'checkpoints\/job-1' is or passes through a symbolic link.*replaced or removed during/,
    );
    // Even unchecked, a save through the opened directory lands in it, never through the link.
    await m.save(entry.path, { includeOptimizer: true });
    expect(fs.readdirSync(outside)).toEqual(['secret.csv']);
    expect(fs.readdirSync(path.join(storeDir, 'checkpoints/elsewhere'))).toContain('model.json');
    // A directory put in its place (not a link) is noticed too.
    fs.unlinkSync(ckpt);
    fs.mkdirSync(ckpt);
    expect(() => checkGuard(entry.guard!)).toThrow(/was replaced by another directory during the job/);
  } finally {
    entry.close();
  }
});

test('creating a writable directory never creates anything through a link', async () => {
  fs.symlinkSync(outside, path.join(storeDir, 'checkpoints'));
  await expect(store.openWritable('checkpoints/job-2', 'checkpoint directory')).rejects.toThrow(
    /symbolic link; links are not followed/,
  );
  expect(fs.readdirSync(outside)).toEqual(['secret.csv']); // no 'job-2' made outside
});

test('remove() deletes inside the store only: links are removed, never followed', async () => {
  fs.mkdirSync(path.join(outside, 'job-3'));
  fs.writeFileSync(path.join(outside, 'job-3/model.json'), '{}');
  fs.symlinkSync(outside, path.join(storeDir, 'checkpoints'));
  await expect(store.remove('checkpoints/job-3')).rejects.toThrow(/symbolic link/); // refused, nothing deleted
  expect(tree(outside)).toEqual(['job-3', 'job-3/model.json', 'secret.csv']);
  fs.unlinkSync(path.join(storeDir, 'checkpoints'));

  fs.mkdirSync(path.join(storeDir, 'checkpoints/job-4/sub'), { recursive: true });
  fs.writeFileSync(path.join(storeDir, 'checkpoints/job-4/sub/w.bin'), 'x');
  fs.symlinkSync(outside, path.join(storeDir, 'checkpoints/job-4/link'));
  fs.symlinkSync(path.join(outside, 'secret.csv'), path.join(storeDir, 'checkpoints/job-4/file-link'));
  await store.remove('checkpoints/job-4');
  expect(fs.existsSync(path.join(storeDir, 'checkpoints/job-4'))).toBe(false);
  expect(tree(outside)).toEqual(['job-3', 'job-3/model.json', 'secret.csv']);
  await store.remove('checkpoints/none'); // missing: nothing to do
});
