/**
 * zip: several datasets in lockstep, their elements combined in the structure the datasets were given in
 * (an array or a record, nested), e.g. `zip({ xs: { image: images, meta: tabular }, ys: labels })` for a
 * model with several inputs. A pass ends when the shortest dataset ends.
 */
import type { Lease, LeaseSource } from '../../fit/dataset-protocol';
import type { Pass } from './ops';

/** Datasets arranged as an array or a record (nested as deep as needed). */
export type DatasetStructure = LeaseSource<unknown> | DatasetStructure[] | { [key: string]: DatasetStructure };

const isSource = (v: unknown): v is LeaseSource<unknown> =>
  !!v && typeof (v as LeaseSource<unknown>).leases === 'function';

/** The datasets of a structure in order, and a function that puts one value per dataset back in shape. */
export function flattenStructure(
  s: DatasetStructure,
  who: string,
): { sources: LeaseSource<unknown>[]; build: (values: unknown[]) => unknown } {
  const sources: LeaseSource<unknown>[] = [];
  const plan = (node: unknown, path: string, depth: number): ((values: unknown[]) => unknown) => {
    if (depth > 16) throw new Error(`${who}: the structure is nested more than 16 levels deep`);
    if (isSource(node)) {
      const i = sources.push(node) - 1;
      return (values) => values[i];
    }
    if (Array.isArray(node)) {
      const parts = node.map((v, j) => plan(v, `${path}[${j}]`, depth + 1));
      return (values) => parts.map((p) => p(values));
    }
    if (node && typeof node === 'object') {
      const parts = Object.entries(node).map(([k, v]) => [k, plan(v, path ? `${path}.${k}` : k, depth + 1)] as const);
      return (values) => Object.fromEntries(parts.map(([k, p]) => [k, p(values)]));
    }
    throw new Error(
      `${who}: ${path ? `'${path}'` : 'the argument'} is ${node === null ? 'null' : typeof node}; give datasets, ` +
        'or arrays and objects of datasets',
    );
  };
  const build = plan(s, '', 0);
  if (sources.length === 0) throw new Error(`${who}: give at least one dataset`);
  return { sources, build };
}

/** One pass of every source in lockstep. */
export async function* zipPass(
  sources: LeaseSource<unknown>[],
  build: (values: unknown[]) => unknown,
  pass: number,
): Pass<unknown> {
  const its = sources.map((s) => s.leases(pass));
  try {
    for (;;) {
      const got: Lease<unknown>[] = [];
      let ended = false;
      try {
        for (const it of its) {
          const r = await it.next();
          if (r.done) {
            ended = true;
            break;
          }
          got.push(r.value);
        }
      } catch (e) {
        for (const l of got) l.release();
        throw e;
      }
      if (ended) {
        for (const l of got) l.release();
        return;
      }
      const progress = got.reduce<number | undefined>(
        (m, l) => (l.progress === undefined ? m : m === undefined ? l.progress : Math.min(m, l.progress)),
        undefined,
      );
      yield {
        value: build(got.map((l) => l.value)),
        borrowed: got.some((l) => l.borrowed),
        release: () => {
          for (const l of got) l.release();
        },
        progress,
      };
    }
  } finally {
    await Promise.all(its.map((it) => it.return()));
  }
}
