/**
 * Default layer names as TF.js and Keras give them within a model: `<kind>_<n>` with the smallest n not yet taken
 * (`dense_1`, `dense_2`, ...). One pass over the names in use, then constant time per new name, so naming the
 * layers of a 10,000-layer model costs no more than reading them.
 */
export interface Namer {
  /** The next free `<kind>_<n>`, which is then taken. */
  next(kind: string): string;
}

export function uniqueNamer(used: Iterable<string>): Namer {
  const taken = new Set(used);
  // Per kind, the smallest n that may still be free: names are only ever added, so it never moves back.
  const from = new Map<string, number>();
  return {
    next(kind: string): string {
      let n = from.get(kind) ?? 1;
      while (taken.has(`${kind}_${n}`)) n++;
      const name = `${kind}_${n}`;
      taken.add(name);
      from.set(kind, n + 1);
      return name;
    },
  };
}
