/**
 * Default layer names: `<kind>_<n>` (`dense_1`, `dense_2`, `conv2d_1`) with the smallest n not yet used by a
 * layer of the same model. Names are only ever added to a model, never freed, so the smallest unused n of a
 * kind only grows: a cursor per kind that steps over taken names finds it, and each taken name is stepped over
 * at most once (a name `<kind>_<n>` matches one kind only). Naming L layers is therefore O(L) set operations,
 * where scanning the model for each candidate name was O(L^3) for L unnamed layers of one kind.
 */
export class LayerNames {
  private readonly used = new Set<string>();
  private readonly next = new Map<string, number>();

  /** Whether a layer of the model already has this name. */
  has(name: string): boolean {
    return this.used.has(name);
  }

  /** Records a name as taken. */
  add(name: string): void {
    this.used.add(name);
  }

  /** The smallest free `<kind>_<n>`, recorded as taken. */
  fresh(kind: string): string {
    let n = this.next.get(kind) ?? 1;
    while (this.used.has(`${kind}_${n}`)) n++;
    this.next.set(kind, n + 1);
    const name = `${kind}_${n}`;
    this.used.add(name);
    return name;
  }
}
