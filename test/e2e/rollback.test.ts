import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, makeProject, type Project, SCRIPTS_PROVIDER } from '../support/project.js';

/** Manual rollback: previous release or --to, the rollback window and --force, gates skipped unless applyToRollback. */

const config = (window: string, extra = '') => `
app: rollbacks
${SCRIPTS_PROVIDER}rollback: { window: ${window} }
${extra}`;

describe('rollback', () => {
  let p: Project;
  beforeAll(async () => {
    p = await makeProject(config('60m'));
  });
  afterAll(async () => p?.cleanup());

  it('with nothing deployed there is nothing to roll back (exit 2)', async () => {
    const r = await p.run(['rollback']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('nothing to roll back: rollbacks/production has no successful deployment yet');
  });

  it('after a single deployment there is nothing earlier (exit 2)', async () => {
    expect((await p.run(['deploy', 'v1.0.0'])).code).toBe(0);
    const r = await p.run(['rollback']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('was the first deployment of rollbacks/production; pass --to VERSION');
  });

  it('returns to the previous release, then --to picks any kept one', async () => {
    expect((await p.run(['deploy', 'v1.1.0'])).code).toBe(0);
    expect((await p.run(['deploy', 'v1.2.0'])).code).toBe(0);
    expect((await p.run(['rollback'])).code).toBe(0);
    expect((await p.read('live.txt')).trim()).toBe('v1.1.0');
    const to = await p.run(['rollback', '--to', 'v1.0.0', '--json']);
    expect(to.code, to.stderr).toBe(0);
    expect(json<{ version: string }>(to).version).toBe('v1.0.0');
    expect((await p.read('live.txt')).trim()).toBe('v1.0.0');
  });

  it('--to an unknown or already-live version is refused (exit 2)', async () => {
    const unknown = await p.run(['rollback', '--to', 'v9.9.9']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no kept release v9\.9\.9 of rollbacks \(kept: .*v1\.2\.0.*\)/);
    const live = await p.run(['rollback', '--to', 'v1.0.0']);
    expect(live.code).toBe(2);
    expect(live.stderr).toContain('v1.0.0 is already live');
    const unsafe = await p.run(['rollback', '--to', 'v1 2']);
    expect(unsafe.code).toBe(2);
  });
});

describe('a second rollback', () => {
  let p: Project;
  beforeAll(async () => {
    p = await makeProject(config('60m'));
    for (const v of ['v1.0.0', 'v2.0.0']) expect((await p.run(['deploy', v])).code).toBe(0);
    expect((await p.run(['rollback'])).code).toBe(0);
  });
  afterAll(async () => p?.cleanup());

  it('does not quietly go forward again: it refuses and says how to go either way (exit 2)', async () => {
    const rollbackId = json<{ live: { deployment_id: string } }[]>(await p.run(['status', '--json']))[0]!.live.deployment_id;
    const calls = await p.read('calls.log');
    const r = await p.run(['rollback']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      `v1.0.0 is live after rolling back from v2.0.0 (${rollbackId}); a second rollback would put v2.0.0 back. ` +
        'To go forward to v2.0.0 again, run `shipgate deploy v2.0.0` or `shipgate rollback --to v2.0.0`; ' +
        'to go further back, `shipgate rollback --to VERSION` (`shipgate releases` lists the kept ones).',
    );
    expect(await p.read('calls.log')).toBe(calls);
    expect((await p.read('live.txt')).trim()).toBe('v1.0.0');
  });

  it('status and the record name no rollback target after a rollback', async () => {
    const [s] = json<{ live: { deployment_id: string }; rollback: { target: string | null; open: boolean; rolled_back_from: string | null } }[]>(await p.run(['status', '--json']));
    expect(s!.rollback).toMatchObject({ target: null, open: false, rolled_back_from: 'v2.0.0' });
    expect((await p.run(['status'])).stdout).toContain(
      'rollback:  none: rolled back from v2.0.0 (shipgate deploy v2.0.0 goes forward again; shipgate rollback --to VERSION goes further back)',
    );
    const record = json<{ rollback_available: boolean; rollback_deadline: string | null }>(await p.run(['show', s!.live.deployment_id, '--json']));
    expect(record).toMatchObject({ rollback_available: false, rollback_deadline: null });
  });

  it('--to the version rolled away from goes forward on purpose', async () => {
    const r = await p.run(['rollback', '--to', 'v2.0.0']);
    expect(r.code, r.stderr).toBe(0);
    expect((await p.read('live.txt')).trim()).toBe('v2.0.0');
  });
});

describe('the rollback window', () => {
  let p: Project;
  beforeAll(async () => {
    p = await makeProject(config('0s', 'gates:\n  window: { timezone: UTC, days: [mon], hours: "00:00-00:01" }\n'));
    expect((await p.run(['deploy', 'v1.0.0', '--emergency', '--reason', 'setup'])).code).toBe(0);
    expect((await p.run(['deploy', 'v1.1.0', '--emergency', '--reason', 'setup'])).code).toBe(0);
  });
  afterAll(async () => p?.cleanup());

  it('past the window a rollback is refused with the way out (exit 3)', async () => {
    const r = await p.run(['rollback']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('the rollback window of 0ms closed');
    expect(r.stderr).toContain('pass --force to roll back anyway');
  });

  it('--force goes past it and is recorded; gates without applyToRollback are skipped', async () => {
    const r = await p.run(['rollback', '--force', '--reason', 'bad release', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rec = json<{ record: { forced: boolean; gates: { name: string; result: string }[] } }>(r).record;
    expect(rec.forced).toBe(true);
    expect(rec.gates.map((g) => [g.name, g.result])).toEqual([['semver', 'skip'], ['window', 'skip']]);
  });
});
