/**
 * The loader treats the directory as hostile: symbolic links, FIFOs, directories and files outside the
 * model's directory are refused (checked on the opened descriptor), nothing blocks, and every read is
 * bounded by the file's real size.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bp } from '../model/support';
import { containedIn, readExactly, readRegularFile } from '../../src/io/read-files';

const posix = process.platform !== 'win32';
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'bp-hostile-'));

async function savedModel(): Promise<{ dir: string; weightsName: string; json: Record<string, unknown> }> {
  const dir = tmp();
  await bp.sequential({ seed: 1, layers: [bp.layers.dense({ units: 2, inputShape: [3] })] }).save(dir);
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  return { dir, weightsName: json.weightsManifest[0].paths[0], json };
}

async function loadError(target: string): Promise<Error> {
  const err = await bp.loadLayersModel(target).then(
    () => undefined,
    (e: Error) => e,
  );
  if (!err) throw new Error(`${target} loaded`);
  return err;
}

/**
 * Runs `load` and fails if it has not settled within `ms`; a load blocked on the FIFO is then released by
 * opening the FIFO's write end, so a failing run ends instead of hanging jest.
 */
async function settlesWithin(load: Promise<unknown>, ms: number, fifo: string): Promise<Error> {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    fs.closeSync(fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
  }, ms);
  const err = await load.then(
    () => new Error('loaded'),
    (e: Error) => e,
  );
  clearTimeout(timer);
  if (timedOut) throw new Error(`the load blocked on the FIFO for over ${ms} ms`);
  return err;
}

const onPosix = posix ? test : test.skip;

onPosix('a model.json that is a symbolic link is refused', async () => {
  const { dir } = await savedModel();
  const real = path.join(dir, 'real-model.json');
  fs.renameSync(path.join(dir, 'model.json'), real);
  fs.symlinkSync(real, path.join(dir, 'model.json'));
  const err = await loadError(dir);
  expect(err.name).toBe('ModelFormatError');
  expect(err.message).toMatch(/model\.json is a symbolic link/);
});

onPosix('a weights file that links outside the directory, or to a file inside it, is refused', async () => {
  const { dir, weightsName } = await savedModel();
  const outside = tmp();
  const target = path.join(outside, 'stolen.bin');
  fs.renameSync(path.join(dir, weightsName), target);
  fs.symlinkSync(target, path.join(dir, weightsName));
  let err = await loadError(dir);
  expect(err.name).toBe('ModelFormatError');
  expect(err.message).toMatch(/resolves to .*stolen\.bin, outside the model's directory/);

  fs.rmSync(path.join(dir, weightsName));
  fs.renameSync(target, path.join(dir, 'inside.bin'));
  fs.symlinkSync('inside.bin', path.join(dir, weightsName));
  err = await loadError(dir);
  expect(err.message).toMatch(/weights file named in model\.json is a symbolic link/);
});

onPosix('a model.json that is a FIFO is refused at once, without blocking', async () => {
  const dir = tmp();
  const fifo = path.join(dir, 'model.json');
  execFileSync('mkfifo', [fifo]);
  const err = await settlesWithin(bp.loadLayersModel(dir), 2000, fifo);
  expect(err.name).toBe('ModelFormatError');
  expect(err.message).toMatch(/model\.json is a FIFO; only regular files are read/);
});

onPosix('a weights file that is a FIFO is refused at once, without blocking', async () => {
  const { dir, json } = await savedModel();
  // an extra group of no weights whose file is a FIFO: the sizes agree (0 bytes), so only the file type stops it
  (json.weightsManifest as unknown[]).push({ paths: ['extra.bin'], weights: [] });
  delete (json.userDefinedMetadata as { backprop: Record<string, unknown> }).backprop.manifestChecksum;
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
  const fifo = path.join(dir, 'extra.bin');
  execFileSync('mkfifo', [fifo]);
  const err = await settlesWithin(bp.loadLayersModel(dir), 2000, fifo);
  expect(err.name).toBe('ModelFormatError');
  expect(err.message).toMatch(/extra\.bin: weights file named in model\.json is a FIFO/);
});

test('a model.json or a weights file that is a directory is refused with a format error', async () => {
  const dir = tmp();
  fs.mkdirSync(path.join(dir, 'model.json'));
  const err = await loadError(dir);
  expect(err.name).toBe('ModelFormatError');
  expect(err.message).toMatch(/model\.json is a directory/);

  const saved = await savedModel();
  fs.rmSync(path.join(saved.dir, saved.weightsName));
  fs.mkdirSync(path.join(saved.dir, saved.weightsName));
  const err2 = await loadError(saved.dir);
  expect(err2.name).toBe('ModelFormatError');
  expect(err2.message).toMatch(/weights file named in model\.json is a directory/);
});

(process.platform === 'linux' ? test : test.skip)(
  'a file longer than its fstat size (/proc) is refused, not read without bound',
  async () => {
    // /proc files report size 0 but have content: a read bounded by the real size must notice
    await expect(readRegularFile('/proc/self/status', { what: 'status', maxBytes: 1 << 20 })).rejects.toThrow(
      /status is longer than its 0 bytes/,
    );
  },
);

test('a file that ends before its size (changed while being read) is refused', async () => {
  // a handle that yields 10 bytes and then end-of-file, for a file whose fstat said 16
  const short = {
    read: async (buf: Uint8Array, off: number, len: number, pos: number) => {
      const n = Math.max(0, Math.min(len, 10 - pos));
      buf.fill(7, off, off + n);
      return { bytesRead: n };
    },
  };
  await expect(readExactly(short, new Uint8Array(16), 'w.bin', 'weights file')).rejects.toThrow(
    /weights file ended after 10 of its 16 bytes/,
  );
  const exact = {
    read: async (_b: Uint8Array, _o: number, len: number, pos: number) => ({ bytesRead: pos < 16 ? len : 0 }),
  };
  await expect(readExactly(exact, new Uint8Array(16), 'w.bin', 'weights file')).resolves.toBeUndefined();
});

onPosix('containedIn refuses names that leave the directory and links that resolve outside it', async () => {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, 'ok.bin'), 'x');
  const inside = await containedIn(dir);
  await expect(inside('ok.bin', 'weights file')).resolves.toBe(path.join(dir, 'ok.bin'));
  await expect(inside('../ok.bin', 'weights file')).rejects.toThrow(/not a plain file name/);
  fs.symlinkSync(os.tmpdir(), path.join(dir, 'up'));
  await expect(inside('up', 'weights file')).rejects.toThrow(/outside the model's directory/);
  // a model directory reached through a link is fine: containment is judged on real paths
  const saved = await savedModel();
  const linked = `${saved.dir}-link`;
  fs.symlinkSync(saved.dir, linked);
  await expect(bp.loadLayersModel(linked)).resolves.toBeDefined();
});
