/**
 * What a save deletes in a directory other writers use: weights files no model.json can name any more, and
 * the temp files and pins of writers that are gone — never a live writer's temp file or pinned weights, the
 * current weights or the ones model.json named before this save, or files that are not backprop's.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bp } from '../model/support';
import { removeStale } from '../../src/io/stale-files';
import { pinName, tempName } from '../../src/io/writer-markers';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'bp-stale-'));
const touch = (dir: string, name: string, ageMs = 0) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, 'x');
  if (ageMs) fs.utimesSync(file, new Date(Date.now() - ageMs), new Date(Date.now() - ageMs));
  return name;
};
/** A marker name made by this process, re-attributed to another process id (and optionally another host). */
const as = (name: string, pid: number, host?: string) => {
  const m = /^(.*\.bp-(?:tmp|pin)-)([0-9a-f]{8})-(\d+)-([0-9a-f]{8})$/.exec(name)!;
  return `${m[1]}${host ?? m[2]}-${pid}-${m[4]}`;
};

let live: ReturnType<typeof spawn>;
let deadPid: number;

beforeAll(() => {
  live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 600000)'], { stdio: 'ignore' });
  deadPid = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout);
});
afterAll(() => live.kill());

test("a save keeps live writers' temp files and pinned weights, and removes those of writers that are gone", async () => {
  const dir = tmp();
  const model = bp.sequential({ layers: [bp.layers.dense({ units: 2, inputShape: [2] })] });
  await model.save(dir);
  const previous = fs.readdirSync(dir).find((f) => f.startsWith('weights-'))!;

  const w = (n: number) => `weights-${String(n).repeat(12)}-0000000${n}.bin`;
  const foreignPin = as(pinName(w(3)), 1, 'ffffffff');
  const keep = [
    touch(dir, w(1)), // pinned by a live writer (another process) that has not named it in model.json yet
    touch(dir, as(pinName(w(1)), live.pid!)),
    touch(dir, as(tempName(w(2)), live.pid!)), // a live writer's weights being written
    touch(dir, as(tempName('model.json'), live.pid!)),
    touch(dir, w(3)), // pinned by a writer on another host, recently
    touch(dir, foreignPin),
    touch(dir, 'weights.bin'), // not backprop's
    touch(dir, 'group1-shard1of1.bin'),
    touch(dir, 'notes.txt'),
  ];
  const gone = [
    touch(dir, w(4)), // unreferenced, unpinned
    touch(dir, w(5)), // pinned by a writer that crashed
    touch(dir, as(pinName(w(5)), deadPid)),
    touch(dir, as(tempName(w(6)), deadPid)), // temp files of crashed writers
    touch(dir, `model.json.bp-tmp-${deadPid}-0badc0de`), // as earlier versions named them
    touch(dir, w(7)), // pinned by a writer on another host over an hour ago
    touch(dir, as(pinName(w(7)), 1, 'ffffffff'), 2 * 3600 * 1000),
    touch(dir, as(tempName('model.json'), 1, 'ffffffff'), 2 * 3600 * 1000),
  ];

  await model.save(dir);
  const files = fs.readdirSync(dir);
  const current = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')).weightsManifest[0].paths[0];
  expect(files.sort()).toEqual([...keep, previous, current, 'model.json'].sort());
  for (const f of gone) expect(files).not.toContain(f);

  // the next save drops what is now two saves old, and (its writer gone) the live writer's files once it exits
  live.kill();
  await new Promise((r) => live.once('exit', r));
  await model.save(dir);
  const after = fs.readdirSync(dir);
  expect(after).not.toContain(previous);
  expect(after).toContain(current);
  expect(after).not.toContain(w(1));
  expect(after.filter((f) => f.includes('.bp-'))).toEqual([foreignPin]);
});

test('nothing is deleted while model.json cannot be read', () => {
  const dir = tmp();
  const stale = touch(dir, 'weights-aaaaaaaaaaaa-00000000.bin');
  fs.mkdirSync(path.join(dir, 'model.json')); // unreadable as a file
  removeStale(dir, new Set());
  expect(fs.existsSync(path.join(dir, stale))).toBe(true);
  fs.rmdirSync(path.join(dir, 'model.json'));
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify({ weightsManifest: [{ paths: [] }] }));
  removeStale(dir, new Set());
  expect(fs.existsSync(path.join(dir, stale))).toBe(false);
});
