import { describe, expect, it } from 'vitest';
import { createSemverGate, evaluateSemver } from '../../../src/gates/semver.js';
import { makeContext } from './helpers.js';

describe('evaluateSemver', () => {
  it.each(['v1.2.3', 'v0.0.1', 'v10.20.30', 'v1.2.3+build.7', 'v1.2.3+20261123.sha.abc'])('accepts %s', (v) => {
    expect(evaluateSemver(v, false)).toEqual({ ok: true, reason: `${v} is a valid release version` });
  });

  it('requires the leading v and suggests the fix', () => {
    expect(evaluateSemver('1.2.3', false)).toEqual({ ok: false, reason: 'version "1.2.3" must start with "v", like v1.2.3 (write "v1.2.3")' });
    expect(evaluateSemver('V1.2.3', false).reason).toContain('must start with "v"');
  });

  it.each(['v1.2', 'v1', 'v01.2.3', 'v1.2.3.4', 'vv1.2.3', 'v1.2.x', 'v1.2.3-', 'vnext', 'v'])('rejects %s as not a semantic version', (v) => {
    const d = evaluateSemver(v, false);
    expect(d.ok).toBe(false);
    expect(d.reason).toContain('is not a semantic version like v1.2.3');
  });

  it('allows pre-releases only with allowPrerelease', () => {
    expect(evaluateSemver('v2.0.0-rc.1', false)).toEqual({
      ok: false,
      reason: 'version "v2.0.0-rc.1" is a pre-release (-rc.1); set allowPrerelease to deploy pre-releases',
    });
    expect(evaluateSemver('v2.0.0-rc.1', true)).toEqual({ ok: true, reason: 'v2.0.0-rc.1 is a valid pre-release version' });
    expect(evaluateSemver('v2.0.0-rc.1+build.5', true).ok).toBe(true);
  });

  it('applies the version safety check first', () => {
    expect(evaluateSemver('v1.2.3;id', true).reason).toContain('contains ";"');
  });
});

describe('semver gate', () => {
  it('passes and blocks with the reason', async () => {
    const gate = createSemverGate({ allowPrerelease: false, applyToRollback: false });
    expect(gate.name).toBe('semver');
    expect(await gate.evaluate(makeContext({ version: 'v1.2.3' }))).toMatchObject({ name: 'semver', result: 'pass' });
    const blocked = await gate.evaluate(makeContext({ version: 'v1.2' }));
    expect(blocked).toMatchObject({ name: 'semver', result: 'block', details: { version: 'v1.2', allowPrerelease: false } });
    expect(blocked.reason).toContain('"v1.2" is not a semantic version');
  });
});
