/**
 * Where the gradient table (grad-table.ts) registers its rules, so the code that records op nodes (dispatch.ts)
 * can reach them without importing the table, which is written with the ops and so imports them.
 */
import type { Tensor } from './tensor';
import type { NodeSpec } from './prims';

/** What a rule sees of one op call. */
export interface GradContext {
  readonly spec: NodeSpec;
  readonly inputs: readonly Tensor[];
  readonly output: Tensor;
  /** dL/d(output). */
  readonly dy: Tensor;
}

/** A vector-Jacobian product written with bp.ops: the gradient of each input (null: none). */
export type GradRule = (c: GradContext) => readonly (Tensor | null)[];

let rules: Readonly<Record<string, GradRule>> | undefined;

/** Registers the table (once, by grad-table.ts when it loads). */
export function registerGradRules(table: Readonly<Record<string, GradRule>>): void {
  rules = table;
}

/** The rule of op `name`. */
export function gradRule(name: string): GradRule {
  if (!rules) throw new Error('internal: the gradient table is not loaded (import autodiff/grad-table)');
  const rule = rules[name];
  if (!rule) throw new Error(`internal: op '${name}' has no rule in the gradient table`);
  return rule;
}
