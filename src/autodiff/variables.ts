/**
 * Finding variables by name, for optimizer.applyGradients({ name: gradient }) as in TF.js: the gradients
 * variableGrads returns remember their variables; other maps are resolved through the names of live variables
 * (bp.variable names are unique; a model's weights are registered by their weight names when they are asked for).
 */
import type { Tensor, Variable } from './tensor';

const byName = new Map<string, WeakRef<Variable>>();
const ownerOf = new WeakMap<object, ReadonlyMap<string, Variable>>();

/** Registers a variable's name; `unique`: an error if a live variable has it already (bp.variable). */
export function registerVariable(v: Variable, unique: boolean): void {
  const prev = byName.get(v.name)?.deref();
  if (unique && prev && prev !== v) {
    throw new Error(`variable(): a variable named '${v.name}' exists already; names must be unique`);
  }
  byName.set(v.name, new WeakRef(v));
}

/** The live variable named `name`. */
export function variableNamed(name: string): Variable | undefined {
  return byName.get(name)?.deref();
}

/** Remembers which variables a gradient map (from variableGrads) is for. */
export function rememberVariables(grads: Record<string, Tensor>, variables: ReadonlyMap<string, Variable>): void {
  ownerOf.set(grads, variables);
}

/** The variables a gradient map from variableGrads is for (undefined for other maps). */
export function variablesOf(grads: object): ReadonlyMap<string, Variable> | undefined {
  return ownerOf.get(grads);
}
