/**
 * Data-parallel fit over Gloo, with real processes on 127.0.0.1 meeting through a file store: N ranks with
 * batch B/N give the weights of one process with batch B, every rank ends with the same weights, runs repeat
 * bit for bit, and a rank that dies or hangs, a world-size or model mismatch fail the group with a clear error.
 */
import * as fs from 'node:fs';
import { GLOO_ADDON, maxDiff, runGroup, runSingle, startGroup, startRank, tempStore } from './ranks';

// Gloo comes from a system package (libgloo-dev); CI installs it and sets BACKPROP_REQUIRE_GLOO=1.
const haveGloo = fs.existsSync(GLOO_ADDON);
if (!haveGloo && process.env.BACKPROP_REQUIRE_GLOO === '1')
  throw new Error(`BACKPROP_REQUIRE_GLOO=1 but ${GLOO_ADDON} was not built (apt-get install libgloo-dev)`);
const describeGloo = haveGloo ? describe : describe.skip;

jest.setTimeout(120000);

const trainable = (name: string) => !/moving_/.test(name);

describeGloo('data-parallel fit (processes on 127.0.0.1)', () => {
  test('2 ranks × batch 8 give the weights of 1 process × batch 16, on every rank, bit-identical across runs', async () => {
    const single = await runSingle({ batchSize: 16, epochs: 3 });
    const a = await runGroup(2, { batchSize: 8, epochs: 3 });
    const b = await runGroup(2, { batchSize: 8, epochs: 3 });
    expect(maxDiff(a[0], single)).toBeLessThan(1e-6);
    expect(maxDiff(a[0], a[1])).toBe(0);
    expect(maxDiff(a[0], b[0])).toBe(0);
    // Epoch logs are averaged over the ranks: the loss of the whole data set, as the single process reports it.
    a[0].out!.history.loss.forEach((l, i) => expect(l).toBeCloseTo(single.out!.history.loss[i], 6));
    expect(a[1].out!.history).toEqual(a[0].out!.history);
    // Rank 1 started from other weights (another seed): rank 0's were broadcast. Callbacks ran on rank 0 only.
    expect(a[0].stdout).toContain('"epoch":2');
    expect(a[1].stdout).not.toContain('"event":"epoch"');
  });

  test('3 ranks, graph model: the weights of 1 process with the whole batch; shuffled runs repeat bit for bit', async () => {
    const single = await runSingle({ kind: 'graph', batchSize: 12, epochs: 2 });
    const g = await runGroup(3, { kind: 'graph', batchSize: 4, epochs: 2 });
    expect(maxDiff(g[0], single)).toBeLessThan(1e-6);
    expect(maxDiff(g[0], g[2])).toBe(0);
    const s1 = await runGroup(3, { kind: 'graph', batchSize: 4, epochs: 2, shuffle: true });
    const s2 = await runGroup(3, { kind: 'graph', batchSize: 4, epochs: 2, shuffle: true });
    expect(maxDiff(s1[0], s2[0])).toBe(0);
    expect(maxDiff(s1[1], s2[1])).toBe(0);
    expect(maxDiff(s1[0], g[0])).toBeGreaterThan(0); // the sampler did shuffle
  });

  test('busy polling for the last buckets changes how a rank waits, not what it computes', async () => {
    // Small buckets: some are reduced while backward goes on (sleeping), the last ones busy-polled when on.
    const env = { BACKPROP_BUCKET_MB: '0.0001', BACKPROP_OVERLAP: '1' };
    const on = await runGroup(2, { kind: 'graph', batchSize: 8, epochs: 2 }, { ...env, BACKPROP_BUSY_POLL: '1' });
    const off = await runGroup(2, { kind: 'graph', batchSize: 8, epochs: 2 }, { ...env, BACKPROP_BUSY_POLL: '0' });
    // Each rank decides for itself: one polling and one sleeping, or one told and one deciding by the CPUs it
    // counts, still meet in every collective.
    const mixedGroup = async (setting: (r: number) => Record<string, string>) => {
      const store = tempStore();
      try {
        const ranks = startGroup(2, store, { kind: 'graph', batchSize: 8, epochs: 2 }, (r) => ({
          env: { ...env, ...setting(r) },
        }));
        return await Promise.all(ranks.map((r) => r.done));
      } finally {
        fs.rmSync(store, { recursive: true, force: true });
      }
    };
    const mixed = await mixedGroup((r) => ({ BACKPROP_BUSY_POLL: String(r) }));
    const halfTold = await mixedGroup((r): Record<string, string> => (r === 0 ? { BACKPROP_BUSY_POLL: '1' } : {}));
    expect(mixed.map((r) => r.code)).toEqual([0, 0]);
    expect(maxDiff(on[0], off[0])).toBe(0);
    expect(maxDiff(mixed[1], off[0])).toBe(0);
    expect(halfTold.map((r) => [r.code, r.stderr])).toEqual([
      [0, ''],
      [0, ''],
    ]);
    expect(maxDiff(halfTold[1], off[0])).toBe(0);
  });

  test('small buckets, reduced while backward goes on, give the same weights as one bucket', async () => {
    // 8-unit hidden layers: ~100 gradient values per layer; 0.0001 MB buckets hold one weight array or two.
    const one = await runGroup(2, { kind: 'graph', batchSize: 8, epochs: 2 });
    const small = { BACKPROP_BUCKET_MB: '0.0001' };
    const many = await runGroup(2, { kind: 'graph', batchSize: 8, epochs: 2 }, { ...small, BACKPROP_OVERLAP: '1' });
    const stats = many[0].out!.stats as { buckets: number; overlap: boolean };
    expect(stats).toMatchObject({ overlap: true });
    expect(stats.buckets).toBeGreaterThan(3);
    expect((one[0].out!.stats as { buckets: number }).buckets).toBe(1);
    expect(maxDiff(many[0], one[0])).toBe(0); // two ranks: a + b, whatever the bucket
  });

  test('summing every bucket once backward ends (overlap off) changes when, not what', async () => {
    const small = { BACKPROP_BUCKET_MB: '0.0001' };
    const tc = { kind: 'graph', batchSize: 8, epochs: 2 };
    const early = await runGroup(2, tc, { ...small, BACKPROP_OVERLAP: '1' });
    const late = await runGroup(3, tc, { ...small, BACKPROP_OVERLAP: '0' });
    const lateAgain = await runGroup(3, tc, { ...small, BACKPROP_OVERLAP: '0' });
    const earlyThree = await runGroup(3, tc, { ...small, BACKPROP_OVERLAP: '1' });
    expect(late[0].out!.stats).toMatchObject({ overlap: false });
    expect(maxDiff(late[0], lateAgain[0])).toBe(0);
    expect(maxDiff(late[0], earlyThree[0])).toBe(0); // same buckets, same algorithm: same bits at 3 ranks too
    // Each rank decides for itself: one summing early, the other late, still meet in every collective.
    const store = tempStore();
    try {
      const ranks = startGroup(2, store, tc, (r) => ({ env: { ...small, BACKPROP_OVERLAP: String(r) } }));
      const mixed = await Promise.all(ranks.map((r) => r.done));
      expect(mixed.map((r) => r.code)).toEqual([0, 0]);
      expect(maxDiff(mixed[0], early[0])).toBe(0);
    } finally {
      fs.rmSync(store, { recursive: true, force: true });
    }
  });

  test('a bucket of several segments (one sync-mode allreduce per wmem_max bytes) gives the weights of 1 process', async () => {
    // 110,000 hidden units: 1,100,003 float32 gradient values (4.4 MB): two segments where net.core.wmem_max is
    // 4 MB (as on our CI machines), 22 at Linux's default 208 KB. SGD: Adam would magnify float32 rounding in the
    // many near-zero gradients of so wide a layer past the 1e-6 compared.
    const tc = { hidden: 110000, batchSize: 12, epochs: 1, rows: 24, sgd: true };
    const single = await runSingle(tc);
    const two = await runGroup(2, { ...tc, batchSize: 6 });
    const three = await runGroup(3, { ...tc, batchSize: 4 });
    const again = await runGroup(3, { ...tc, batchSize: 4 });
    const stats = two[0].out!.stats as { gradientValues: number; buckets: number };
    expect(stats.gradientValues).toBe(1100003);
    // The output layer's 1.3 MB pass 1 MB at its layer boundary: sent before the first layer's backward.
    expect(stats.buckets).toBe(2);
    expect(maxDiff(two[0], single)).toBeLessThan(1e-6);
    expect(maxDiff(two[0], two[1])).toBe(0);
    expect(maxDiff(three[0], single)).toBeLessThan(1e-6);
    expect(maxDiff(three[0], three[2])).toBe(0);
    expect(maxDiff(three[1], again[1])).toBe(0);
  }, 240000);

  test('segments cut alike on every rank: the smallest any rank allows (BACKPROP_SEGMENT_KB on one rank)', async () => {
    // Rank 0 allows 128 KB segments, rank 1 its machine's (4 MB on our CI machines): cut apart, their allreduces
    // would not meet. 30,000 hidden units: 0.84 MB in the first layer's bucket, 7 segments of 128 KB or 1 of 4 MB.
    const tc = { hidden: 30000, batchSize: 12, epochs: 1, rows: 24, sgd: true };
    const single = await runSingle(tc);
    const store = tempStore();
    try {
      const ranks = startGroup(2, store, { ...tc, batchSize: 6 }, (r) => ({
        env: (r === 0 ? { BACKPROP_SEGMENT_KB: '128' } : {}) as Record<string, string>,
      }));
      const two = await Promise.all(ranks.map((r) => r.done));
      expect(two.map((r) => r.code)).toEqual([0, 0]);
      expect(maxDiff(two[0], single)).toBeLessThan(1e-6);
      expect(maxDiff(two[0], two[1])).toBe(0);
    } finally {
      fs.rmSync(store, { recursive: true, force: true });
    }
  });

  test('a second distributed fit while one runs is refused; the first ends as if alone', async () => {
    const single = await runSingle({ batchSize: 16, epochs: 2 });
    const two = await runGroup(2, { batchSize: 8, epochs: 2, concurrent: true });
    for (const r of two)
      expect(r.stdout).toMatch(/CONCURRENT fit\(\): distributed: another distributed fit is running/);
    expect(maxDiff(two[0], single)).toBeLessThan(1e-6);
    expect(maxDiff(two[0], two[1])).toBe(0);
  });

  test('another model fitted in the same group, then the first again: each fit sums its own gradients', async () => {
    const tc = { batchSize: 8, epochs: 2, thenOther: 5 };
    const single = await runSingle({ ...tc, batchSize: 16 });
    const two = await runGroup(2, tc);
    expect(single.out!.weights.some((w) => w.name.startsWith('1/'))).toBe(true);
    expect(maxDiff(two[0], single)).toBeLessThan(1e-6);
    expect(maxDiff(two[0], two[1])).toBe(0);
  });

  test('a last partial batch, and rows that do not divide by the world size', async () => {
    // 100 rows: 50 per rank, 6 steps of 8 and one of 2; the single process takes 6 of 16 and one of 4.
    const single = await runSingle({ batchSize: 16, rows: 100, epochs: 2 });
    const two = await runGroup(2, { batchSize: 8, rows: 100, epochs: 2 });
    expect(maxDiff(two[0], single)).toBeLessThan(1e-6);
    // 100 rows over 3 ranks: 33 each (one row left out of the epoch, as DistributedSampler with drop_last).
    const three = await runGroup(3, { batchSize: 8, rows: 100, epochs: 1, shuffle: true });
    expect(maxDiff(three[0], three[2])).toBe(0);
    expect(Number.isFinite(three[0].out!.history.loss[0])).toBe(true);
  });

  test('a loss that is not finite on one rank stops every rank before that update, as it stops one process', async () => {
    // Row 3 is in the first global batch (rows 0-15): in rank 0's shard or rank 1's, never both.
    const single = await startRank(tempStore(), 'single', { batchSize: 16, epochs: 2, nanRow: 3 }, {}).done;
    expect(single.stderr).toMatch(/the loss is -Infinity at epoch 1, batch 1; training stopped before/);
    const store = tempStore();
    try {
      const ranks = await Promise.all(startGroup(2, store, { batchSize: 8, epochs: 2, nanRow: 3 }).map((r) => r.done));
      for (const r of ranks) {
        expect(r.code).toBe(2);
        // The rank whose loss was finite learns it from the flag summed with the gradients.
        expect(r.stderr).toMatch(/the loss is (-Infinity|NaN) at epoch 1, batch 1; training stopped before/);
      }
    } finally {
      fs.rmSync(store, { recursive: true, force: true });
    }
  });

  test('dropout and BatchNormalization: trainable weights stay identical on every rank', async () => {
    for (const kind of ['dropout', 'bn']) {
      const r = await runGroup(2, { kind, batchSize: 8, epochs: 2, shuffle: true });
      expect(maxDiff(r[0], r[1], trainable)).toBe(0);
      expect(Number.isFinite(r[0].out!.history.loss[1])).toBe(true);
    }
    // BatchNormalization uses per-rank batch statistics (PyTorch's default): moving statistics differ by rank.
    const bn = await runGroup(2, { kind: 'bn', batchSize: 8, epochs: 1, shuffle: true });
    expect(maxDiff(bn[0], bn[1], (n) => !trainable(n))).toBeGreaterThan(0);
  });
});

