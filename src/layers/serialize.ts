/** The `{ className, config }` form in which layer configs name initializers and regularizers (as TF.js). */
import type { Initializer, Regularizer } from '../training/contracts';

export interface Serialized {
  className: string;
  config: Record<string, unknown>;
}

export function serializeInitializer(init: Initializer): Serialized {
  return { className: init.className, config: init.getConfig() };
}

export function serializeRegularizer(reg: Regularizer | undefined): Serialized | null {
  return reg ? { className: reg.className, config: reg.getConfig() } : null;
}
