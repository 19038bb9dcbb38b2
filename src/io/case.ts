import { MAX_JSON_DEPTH } from './safe-json';

/**
 * Keras JSON is snake_case; backprop's configs are camelCase (as TF.js's). Keys are converted both ways;
 * the values of `name` and `class_name` stay verbatim, as TF.js keeps them.
 */
export function toSnake(s: string): string {
  return s
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

export function toCamel(s: string): string {
  return s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Converts object keys recursively to snake_case (`className` → `class_name`).
 * Throws past MAX_JSON_DEPTH levels of nesting (what the loader reads back).
 */
export function keysToSnake(v: unknown, depth = 0): unknown {
  if (!v || typeof v !== 'object') return v;
  checkDepth(depth);
  if (Array.isArray(v)) return v.map((x) => keysToSnake(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v))
    out[k === 'className' ? 'class_name' : toSnake(k)] = keysToSnake(x, depth + 1);
  return out;
}

/**
 * Converts object keys recursively to camelCase (`class_name` → `className`, `use_bias` → `useBias`).
 * Throws past MAX_JSON_DEPTH levels of nesting (a config from a job spec can nest without limit; the
 * recursion would end in a stack overflow).
 */
export function keysToCamel(v: unknown, depth = 0): unknown {
  if (!v || typeof v !== 'object') return v;
  checkDepth(depth);
  if (Array.isArray(v)) return v.map((x) => keysToCamel(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[toCamel(k)] = keysToCamel(x, depth + 1);
  return out;
}

function checkDepth(depth: number): void {
  if (depth >= MAX_JSON_DEPTH) throw new Error(`arrays and objects nest more than ${MAX_JSON_DEPTH} levels deep`);
}
