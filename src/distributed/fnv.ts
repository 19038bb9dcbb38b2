/**
 * FNV-1a over a string's UTF-16 code units: a 32-bit number ranks compare to tell whether they hold the same
 * thing (a model's weight layout, the machine they run on). Not a secret and not collision-proof.
 */
export function fnv1a(text: string, basis = 0x811c9dc5): number {
  let h = basis;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
