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

/** Converts object keys recursively to snake_case (`className` → `class_name`). */
export function keysToSnake(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(keysToSnake);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k === 'className' ? 'class_name' : toSnake(k)] = keysToSnake(x);
    return out;
  }
  return v;
}

/** Converts object keys recursively to camelCase (`class_name` → `className`, `use_bias` → `useBias`). */
export function keysToCamel(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(keysToCamel);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[toCamel(k)] = keysToCamel(x);
    return out;
  }
  return v;
}
