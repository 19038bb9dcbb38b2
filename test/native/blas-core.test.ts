/**
 * OpenBLAS core selection: OpenBLAS 0.3.21 misdetects some AVX-512 CPUs and runs its generic 'Prescott'
 * kernels (~5x slower sgemm), so before the addon loads backprop sets OPENBLAS_CORETYPE from the CPU flags,
 * unless the user decided (OPENBLAS_CORETYPE, or BACKPROP_BLAS_CORETYPE=auto|<name>). getBackend() says
 * which core runs and who chose it.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chooseBlasCore, coreForCpuinfo, describeChoice } from '../../src/backend/native/blas-core';
import { describeNative } from './native-backend';

const flags = (list: string) =>
  `processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu sse2 ${list}\n\nprocessor\t: 1\n`;
const AVX512 = 'avx avx2 fma avx512f avx512dq avx512cd avx512bw avx512vl';

describe('the core for a CPU', () => {
  test.each([
    [AVX512, 'SkylakeX'],
    ['avx avx2 fma avx512f avx512bw avx512vl', 'Haswell'], // no avx512dq: not a SkylakeX-class core
    ['avx avx2 fma', 'Haswell'],
    ['avx avx2', undefined], // no FMA
    ['avx sse4_2', undefined],
  ])('flags %s → %s', (list, core) => {
    expect(coreForCpuinfo(flags(list))?.core).toBe(core);
  });
  test('no flags line → leave it to OpenBLAS', () => {
    expect(coreForCpuinfo('processor\t: 0\n')).toBeUndefined();
  });
});

describe('who decides', () => {
  const cpu = () => flags(AVX512);
  test('nothing set on linux-x64: backprop sets OPENBLAS_CORETYPE from the flags', () => {
    const env: NodeJS.ProcessEnv = {};
    const choice = chooseBlasCore(env, 'linux-x64', cpu);
    expect(env.OPENBLAS_CORETYPE).toBe('SkylakeX');
    expect(describeChoice(choice, env)).toBe('core chosen by backprop: SkylakeX (avx512f/bw/vl/dq)');
  });
  test('OPENBLAS_CORETYPE set by the user always wins, even over BACKPROP_BLAS_CORETYPE', () => {
    const env: NodeJS.ProcessEnv = { OPENBLAS_CORETYPE: 'Zen', BACKPROP_BLAS_CORETYPE: 'Haswell' };
    const choice = chooseBlasCore(env, 'linux-x64', cpu);
    expect(env.OPENBLAS_CORETYPE).toBe('Zen');
    expect(describeChoice(choice, env)).toBe('OPENBLAS_CORETYPE=Zen from the environment');
  });
  test('a user who sets OPENBLAS_CORETYPE after import (before the addon loads) is reported as the one who chose', () => {
    const env: NodeJS.ProcessEnv = {};
    const choice = chooseBlasCore(env, 'linux-x64', cpu);
    env.OPENBLAS_CORETYPE = 'Haswell';
    expect(describeChoice(choice, env)).toBe('OPENBLAS_CORETYPE=Haswell set by the user');
  });
  test('BACKPROP_BLAS_CORETYPE=auto leaves detection to OpenBLAS; =<name> picks that core', () => {
    const auto: NodeJS.ProcessEnv = { BACKPROP_BLAS_CORETYPE: 'auto' };
    expect(chooseBlasCore(auto, 'linux-x64', cpu).note).toBe('BACKPROP_BLAS_CORETYPE=auto: detected by OpenBLAS');
    expect(auto.OPENBLAS_CORETYPE).toBeUndefined();
    const named: NodeJS.ProcessEnv = { BACKPROP_BLAS_CORETYPE: 'Haswell' };
    expect(chooseBlasCore(named, 'linux-x64', cpu).note).toBe(
      'core chosen by backprop: Haswell (BACKPROP_BLAS_CORETYPE)',
    );
    expect(named.OPENBLAS_CORETYPE).toBe('Haswell');
  });
  test('a BACKPROP_BLAS_CORETYPE that is not a core name is ignored, and said so', () => {
    const env: NodeJS.ProcessEnv = { BACKPROP_BLAS_CORETYPE: 'Sky lake;rm' };
    expect(chooseBlasCore(env, 'linux-x64', cpu).note).toMatch(/is not a core name .*; ignored/);
    expect(env.OPENBLAS_CORETYPE).toBeUndefined();
  });
  test('other platforms, unreadable /proc/cpuinfo, or CPUs without AVX2: nothing is set', () => {
    for (const [platform, read] of [
      ['darwin-arm64', cpu],
      ['linux-x64', () => fs.readFileSync('/nonexistent/cpuinfo', 'utf8')],
      ['linux-x64', () => flags('avx')],
    ] as const) {
      const env: NodeJS.ProcessEnv = {};
      expect(chooseBlasCore(env, platform, read).note).toMatch(/^detected by OpenBLAS/);
      expect(env.OPENBLAS_CORETYPE).toBeUndefined();
    }
  });
});

const DIST = path.resolve(__dirname, '../../dist/index.js');
const REPORT = `
const bp = require(process.env.DIST);
const b = bp.nativeBackend().backend;
console.log(JSON.stringify({ blas: b.info().blas, core: b.addon.blasInfo().core, env: process.env.OPENBLAS_CORETYPE ?? null }));
`;
/** A fresh process loading the addon with `extra` in an environment free of our variables (jest's has them). */
function loadIn(extra: Record<string, string>) {
  const env: NodeJS.ProcessEnv = { ...process.env, DIST, ...extra };
  for (const k of ['OPENBLAS_CORETYPE', 'BACKPROP_BLAS_CORETYPE']) if (!(k in extra)) delete env[k];
  const r = spawnSync(process.execPath, ['-e', REPORT], { env, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout.trim()) as { blas: string; core: string; env: string | null };
}

describeNative('in a fresh process, OpenBLAS runs the chosen core', () => {
  const expected = coreForCpuinfo(fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '');
  const linuxX64 = process.platform === 'linux' && process.arch === 'x64';

  (linuxX64 && expected ? test : test.skip)('default: the core for this CPU, reported by getBackend()', () => {
    const r = loadIn({});
    expect(r).toMatchObject({ core: expected!.core, env: expected!.core });
    expect(r.blas).toContain(`, ${expected!.core}; core chosen by backprop: ${expected!.core} (${expected!.why}))`);
  });
  test('OPENBLAS_CORETYPE from the user is what OpenBLAS uses', () => {
    const r = loadIn({ OPENBLAS_CORETYPE: 'Haswell' });
    expect(r).toMatchObject({ core: 'Haswell', env: 'Haswell' });
    expect(r.blas).toContain('Haswell; OPENBLAS_CORETYPE=Haswell from the environment)');
  });
  test('BACKPROP_BLAS_CORETYPE=<name> picks the core; =auto sets nothing', () => {
    expect(loadIn({ BACKPROP_BLAS_CORETYPE: 'Haswell' })).toMatchObject({ core: 'Haswell', env: 'Haswell' });
    const auto = loadIn({ BACKPROP_BLAS_CORETYPE: 'auto' });
    expect(auto.env).toBeNull();
    expect(auto.blas).toContain('; BACKPROP_BLAS_CORETYPE=auto: detected by OpenBLAS)');
  });
});
