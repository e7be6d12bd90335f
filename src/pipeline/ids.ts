import { randomBytes } from 'node:crypto';

/** `dep_` + UTC time to the second + `_` + milliseconds (2 base-36 chars) + 3 random chars. */
export const DEPLOYMENT_ID_RE = /^dep_\d{8}T\d{6}Z_[a-z0-9]{5}$/;

/**
 * Readable ids that sort by time to the millisecond: `dep_20261122T173000Z_0rk3f`.
 * The milliseconds keep two deployments started in the same second in order;
 * the random part keeps ids of different environments apart.
 */
export function newDeploymentId(nowMs: number, random: () => Buffer = () => randomBytes(3)): string {
  const stamp = new Date(nowMs).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const ms = (((nowMs % 1000) + 1000) % 1000).toString(36).padStart(2, '0');
  const suffix = [...random()].map((b) => (b % 36).toString(36)).join('').padEnd(3, '0').slice(0, 3);
  return `dep_${stamp}_${ms}${suffix}`;
}

export function isDeploymentId(value: string): boolean {
  return DEPLOYMENT_ID_RE.test(value);
}