describeGloo('a group that cannot go on fails on every rank, within the timeout', () => {
  let store: string;
  beforeEach(() => (store = tempStore()));
  afterEach(() => fs.rmSync(store, { recursive: true, force: true }));

  const long = { epochs: 100000, batchSize: 4, rows: 96, timeoutMs: 3000 };

  test('a rank killed mid-epoch: the others stop with an error naming the failure', async () => {
    const ranks = startGroup(3, store, long);
    await ranks[0].printed('"epoch":1');
    ranks[1].proc.kill('SIGKILL');
    const [r0, , r2] = await Promise.all(ranks.map((r) => r.done));
    for (const r of [r0, r2]) {
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/RANK-ERROR fit\(\): distributed: rank \d of 3 failed while/);
    }
  });

  test('a rank that hangs (SIGSTOP): the others fail after timeoutMs instead of waiting forever', async () => {
    // Rank 0 busy-polls for the step's last gradients: the timeout holds there too.
    const ranks = startGroup(2, store, long, () => ({ env: { BACKPROP_BUSY_POLL: '1' } }));
    await ranks[0].printed('"epoch":1');
    const stoppedAt = Date.now();
    ranks[1].proc.kill('SIGSTOP');
    const r0 = await ranks[0].done;
    ranks[1].proc.kill('SIGKILL');
    await ranks[1].done;
    expect(r0.code).toBe(2);
    expect(r0.stderr).toMatch(/RANK-ERROR fit\(\): distributed: rank 0 of 2 failed while .*[Tt]imed? ?out/);
    expect(Date.now() - stoppedAt).toBeLessThan(3000 + 20000);
  });

  test('ranks that disagree on the world size fail at init, naming the mismatch', async () => {
    const ranks = startGroup(2, store, { timeoutMs: 2000 }, (r) =>
      r === 1 ? { env: { BACKPROP_WORLD_SIZE: '3' } } : {},
    );
    const results = await Promise.all(ranks.map((r) => r.done));
    for (const r of results) {
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /could not join the group: world size mismatch: rank-\d has worldSize [23], this one [23]/,
      );
    }
  });

  test('a rank with a different model fails the group at the start of fit, naming the mismatch', async () => {
    const ranks = startGroup(2, store, { timeoutMs: 5000 }, (r) =>
      r === 1 ? { testCase: { otherModel: true, timeoutMs: 5000 } } : {},
    );
    const [r0, r1] = await Promise.all(ranks.map((r) => r.done));
    expect(r1.stderr).toMatch(/this rank differs: it built a different model from rank 0/);
    expect(r0.stderr).toMatch(/1 rank\(s\) differ from rank 0 in their model or fit \(their errors say how\)/);
  });

  test.each([
    [{ epochs: 4 }, /this rank differs: epochs is 4 here and 3 on rank 0: every rank must compile alike/],
    [{ rows: 120 }, /the number of training rows is 120 here and 96 on rank 0/],
    [{ batchSize: 4 }, /batchSize is 4 here and 8 on rank 0/],
    [{ shuffle: true }, /shuffle is 1 here and 0 on rank 0/],
    [{ sgd: true }, /the optimizer differs from rank 0's \(here: SGD \{"learningRate":0\.1/],
  ])('a rank calling fit otherwise (%j) fails the group at the start, naming the difference', async (other, why) => {
    const ranks = startGroup(2, store, { timeoutMs: 20000 }, (r) =>
      r === 1 ? { testCase: { ...other, timeoutMs: 20000 } } : {},
    );
    const [r0, r1] = await Promise.all(ranks.map((r) => r.done));
    expect(r1.stderr).toMatch(why);
    expect(r0.stderr).toMatch(/1 rank\(s\) differ from rank 0 in their model or fit/);
    expect(r0.ms).toBeLessThan(15000); // at the start of fit, not after a collective's timeout
  });

  test('two processes claiming one rank: the second is refused before it touches Gloo', async () => {
    const ranks = startGroup(2, store, { timeoutMs: 2000 }, () => ({ env: { BACKPROP_RANK: '0' } }));
    const results = await Promise.all(ranks.map((r) => r.done));
    expect(results.some((r) => /rank 0 of run 'default' is already taken/.test(r.stderr))).toBe(true);
    expect(results.every((r) => r.code === 2)).toBe(true);
  });
});
