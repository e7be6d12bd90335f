/** `v1.0.0=95% v1.1.0=5%` (or `no weights`), for logs and status lines. */
export function describeWeights(weights: Record<string, number>): string {
  return Object.entries(weights).map(([v, w]) => `${v}=${w}%`).join(' ') || 'no weights';
}
