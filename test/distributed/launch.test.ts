/** `backprop launch`: starts the ranks with the variables init reads, fails as one when a rank fails. */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { allowedCpus, formatCpuList, parseCpuList } from '../../src/distributed/cpus';
import { GLOO_ADDON, SCRIPT, tempStore } from './ranks';

const CLI = path.resolve(__dirname, '../../dist/cli/main.js');
const testGloo = fs.existsSync(GLOO_ADDON) ? test : test.skip;

function launch(args: string[], testCase: object): Promise<{ code: number | null; stderr: string; ms: number }> {
  const t0 = Date.now();
  const p = spawn(process.execPath, [CLI, 'launch', ...args], {
    env: { ...process.env, TEST_CASE: JSON.stringify(testCase) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  p.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  return new Promise((resolve) => p.once('exit', (code) => resolve({ code, stderr, ms: Date.now() - t0 })));
}

describe('backprop launch', () => {
  let dir: string;
  beforeEach(() => (dir = tempStore()));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  testGloo('--nproc 2 runs a 2-rank group on 127.0.0.1 with a private store it removes afterwards', async () => {
    const before = fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('backprop-launch-')).length;
    const r = await launch(['--nproc', '2', SCRIPT, path.join(dir, 'out-{rank}.json')], { epochs: 2 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [a, b] = ['0', '1'].map((k) => JSON.parse(fs.readFileSync(path.join(dir, `out-${k}.json`), 'utf8')));
    expect(b.weights).toEqual(a.weights);
    expect(fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('backprop-launch-')).length).toBe(before);
  });

  testGloo('ranks are bound to their own CPUs where the CPUs go round; --bind none leaves them unbound', async () => {
    const out = (k: string) => JSON.parse(fs.readFileSync(path.join(dir, `b-${k}.json`), 'utf8'));
    const all = formatCpuList(allowedCpus());
    const bound = await launch(['--nproc', '2', SCRIPT, path.join(dir, 'b-{rank}.json')], { epochs: 1 });
    expect(bound.code).toBe(0);
    if (allowedCpus().length >= 2) {
      // Every thread of a rank (Node's, V8's, libuv's, Gloo's) on the rank's block, the blocks disjoint.
      const [a, b] = ['0', '1'].map((k) => out(k).cpus as string[]);
      expect(a).toHaveLength(1);
      expect(b).toHaveLength(1);
      const [ca, cb] = [parseCpuList(a[0], 'a'), parseCpuList(b[0], 'b')];
      expect(ca.length).toBe(Math.floor(allowedCpus().length / 2));
      expect(ca.filter((c) => cb.includes(c))).toEqual([]);
    }
    // --cpus-per-rank 1: one rank on one CPU, whatever the machine has.
    const one = await launch(['--nproc', '1', '--cpus-per-rank', '1', SCRIPT, path.join(dir, 'b-{rank}.json')], {
      epochs: 1,
    });
    expect(one.code).toBe(0);
    expect(out('0').cpus).toEqual([String(allowedCpus()[0])]);
    const free = await launch(['--nproc', '2', '--bind', 'none', SCRIPT, path.join(dir, 'b-{rank}.json')], {
      epochs: 1,
    });
    expect(free.code).toBe(0);
    expect(out('0').cpus).toEqual([all]);
    expect(out('1').cpus).toEqual([all]);
  });

  testGloo('a rank that fails stops the others, and launch exits with its code', async () => {
    const r = await launch(['--nproc', '3', '--timeout-ms', '30000', SCRIPT, path.join(dir, 'o-{rank}.json')], {
      epochs: 100000,
      exitRank: 1,
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/backprop launch: rank 1 exited with code 3; stopping the other ranks/);
    expect(r.ms).toBeLessThan(30000); // the others did not wait for the timeout
  });

  test.each([
    [[SCRIPT], /--nproc is required/],
    [['--nproc', '0', SCRIPT], /--nproc must be an integer in \[1, 1024\], got '0'/],
    [['--nproc', '100000', SCRIPT], /--nproc must be an integer in \[1, 1024\], got '100000'/],
    [['--nproc', '1000', '--nnodes', '5', SCRIPT], /--nnodes 5 × --nproc 1000 ranks: a group has at most 4096/],
    [['--nproc', '2', '--threads', '1e9', SCRIPT], /--threads must be an integer in \[1, 1024\]/],
    [['--nproc', '2', '--nnodes', '2', SCRIPT], /--store is required with --nnodes > 1/],
    [['--nproc', '2', '--nnodes', '2', '--node-rank', '2', SCRIPT], /--node-rank 2 is out of range for --nnodes 2/],
    [['--nproc', '2', '/nonexistent/train.js'], /the script \/nonexistent\/train.js does not exist/],
    [['--nproc', '2', '--bind', 'numa', SCRIPT], /--bind must be auto or none, got 'numa'/],
    [['--nproc', '2', '--cpus-per-rank', '0', SCRIPT], /--cpus-per-rank must be an integer >= 1, got '0'/],
    [['--nproc', '2', '--cpus-per-rank', '4096', SCRIPT], /--cpus-per-rank 4096 does not fit: .*--bind none/],
    [['--nproc', '1', '--bind', 'none', '--cpus-per-rank', '1', SCRIPT], /--cpus-per-rank needs --bind auto/],
  ])('%j is refused', async (args, message) => {
    const r = await launch(args as string[], {});
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
  });
});
