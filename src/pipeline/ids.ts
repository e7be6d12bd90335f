import { randomBytes } from 'node:crypto';

const ID_RE = /^dep_\d{8}T\d{6}Z_[a-z0-9]{4}$/;

/** Readable, sortable deployment ids: `dep_20261122T173000Z_k3f9`. */
export function newDeploymentId(nowMs: number, random: () => Buffer = () => randomBytes(4)): string {
  const stamp = new Date(nowMs).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const suffix = [...random()].map((b) => (b % 36).toString(36)).join('').slice(0, 4);
  return `dep_${stamp}_${suffix}`;
}

export function isDeploymentId(value: string): boolean {
  return ID_RE.test(value);
}
