/**
 * Loads the native addon and presents it as a Backend. The addon's exports are the ops themselves
 * (same names, same argument order), so a call goes straight from JS into C++ with no wrapper.
 *
 * Search order (design): a local build (`build/Release`, from `npm run build`), then the prebuilt
 * binary shipped in the package (`prebuilds/<platform>-<arch>/backprop.node`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Backend, BackendInfo } from '../ops';
import { ASYNC_OP_NAMES, OP_NAMES } from '../ops';
import { ACTIVATION_COUNT } from '../activations';
import { BINARY_CODES, REDUCE_CODES, UNARY_CODES } from '../elementwise';
import { chooseBlasCore, describeChoice } from './blas-core';
import { chooseThreadTimeout } from './blas-threads';

/** The addon's own extras beyond the op set. */
export interface NativeAddon extends Omit<Backend, 'name' | 'info'> {
  blasInfo(): {
    config: string;
    core: string;
    threads: number;
    parallel: number;
    convKernels?: string;
    /** Lanes of the float32 attention tiles: 16 (AVX-512, or its tiles on AVX2 for tests), 8 (AVX2) or 4. */
    attentionLanes?: number;
    /** Whether thin products are split over backprop's thread pool, single-threaded OpenBLAS per block. */
    gemmSplit?: boolean;
  };
  setThreads(n: number): void;
  /** The number of activations the addon was built with (native/activations.h ACT_COUNT). */
  activationCount(): number;
  /** The sizes of the autodiff kernels' code tables the addon was built with (native/elementwise.h). */
  elementwiseCounts?(): { unary: number; binary: number; reduce: number };
}

export interface NativeBackend extends Backend {
  readonly addon: NativeAddon;
  /** The file the addon was loaded from (workers load the same one). */
  readonly path: string;
  setThreads(n: number): void;
}

/**
 * Chosen when this module is first imported, before any addon is loaded: OpenBLAS reads the variable when
 * it loads, and worker threads started later inherit the process environment set here.
 */
const blasCore = chooseBlasCore();
chooseThreadTimeout();

/** The package root: dist/backend/native → ../../.., and the same from src when run by ts-jest. */
const packageRoot = path.resolve(__dirname, '..', '..', '..');

export function candidatePaths(): { path: string; label: string }[] {
  const platformDir = `${process.platform}-${process.arch}`;
  const out = [];
  // An explicit path is authoritative: no silent fallback to another build (the sanitizer runs rely on it).
  if (process.env.BACKPROP_ADDON_PATH) return [{ path: process.env.BACKPROP_ADDON_PATH, label: 'BACKPROP_ADDON_PATH' }];
  out.push({ path: path.join(packageRoot, 'build', 'Release', 'backprop.node'), label: 'local build (build/Release)' });
  out.push({
    path: path.join(packageRoot, 'prebuilds', platformDir, 'backprop.node'),
    label: `prebuilt (prebuilds/${platformDir})`,
  });
  return out;
}

function describeBlas(addon: NativeAddon, coreNote: string): { blas: string; threads: number } {
  const b = addon.blasInfo();
  const version = /OpenBLAS\s+([\d.]+)/.exec(b.config)?.[1] ?? '';
  const mode = b.parallel === 1 ? 'pthread' : b.parallel === 2 ? 'openmp' : 'serial';
  return { blas: `OpenBLAS ${version} (${mode}, ${b.core}; ${coreNote})`.replace('  ', ' '), threads: b.threads };
}

export function loadNativeBackend(): { backend?: NativeBackend; error?: string } {
  const errors: string[] = [];
  for (const candidate of candidatePaths()) {
    if (!fs.existsSync(candidate.path)) {
      errors.push(`${candidate.label}: not found`);
      continue;
    }
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const addon = require(candidate.path) as NativeAddon;
      const missing = OP_NAMES.filter((op) => typeof addon[op] !== 'function');
      if (missing.length) throw new Error(`addon is missing ops ${missing.join(', ')} (rebuild it: npm run build)`);
      const acts = typeof addon.activationCount === 'function' ? addon.activationCount() : undefined;
      if (acts !== ACTIVATION_COUNT) {
        throw new Error(
          `addon was built with ${acts ?? 'an unknown number of'} activations but this package has ` +
            `${ACTIVATION_COUNT} (rebuild it: npm run build)`,
        );
      }
      const counts = typeof addon.elementwiseCounts === 'function' ? addon.elementwiseCounts() : undefined;
      const want = { unary: UNARY_CODES.length, binary: BINARY_CODES.length, reduce: REDUCE_CODES.length };
      if (JSON.stringify(counts) !== JSON.stringify(want)) {
        throw new Error(
          `addon was built with elementwise code tables ${JSON.stringify(counts ?? null)} but this package has ` +
            `${JSON.stringify(want)} (rebuild it: npm run build)`,
        );
      }
      return { backend: wrap(addon, candidate, describeChoice(blasCore)) };
    } catch (e) {
      errors.push(`${candidate.label}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  return { error: errors.join('; ') };
}

function wrap(addon: NativeAddon, from: { path: string; label: string }, coreNote: string): NativeBackend {
  const backend = {
    name: 'native' as const,
    addon,
    path: from.path,
    info(): BackendInfo {
      const { blas, threads } = describeBlas(addon, coreNote);
      const convolution = addon.blasInfo().convKernels;
      return { name: 'native', blas, threads, loadedFrom: `${from.label}: ${from.path}`, convolution };
    },
    setThreads(n: number): void {
      addon.setThreads(n);
    },
  } as NativeBackend;
  for (const op of [...OP_NAMES, ...ASYNC_OP_NAMES]) {
    if (typeof addon[op] === 'function') (backend as unknown as Record<string, unknown>)[op] = addon[op];
  }
  return backend;
}
