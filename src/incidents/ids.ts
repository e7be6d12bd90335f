import { randomBytes } from 'node:crypto';

const INCIDENT_ID_RE = /^inc_\d{8}T\d{6}Z_[0-9a-z]{5}$/;

/** `inc_<UTC time>_<5 random>`: sorts by time like deployment ids. */
export function newIncidentId(nowMs: number, random: () => Buffer = () => randomBytes(5)): string {
  const stamp = new Date(nowMs).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  return `inc_${stamp}_${[...random()].map((b) => (b % 36).toString(36)).join('').padEnd(5, '0').slice(0, 5)}`;
}

export function isIncidentId(value: string): boolean {
  return INCIDENT_ID_RE.test(value);
}
