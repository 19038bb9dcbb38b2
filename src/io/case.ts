/**
 * Keras JSON is snake_case; backprop's configs are camelCase (as TF.js's). TF.js converts keys (and most
 * string values) when it serialises; we convert keys only and name the few string values we write.
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

/** Converts object keys recursively (not the values of `name` / `class_name`, which TF.js keeps verbatim). */
export function keysToSnake(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(keysToSnake);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k === 'className' ? 'class_name' : toSnake(k)] = keysToSnake(x);
    return out;
  }
  return v;
}
