/**
 * What every rank of a data-parallel fit must share besides the model: the options and data sizes that decide
 * how many collectives each rank runs and of what length (epochs, steps, logs), and how it updates the weights.
 * Ranks that differ would wait on each other until the timeout, or send collectives of other lengths, which
 * Gloo cannot survive (it aborts the process), or silently train apart (another optimizer, another sampler).
 * DataParallel.start compares them with rank 0's before anything else is summed.
 */
import { fnv1a } from './fnv';

/** One setting compared across ranks: a number as it is, text by its hash. */
export interface FitSetting {
  name: string;
  value: number | string;
}

/**
 * Slots of the control vector broadcast at the start of fit: [model fingerprint, world size, sampler seed,
 * protocol, settings…]. Fixed, so that ranks whose lists differ still meet in a collective of one length.
 */
export const CONTROL_SLOTS = 16;
const FIRST_SETTING = 4;
/** Bumped when the meaning of the control vector changes. */
export const CONTROL_PROTOCOL = 1;

/** Writes `settings` into their slots of `control`. */
export function packSettings(control: Float64Array, settings: readonly FitSetting[]): void {
  if (FIRST_SETTING + settings.length > CONTROL_SLOTS)
    throw new Error(`fit(): distributed: ${settings.length} settings to compare, more than the control vector holds`);
  settings.forEach((s, i) => {
    control[FIRST_SETTING + i] = typeof s.value === 'number' ? s.value : fnv1a(s.value);
  });
}

/** The first setting in which this rank (`mine`) differs from rank 0 (`rank0`), described; undefined if none. */
export function settingDifference(
  mine: Float64Array,
  rank0: Float64Array,
  settings: readonly FitSetting[],
): string | undefined {
  if (rank0[3] !== mine[3])
    return `another version of backprop than rank 0 (fit protocol ${rank0[3]}, here ${mine[3]})`;
  for (let i = 0; i < settings.length; i++) {
    const k = FIRST_SETTING + i;
    if (Object.is(rank0[k], mine[k])) continue;
    const { name, value } = settings[i];
    const what =
      typeof value === 'number'
        ? `${name} is ${value} here and ${rank0[k]} on rank 0`
        : `${name} differs from rank 0's (here: ${value.length > 200 ? `${value.slice(0, 200)}…` : value})`;
    return `${what}: every rank must compile alike and call fit with the same options and number of rows`;
  }
  return undefined;
}
