/** Runs a suite once per backend, switching the global backend for the model API. */
import * as bp from '../../src';
import { backendNames } from '../support/backends';

export const BACKENDS = backendNames();

export function onBackend(name: 'js' | 'native' | 'wasm'): void {
  beforeAll(() => bp.setBackend(name));
  afterAll(() => bp.setBackend('auto'));
}
export { bp };
