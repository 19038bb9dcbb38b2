/**
 * Values from input, quoted in error messages. Every loader and spec check quotes what it refuses through
 * these, so a message stays short and on one line whatever the input holds: a 33 MB tensor name, a newline
 * inside a key, or a config object of a million entries.
 */

/** The most characters of an input value an error message quotes. */
export const QUOTED_CHARS = 80;

// eslint-disable-next-line no-control-regex -- control characters are exactly what must be escaped
const SPECIAL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029'\\]/g;
// eslint-disable-next-line no-control-regex -- as SPECIAL, for text shown unquoted: quotes and backslashes kept
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

function escapeChar(c: string): string {
  if (c === "'") return "\\'";
  if (c === '\\') return '\\\\';
  if (c === '\n') return '\\n';
  if (c === '\r') return '\\r';
  if (c === '\t') return '\\t';
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** The first `max` code units of `s`, not ending inside a surrogate pair. */
function head(s: string, max: number): string {
  if (s.length <= max) return s;
  const code = s.charCodeAt(max - 1);
  return s.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

/**
 * The first `max` characters of `s` with control characters, quotes and backslashes escaped, then "…" and the
 * full length if it was longer: for messages that put their own quotes around it. With `keepQuotes`, for text
 * from input shown unquoted as the message it is (a worker's failure reason): only control characters escaped.
 * @example clipText("it's\n") // "it\\'s\\n"
 * @example clipText("column 'b'\u001b[2J", 80, { keepQuotes: true }) // "column 'b'\\u001b[2J"
 */
export function clipText(s: string, max = QUOTED_CHARS, opts: { keepQuotes?: boolean } = {}): string {
  const body = head(s, max).replace(opts.keepQuotes ? CONTROL : SPECIAL, escapeChar);
  return s.length > max ? `${body}… (${s.length} characters)` : body;
}

/**
 * A string from input, single-quoted for an error message: control characters, quotes and backslashes escaped,
 * at most `max` characters, then "…" and the full length.
 * @example quote('dense_1/kernel') // "'dense_1/kernel'"
 * @example quote('x'.repeat(1e6)) // "'xxx…xx…' (1,000,000 characters)"
 */
export function quote(s: string, max = QUOTED_CHARS): string {
  const body = head(s, max).replace(SPECIAL, escapeChar);
  return s.length > max ? `'${body}…' (${s.length} characters)` : `'${body}'`;
}

/**
 * Any value from input as JSON for an error message (strings double-quoted as JSON.stringify writes them),
 * cut after about `max` characters: only what fits is visited, so a huge array or a deep object costs no more
 * than a short one.
 * @example preview({ units: 'many' }) // '{"units":"many"}'
 * @example preview('x'.repeat(1e6)) // '"xxx…x…" (1,000,000 characters)'
 * @example preview(new Array(1e6).fill(0)) // '[0,0,0,…'
 */
export function preview(v: unknown, max = QUOTED_CHARS): string {
  if (typeof v === 'string') {
    const body = JSON.stringify(head(v, max)).replace(/[\u2028\u2029]/g, escapeChar);
    return v.length > max ? `${body.slice(0, -1)}…" (${v.length} characters)` : body;
  }
  let out = '';
  const put = (s: string): boolean => {
    out += s;
    return out.length <= max;
  };
  const walk = (x: unknown): boolean => {
    if (typeof x === 'string') return put(JSON.stringify(head(x, max + 1)));
    if (typeof x === 'number' || typeof x === 'boolean' || typeof x === 'bigint') return put(String(x));
    if (x === null || x === undefined) return put(String(x));
    if (typeof x !== 'object') return put(typeof x);
    if (Array.isArray(x)) {
      if (!put('[')) return false;
      for (let i = 0; i < x.length; i++) if ((i > 0 && !put(',')) || !walk(x[i])) return false;
      return put(']');
    }
    if (!put('{')) return false;
    let first = true;
    for (const k in x) {
      if (!Object.prototype.hasOwnProperty.call(x, k)) continue;
      if ((!first && !put(',')) || !put(`${JSON.stringify(head(k, max + 1))}:`)) return false;
      first = false;
      if (!walk((x as Record<string, unknown>)[k])) return false;
    }
    return put('}');
  };
  walk(v);
  const text = out.length > max ? `${head(out, max)}…` : out;
  return text.replace(/[\u2028\u2029]/g, escapeChar); // JSON leaves these line separators as they are
}

/**
 * A value from input that is usually a string: single-quoted as quote() does when it is one, as preview()
 * shows anything else.
 * @example quoteValue('graph-model') // "'graph-model'"
 * @example quoteValue(3) // '3'
 */
export function quoteValue(v: unknown, max = QUOTED_CHARS): string {
  return typeof v === 'string' ? quote(v, max) : preview(v, max);
}

/**
 * Names from input as an unquoted list for a message, "a, b, … (1204 in all)": the first `count`, each clipped
 * as clipText does.
 */
export function listText(names: Iterable<string>, count = 8, max = QUOTED_CHARS): string {
  const shown: string[] = [];
  let total = 0;
  for (const n of names) if (total++ < count) shown.push(clipText(n, max));
  return total > count ? `${shown.join(', ')}, … (${total} in all)` : shown.join(', ');
}
