/**
 * bp.distributed.init's checks: every bad setting fails with an error naming it, before any socket opens;
 * without the Gloo addon the error names the package to install; the group listens only on the address given.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as bp from '../../src';
import { GLOO_ADDON, tempStore } from './ranks';

const haveGloo = fs.existsSync(GLOO_ADDON);
const testGloo = haveGloo ? test : test.skip;

describe('distributed.init checks its settings', () => {
  let store: string;
  const saved = { ...process.env };
  beforeEach(() => {
    store = tempStore();
    for (const k of ['BACKPROP_RANK', 'BACKPROP_WORLD_SIZE', 'BACKPROP_STORE', 'BACKPROP_IFACE', 'BACKPROP_RUN_ID'])
      delete process.env[k];
  });
  afterEach(() => {
    process.env = { ...saved };
    fs.rmSync(store, { recursive: true, force: true });
  });

  const ok = () => ({ rank: 0, worldSize: 2, store, iface: '127.0.0.1', timeoutMs: 1000 });

  test.each([
    [{ rank: 2 }, /'rank' 2 is out of range for worldSize 2 \(0\.\.1\)/],
    [{ rank: -1 }, /'rank' must be an integer in \[0, /],
    [{ rank: 0.5 }, /'rank' must be an integer/],
    [{ worldSize: 0 }, /'worldSize' must be an integer in \[1, 4096\]/],
    [{ worldSize: '2' }, /'worldSize' must be an integer/],
    [{ iface: 'no-such-nic0' }, /no network interface 'no-such-nic0'; this machine has: .*lo/],
    [{ iface: '10.254.254.254' }, /'iface' 10\.254\.254\.254 is not an address of this machine's interfaces/],
    [{ iface: '' }, /'iface' must be a non-empty string/],
    [{ store: '/nonexistent/bp-store' }, /'store' \/nonexistent\/bp-store does not exist/],
    [{ timeoutMs: 0 }, /'timeoutMs' must be an integer in \[100, 86400000\]/],
    [{ timeoutMs: Infinity }, /'timeoutMs' must be an integer/],
    [{ runId: '../up' }, /'runId' must be 1-64 characters/],
    [
      { port: 1 },
      /unknown option 'port'; options are: rank, worldSize, store, iface, runId, timeoutMs, busyPoll, overlap/,
    ],
    [{ busyPoll: 'yes' }, /'busyPoll' must be true or false, got "yes"/],
    [{ overlap: 1 }, /'overlap' must be true or false, got 1/],
  ])('%j', async (override, message) => {
    await expect(bp.distributed.init({ ...ok(), ...override } as bp.distributed.InitOptions)).rejects.toThrow(message);
    expect(bp.distributed.isInitialized()).toBe(false);
  });

  test.each([
    ['BACKPROP_BUSY_POLL', '2', /BACKPROP_BUSY_POLL must be 1 or 0, got '2'/],
    ['BACKPROP_OVERLAP', 'yes', /BACKPROP_OVERLAP must be 1 or 0, got 'yes'/],
    ['BACKPROP_SEGMENT_KB', '64', /BACKPROP_SEGMENT_KB must be a whole number of KB in \[128, 16384\], got '64'/],
    ['BACKPROP_SEGMENT_KB', '512.5', /BACKPROP_SEGMENT_KB must be a whole number/],
    ['BACKPROP_SEGMENT_KB', 'big', /BACKPROP_SEGMENT_KB must be a whole number/],
    ['BACKPROP_CPUS', 'all', /distributed\.init\(\): BACKPROP_CPUS must be a CPU list such as 0-3,8 .*got 'all'/],
    ['BACKPROP_CPUS', '3-1', /BACKPROP_CPUS must be a CPU list/],
    ['BACKPROP_CPUS', '0-5000', /BACKPROP_CPUS must be a CPU list .*below 1024/],
  ])('%s=%s', async (name, value, message) => {
    process.env[name] = value;
    await expect(bp.distributed.init(ok())).rejects.toThrow(message);
    expect(bp.distributed.isInitialized()).toBe(false);
  });

  testGloo('BACKPROP_CPUS naming no CPU this process may use fails, naming the variable and the fix', async () => {
    process.env.BACKPROP_CPUS = '1023';
    await expect(bp.distributed.init(ok())).rejects.toThrow(
      /could not bind to BACKPROP_CPUS=1023 \(setAffinity: Invalid argument\); name CPUs this process may use/,
    );
    expect(bp.distributed.isInitialized()).toBe(false);
  });

  test('a file as the store, and missing settings name their variable', async () => {
    const file = path.join(store, 'f');
    fs.writeFileSync(file, '');
    await expect(bp.distributed.init({ ...ok(), store: file })).rejects.toThrow(/'store' .* is not a directory/);
    await expect(bp.distributed.init()).rejects.toThrow(/'worldSize' is required \(or set BACKPROP_WORLD_SIZE\)/);
    process.env.BACKPROP_WORLD_SIZE = '2';
    process.env.BACKPROP_RANK = 'one';
    await expect(bp.distributed.init()).rejects.toThrow(/'rank' must be an integer in \[0, \d+\], got "one"/);
    process.env.BACKPROP_RANK = '1';
    await expect(bp.distributed.init()).rejects.toThrow(/'store' is required \(or set BACKPROP_STORE\)/);
    process.env.BACKPROP_STORE = store;
    await expect(bp.distributed.init()).rejects.toThrow(/'iface' is required \(or set BACKPROP_IFACE\)/);
  });

  test('rank() and worldSize() before init, and fit({ distributed: true }) without a group', async () => {
    expect(() => bp.distributed.rank()).toThrow(/not initialized; call await bp.distributed.init/);
    expect(() => bp.distributed.worldSize()).toThrow(/not initialized/);
    const m = bp.sequential({ seed: 1, layers: [bp.layers.dense({ units: 1, inputShape: [2] })] });
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const x = bp.tensor([0, 1, 1, 0], [2, 2]);
    await expect(m.fit(x, bp.tensor([1, 0], [2, 1]), { distributed: true })).rejects.toThrow(/not initialized/);
    await expect(m.fit(x, bp.tensor([1, 0], [2, 1]), { distributed: 1 as never })).rejects.toThrow(
      /'distributed' must be true or false/,
    );
  });

  testGloo(
    'a rank whose peers never come listens only on the address given, then fails after the timeout',
    async () => {
      const t0 = Date.now();
      const joining = bp.distributed.init({ rank: 0, worldSize: 3, store, iface: 'lo', timeoutMs: 1500 });
      await new Promise((r) => setTimeout(r, 300));
      const listening = listeningAddresses();
      expect(listening.length).toBeGreaterThan(0); // one listener per peer while it waits
      expect(listening.every((a) => a === '127.0.0.1')).toBe(true);
      await expect(joining).rejects.toThrow(/rank 0 of 3 could not join the group: Wait timeout for key\(s\): 1/);
      expect(Date.now() - t0).toBeLessThan(1500 + 10000);
      expect(bp.distributed.isInitialized()).toBe(false);
      expect(fs.readdirSync(store)).toEqual([]); // its key, marker and the run's directory are gone
    },
  );

  testGloo('a group of one: joins, trains, leaves the store clean', async () => {
    await bp.distributed.init({ rank: 0, worldSize: 1, store, iface: 'lo', timeoutMs: 5000 });
    try {
      expect([bp.distributed.rank(), bp.distributed.worldSize()]).toEqual([0, 1]);
      await expect(bp.distributed.init(ok())).rejects.toThrow(/already joined a group/);
      const m = bp.sequential({ seed: 1, layers: [bp.layers.dense({ units: 1, inputShape: [2] })] });
      m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      const h = await m.fit(bp.tensor([0, 1, 1, 0], [2, 2]), bp.tensor([1, 0], [2, 1]), { distributed: true });
      expect(Number.isFinite(h.history.loss[0])).toBe(true);
      // A second fit reuses the group's gradient buckets.
      await m.fit(bp.tensor([0, 1, 1, 0], [2, 2]), bp.tensor([1, 0], [2, 1]), { distributed: true, epochs: 2 });
      expect(bp.distributed.fitStats()).toMatchObject({ steps: 2, buckets: 1, gradientValues: 3 });
    } finally {
      await bp.distributed.destroy();
    }
    expect(bp.distributed.isInitialized()).toBe(false);
    expect(fs.readdirSync(store)).toEqual([]);
  });
});

/** The IPv4/IPv6 addresses this process's listening TCP sockets are bound to (from /proc). */
function listeningAddresses(): string[] {
  const inodes = new Set<string>();
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/self/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  const out: string[] = [];
  for (const file of ['/proc/self/net/tcp', '/proc/self/net/tcp6']) {
    if (!fs.existsSync(file)) continue;
    for (const line of fs.readFileSync(file, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '0A' || !inodes.has(f[9])) continue; // 0A: LISTEN
      const hex = f[1].split(':')[0];
      out.push(
        hex.length === 8
          ? hex
              .match(/../g)!
              .reverse()
              .map((b) => parseInt(b, 16))
              .join('.')
          : `[${hex}]`,
      );
    }
  }
  return out;
}

test('without the Gloo addon, distributed training fails with an error naming the package to install', () => {
  const dist = path.resolve(__dirname, '../../dist');
  const script = `
    const bp = require(${JSON.stringify(dist)});
    const s = require('node:fs').mkdtempSync(require('node:os').tmpdir() + '/bp-');
    bp.distributed.init({ rank: 0, worldSize: 1, store: s, iface: '127.0.0.1' })
      .then(() => console.log('joined'), (e) => console.log(e.message))
      .finally(() => require('node:fs').rmSync(s, { recursive: true }));`;
  const out = execFileSync(process.execPath, ['-e', script], {
    env: { ...process.env, BACKPROP_GLOO_ADDON_PATH: '/nonexistent/backprop_gloo.node' },
    encoding: 'utf8',
  });
  expect(out).toMatch(/needs the Gloo addon, which was not built .*apt-get install libgloo-dev/);
});
