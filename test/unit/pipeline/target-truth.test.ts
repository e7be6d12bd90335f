import { describe, expect, it } from 'vitest';
import { disagreementWarning, undoTarget } from '../../../src/pipeline/stages/starting-point.js';
import { agentDisagreement, judgeStore, statusScriptDisagreement } from '../../../src/pipeline/target-truth.js';

const recorded = { deploymentId: 'dep_20261123T170500Z_00bbb', version: 'v1.2.0', finishedAt: '2026-11-23T17:06:00.000Z', path: '/p/.shipgate/records/dep_20261123T170500Z_00bbb.json' };

describe('judgeStore: the store against the records folder', () => {
  it('says the store looks lost when it knows no live deployment but the records do', () => {
    expect(judgeStore(null, recorded, 'shop/production')).toEqual({
      kind: 'lost',
      recorded,
      message: `the store has no successful deployment of shop/production, but ${recorded.path} says v1.2.0 went live there (dep_20261123T170500Z_00bbb, 2026-11-23T17:06:00.000Z): the store looks lost or replaced`,
    });
  });

  it('says the store looks replaced by an older copy when the records know a later success', () => {
    const doubt = judgeStore({ id: 'dep_20261123T170000Z_00aaa', version: 'v1.1.0' }, recorded, 'shop/production');
    expect(doubt?.kind).toBe('behind');
    expect(doubt?.message).toBe(`the store's last live deployment of shop/production is dep_20261123T170000Z_00aaa (v1.1.0), but ${recorded.path} says v1.2.0 went live there (dep_20261123T170500Z_00bbb, 2026-11-23T17:06:00.000Z), later: the store looks replaced by an older copy`);
  });

  it('has nothing to say when the records hold nothing, or nothing later than the store (another machine deployed since)', () => {
    expect(judgeStore(null, null, 'shop/production')).toBeNull();
    expect(judgeStore({ id: recorded.deploymentId, version: 'v1.2.0' }, recorded, 'shop/production')).toBeNull();
    expect(judgeStore({ id: 'dep_20261124T000000Z_00ccc', version: 'v1.3.0' }, recorded, 'shop/production')).toBeNull();
  });
});

describe('agentDisagreement: the store against the router', () => {
  it('is quiet when both name the same version (or nothing)', () => {
    expect(agentDisagreement('v1.0.0', 'v1.0.0', 'shop/production')).toBeNull();
    expect(agentDisagreement(null, null, 'shop/production')).toBeNull();
  });

  it('names both sides otherwise', () => {
    expect(agentDisagreement('v1.1.0', 'v1.0.0', 'shop/production')).toBe('the store says v1.1.0 is live in shop/production, but the router sends most traffic to v1.0.0');
    expect(agentDisagreement('v1.1.0', null, 'shop/production')).toBe('the store says v1.1.0 is live in shop/production, but the router sends no traffic to any version');
    expect(agentDisagreement(null, 'v1.0.0', 'shop/production')).toBe('the store has no successful deployment of shop/production, but the router serves v1.0.0: the store looks lost or replaced');
  });
});

describe('statusScriptDisagreement: only an honest, narrow claim about free text', () => {
  const known = ['v1.0.0', 'v1.1.0', 'v1.2.0'];

  it('is quiet when the output names the live version, or no version shipgate deployed there', () => {
    expect(statusScriptDisagreement(['running v1.1.0 (3 machines)'], 'v1.1.0', known, 'shop/production')).toBeNull();
    expect(statusScriptDisagreement(['all good', 'image sha256:abc'], 'v1.1.0', known, 'shop/production')).toBeNull();
    expect(statusScriptDisagreement(['running v9.9.9'], 'v1.1.0', known, 'shop/production')).toBeNull();
    expect(statusScriptDisagreement(['running v1.0.0'], null, known, 'shop/production')).toBeNull();
  });

  it('speaks when the output names another version deployed there but not the live one (punctuation around it is no part of it)', () => {
    expect(statusScriptDisagreement(['release: "v1.0.0".', 'healthy'], 'v1.1.0', known, 'shop/production')).toBe('the store says v1.1.0 is live in shop/production, but the target\'s status script names v1.0.0');
    expect(statusScriptDisagreement(['v1.1.0-rc1 is not it'], 'v1.1.0', known, 'shop/production')).toBeNull();
  });
});

describe('the undo target and the disagreement at the start of a deploy', () => {
  it('undo returns to what the target served before, else to the store previous version', () => {
    expect(undoTarget('v1.1.0', { startedFrom: 'v1.0.0' })).toBe('v1.0.0');
    expect(undoTarget('v1.1.0', { startedFrom: null })).toBe('v1.1.0');
    expect(undoTarget('v1.1.0', null)).toBe('v1.1.0');
    expect(undoTarget(null, { rollout: {} })).toBeNull();
  });

  it('warns only when the target served a version the store does not name', () => {
    expect(disagreementWarning('v1.0.0', 'v1.0.0', 'production')).toBeNull();
    expect(disagreementWarning('v1.0.0', null, 'production')).toBeNull();
    expect(disagreementWarning('v1.1.0', 'v1.0.0', 'production')).toBe('the store says v1.1.0 was live in production, but the target served v1.0.0: v1.0.0 is taken as the previous version (an undo returns to it)');
    expect(disagreementWarning(null, 'v1.0.0', 'production')).toBe('the store knows no live version in production, but the target served v1.0.0: v1.0.0 is taken as the previous version (an undo returns to it)');
  });
});
