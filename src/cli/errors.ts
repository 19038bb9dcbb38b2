/** CLI errors: a one-line message and a non-zero exit code, with the stack only under --verbose. */
export class CliError extends Error {}

export function fail(message: string): never {
  throw new CliError(message);
}

export async function run(verbose: boolean, body: () => Promise<void> | void): Promise<void> {
  try {
    await body();
  } catch (e) {
    const err = e as Error;
    process.stderr.write(`backprop: ${err.message.split('\n')[0]}\n`);
    if (verbose && !(err instanceof CliError)) process.stderr.write(`${err.stack}\n`);
    process.exitCode = 1;
  }
}

export function intOption(
  name: string,
  v: string | undefined,
  min: number,
  fallback: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
  if (!Number.isInteger(n) || n < min || n > max) fail(`--${name} must be an integer ${range}, got '${v}'`);
  return n;
}

export function numOption(
  name: string,
  v: string | undefined,
  fallback: number,
  check: (n: number) => boolean = (n) => n > 0,
): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || !check(n)) fail(`--${name} has an invalid value '${v}'`);
  return n;
}
