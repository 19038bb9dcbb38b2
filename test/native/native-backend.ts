/**
 * The native backend for the suites that only concern it, taken from testBackends(): under
 * BACKPROP_REQUIRE_NATIVE=1 (CI) an addon that fails to load fails the suite instead of skipping it.
 */
import type { NativeBackend } from '../../src/backend/native';
import { testBackends } from '../support/backends';

export const native = testBackends().find(([name]) => name === 'native')?.[1] as NativeBackend | undefined;
/** `describe` when the native backend loaded, else `describe.skip` (never in CI: see above). */
export const describeNative = native ? describe : describe.skip;
