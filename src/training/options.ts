/**
 * Checks for the options objects of losses, optimizers, schedules and layers: unknown keys (usually a typo)
 * and values that are not finite numbers in range are refused at construction, with an error naming the
 * option and what it accepts — never discovered as NaN weights mid-training.
 */
import { quote } from '../quote';

export interface NumberRule {
  /** Inclusive bounds unless the exclusive flags are set. */
  min?: number;
  max?: number;
  minExclusive?: boolean;
  maxExclusive?: boolean;
  integer?: boolean;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return quote(v, 40);
  if (v === null || typeof v !== 'object') return String(v);
  return Array.isArray(v) ? 'an array' : 'an object';
}

function range(rule: NumberRule): string {
  const lo = rule.min === undefined ? '' : `${rule.minExclusive ? '>' : '>='} ${rule.min}`;
  const hi = rule.max === undefined ? '' : `${rule.maxExclusive ? '<' : '<='} ${rule.max}`;
  return [lo, hi].filter(Boolean).join(' and ');
}

/** A finite number obeying `rule` (or `def` when the value is undefined). */
export function checkNumber(where: string, name: string, value: unknown, rule: NumberRule = {}, def?: number): number {
  const v = value === undefined ? def : value;
  const r = range(rule);
  const want = `a finite ${rule.integer ? 'integer' : 'number'}${r ? ` ${r}` : ''}`;
  if (typeof v !== 'number' || !Number.isFinite(v) || (rule.integer && !Number.isInteger(v))) {
    throw new Error(`${where}: '${name}' must be ${want}, got ${describe(v)}`);
  }
  const below = rule.min !== undefined && (rule.minExclusive ? v <= rule.min : v < rule.min);
  const above = rule.max !== undefined && (rule.maxExclusive ? v >= rule.max : v > rule.max);
  if (below || above) throw new Error(`${where}: '${name}' must be ${want}, got ${v}`);
  return v;
}

export function checkBoolean(where: string, name: string, value: unknown, def: boolean): boolean {
  const v = value === undefined ? def : value;
  if (typeof v !== 'boolean') throw new Error(`${where}: '${name}' must be true or false, got ${describe(v)}`);
  return v;
}

/** Refuses keys of `options` not in `allowed` (a typo would otherwise be ignored silently). */
export function checkKeys(where: string, options: unknown, allowed: readonly string[]): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new Error(`${where}: expected an options object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new Error(`${where}: unknown option ${quote(key)}; options are: ${allowed.join(', ') || '(none)'}`);
    }
  }
}

/**
 * Names that are keys of every object (`__proto__`, `constructor`, `toString`, …). No layer, activation,
 * loss, optimizer or metric has one, and a lookup table keyed by user text would find these instead of
 * failing, so option text is refused before it reaches one.
 * @example isObjectKey('constructor') // true
 */
export function isObjectKey(name: string): boolean {
  return name in Object.prototype;
}
