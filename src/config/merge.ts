/**
 * Deep merge of an environment block over the base config. Objects merge key by
 * key; arrays, scalars and `false` replace. Returns the key paths the overlay set,
 * so errors inside them can be reported at `environments.<env>.<path>`.
 */

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export interface MergeResult {
  value: unknown;
  overlaid: string[][];
}

export function deepMerge(base: unknown, overlay: unknown, path: string[] = [], overlaid: string[][] = []): MergeResult {
  if (!isPlainObject(base) || !isPlainObject(overlay)) {
    overlaid.push(path);
    return { value: overlay, overlaid };
  }
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(overlay)) {
    // Own keys only, and defined rather than assigned, so `__proto__` or `constructor` stay plain keys.
    const value = Object.hasOwn(base, k) ? deepMerge(base[k], v, [...path, k], overlaid).value : (overlaid.push([...path, k]), v);
    Object.defineProperty(out, k, { value, enumerable: true, writable: true, configurable: true });
  }
  return { value: out, overlaid };
}

/** True when `path` lies inside a subtree the overlay set. */
export function isOverlaid(path: readonly (string | number)[], overlaid: string[][]): boolean {
  return overlaid.some((o) => o.length <= path.length && o.every((seg, i) => String(path[i]) === seg));
}
