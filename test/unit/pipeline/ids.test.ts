import { describe, expect, it } from 'vitest';
import { isDeploymentId, newDeploymentId } from '../../../src/pipeline/ids.js';

describe('deployment ids', () => {
  it('are readable: time to the second, then a suffix', () => {
    const id = newDeploymentId(Date.parse('2026-11-22T17:30:00.000Z'), () => Buffer.from([20, 3, 15]));
    expect(id).toBe('dep_20261122T173000Z_00k3f');
    expect(isDeploymentId(id)).toBe(true);
  });

  it('sort by time to the millisecond, whatever the random part', () => {
    const base = Date.parse('2026-11-22T17:30:00.000Z');
    const ids = [0, 1, 35, 36, 500, 999, 1000, 61_000].map((ms, i) => newDeploymentId(base + ms, () => Buffer.from([35 - i, 35 - i, 35 - i])));
    expect([...ids].sort()).toEqual(ids);
  });

  it('are told apart from other text', () => {
    expect(isDeploymentId('dep_20261122T173000Z_k3f9')).toBe(false);
    expect(isDeploymentId('dep_20261122T173000Z_00k3f; rm')).toBe(false);
  });
});
