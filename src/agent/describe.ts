/** `v1.0.0=95% v1.1.0=5%` (or `no weights`), for logs and status lines. */
export function describeWeights(weights: Record<string, number>): string {
  return Object.entries(weights).map(([v, w]) => `${v}=${w}%`).join(' ') || 'no weights';
}

/** The same traffic split (versions at 0% and key order aside). */
export function sameWeights(a: Record<string, number>, b: Record<string, number>): boolean {
  const split = (w: Record<string, number>): string => JSON.stringify(Object.entries(w).filter(([, n]) => n > 0).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
  return split(a) === split(b);
}
