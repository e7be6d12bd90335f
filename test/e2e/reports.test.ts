/**
 * Reports and incidents through the built CLI (command provider): a failed deploy leaves its
 * failure report, a successful one its rollback instructions whose command really rolls back,
 * the deployed commit's time reaches DORA's lead time, and an incident export is stored,
 * listed, resolved and delivered to a channel that asks for incidents.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import type { FailureReport, SuccessReport } from '../../src/reports/contract.js';
import { computeDora } from '../../src/serve/dora.js';
import { openSqlStore } from '../../src/store/index.js';
import { receiver } from '../support/http-receiver.js';
import { json, makeProject, SCRIPTS_PROVIDER, STATE_SCRIPTS, type Project } from '../support/project.js';

const HOOK_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
/** A secret the deploy script leaks into its error output, and an operator into incident details. */
const DB_PASSWORD = 'db-pass-Zq81mVx04RkT';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const LEAKY_DEPLOY = `#!/bin/sh
echo "deploy $SHIPGATE_VERSION" >> calls.log
if [ -n "$FAIL_DEPLOY" ]; then echo "cannot migrate: postgres://app:$DB_PASSWORD@db/shop refused" >&2; exit 7; fi
echo "$SHIPGATE_VERSION" > live.txt
`;

function config(hookUrl: string): string {
  return `app: repapp
${SCRIPTS_PROVIDER}notify:
  - { type: webhook, url: "${hookUrl}", secret: "\${HOOK_SECRET}", on: [incident], timeout: 2s }
secrets:
  - DB_PASSWORD
`;
}

async function project(hookUrl = 'http://127.0.0.1:9/none'): Promise<Project> {
  const p = await makeProject(config(hookUrl), { ...STATE_SCRIPTS, 'scripts/deploy.sh': LEAKY_DEPLOY });
  cleanups.push(() => p.cleanup());
  return p;
}

const env = { HOOK_SECRET, DB_PASSWORD };

describe('deployment reports', () => {
  it('a failed deploy leaves its failure report: failed stage, undo, backup availability, action; masked', async () => {
    const p = await project();
    await p.run(['deploy', 'v1.0.0'], { env });
    const failed = await p.run(['deploy', 'v1.1.0', '--json'], { env: { ...env, FAIL_DEPLOY: '1' } });
    const out = json<{ deployment_id: string; status: string; report_paths: { kind: string; json: string; markdown: string }; record: { report: unknown } }>(failed);
    expect(out.status).toBe('rolled_back');
    const id = out.deployment_id;
    expect(out.report_paths).toEqual({ kind: 'failure', json: `${p.dir}/.shipgate/reports/${id}-failure.json`, markdown: `${p.dir}/.shipgate/reports/${id}-failure.md` });
    expect(out.record.report).toEqual(out.report_paths);
    const text = await p.read(`.shipgate/reports/${id}-failure.json`);
    const md = await p.read(`.shipgate/reports/${id}-failure.md`);
    const report = JSON.parse(text) as FailureReport;
    expect(report).toMatchObject({ report: 'failure', deployment_id: id, version: 'v1.1.0', previous_version: 'v1.0.0', status: 'rolled_back', failed_stage: { name: 'deploy' }, live_now: 'v1.0.0: every begun stage was undone' });
    expect(report.undone).toContainEqual({ stage: 'deploy', undo: 'undone' });
    expect(report.backup).toMatchObject({ available: false, backups: [] });
    expect(report.action_required.urgent).toBe(false);
    expect(report.error).toContain('refused');
    expect(md).toContain('## Action required');
    for (const t of [text, md, failed.stdout, failed.stderr]) expect(t).not.toContain(DB_PASSWORD);
    expect(JSON.parse(await p.read(`.shipgate/records/${id}.json`)).report).toEqual(out.report_paths);
    const store = await openSqlStore('sqlite:.shipgate/state.db', { root: p.dir });
    try {
      expect((await store.getReport(id))?.report).toEqual(report);
    } finally {
      await store.close();
    }
  }, 60_000);

  it('rollback instructions whose command works as written; the commit time from git reaches DORA\'s lead time', async () => {
    const p = await project();
    // A git checkout: the deployed commit's time comes from git (committer date fixed here).
    const git = (...args: string[]): string => execFileSync('git', args, { cwd: p.dir, env: { ...process.env, GIT_AUTHOR_DATE: '2026-01-05T08:00:00+01:00', GIT_COMMITTER_DATE: '2026-01-05T08:00:00+01:00', GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' } }).toString();
    git('init', '-q');
    git('add', 'shipgate.yaml');
    git('commit', '-q', '-m', 'first');

    const first = json<{ report_paths: { kind: string; json: string } }>(await p.run(['deploy', 'v1.0.0', '--json'], { env }));
    const firstReport = JSON.parse(await p.read(first.report_paths.json.slice(p.dir.length + 1))) as SuccessReport;
    expect(firstReport.rollback).toMatchObject({ available: false, command: null });

    const ok = json<{ deployment_id: string; report_paths: { kind: string; json: string; markdown: string } }>(await p.run(['deploy', 'v1.2.0', '--json'], { env }));
    expect(ok.report_paths.kind).toBe('success');
    const success = JSON.parse(await p.read(`.shipgate/reports/${ok.deployment_id}-success.json`)) as SuccessReport;
    expect(success.rollback).toMatchObject({ available: true, window_minutes: 60, command: 'shipgate rollback --to v1.0.0 --env production' });
    expect(Date.parse(success.rollback.deadline!) - Date.parse(success.finished_at!)).toBe(60 * 60_000);
    expect(await p.read(`.shipgate/reports/${ok.deployment_id}-success.md`)).toContain('shipgate rollback --to v1.0.0 --env production');
    // The command as written in the report, run as is.
    const rolled = await p.run(success.rollback.argv!.slice(1), { env });
    expect(rolled.code, rolled.stderr).toBe(0);
    expect((await p.read('live.txt')).trim()).toBe('v1.0.0');

    const store = await openSqlStore('sqlite:.shipgate/state.db', { root: p.dir });
    try {
      expect((await store.getReport(ok.deployment_id))?.report).toEqual(success);
      const facts = await store.listFactsBetween('repapp', 'dep_');
      // git's committer date 08:00+01:00, recorded in UTC on every deploy of this commit
      expect(facts.filter((f) => f.kind === 'deploy').map((f) => f.commitAt)).toEqual(['2026-01-05T07:00:00.000Z', '2026-01-05T07:00:00.000Z']);
      const window = { from: '2026-01-01T00:00:00.000Z', to: new Date(Date.now() + 60_000).toISOString() };
      const d1 = facts[0]!;
      // v1.0.0 and v1.2.0 succeeded (v1.2.0 rolled back by hand): median of their leads, commit to finished_at
      const leads = facts.filter((f) => f.kind === 'deploy' && f.status === 'succeeded').map((f) => (Date.parse(f.finishedAt!) - Date.parse(d1.commitAt!)) / 1000);
      expect(computeDora(facts, 'production', window).leadTimeSeconds).toBe((leads[0]! + leads[1]!) / 2);
    } finally {
      await store.close();
    }
  }, 60_000);

  it('--commit-at overrides git; a bad one is refused before anything starts', async () => {
    const p = await project();
    const bad = await p.run(['deploy', 'v1.0.0', '--commit-at', 'yesterday'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--commit-at: expected an ISO-8601 time with a zone');
    expect(existsSync(`${p.dir}/calls.log`)).toBe(false);
    const r = json<{ deployment_id: string }>(await p.run(['deploy', 'v1.0.0', '--commit-at', '2026-02-01T12:00:00+02:00', '--json'], { env }));
    const store = await openSqlStore('sqlite:.shipgate/state.db', { root: p.dir });
    try {
      expect((await store.getDeployment(r.deployment_id))?.meta.commitAt).toBe('2026-02-01T10:00:00.000Z');
    } finally {
      await store.close();
    }
  }, 60_000);
});

describe('incident export', () => {
  it('stored, printed as JSON and Markdown, listed, resolved, and delivered (signed, masked) to the channel that asks for incidents', async () => {
    const hook = await receiver();
    cleanups.push(() => new Promise((r) => hook.server.close(() => r())));
    const p = await project(`${hook.url}/incidents`);
    const dep = json<{ deployment_id: string }>(await p.run(['deploy', 'v1.0.0', '--json'], { env }));
    const rb = await p.run(['deploy', 'v1.1.0', '--json'], { env });
    expect(rb.code, rb.stderr).toBe(0);
    const back = json<{ deployment_id: string }>(await p.run(['rollback', '--json'], { env }));

    const bad = await p.run(['incident', 'export', '--type', 'fire', '--details', 'x'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--type: expected one of rollback, outage, degradation, security, data, other (got "fire")');

    const exported = await p.run(['incident', 'export', '--type', 'rollback', '--severity', 'warning', '--details', `Rolled back due to: 5xx (db password ${DB_PASSWORD} leaked in logs)`, '--json'], { env });
    expect(exported.code, exported.stderr).toBe(0);
    const inc = json<{ id: string; type: string; severity: string; status: string; details: string; deployment_ids: string[] }>(exported);
    const rolledBack = json<{ deployment_id: string }>(rb).deployment_id;
    // Linked by default to the newest deployment (the rollback) and the deployment it rolled back.
    expect(inc).toMatchObject({ type: 'rollback', severity: 'warning', status: 'open', deployment_ids: [back.deployment_id, rolledBack] });
    expect(inc.details).toContain('Rolled back due to: 5xx');

    const md = await p.run(['incident', 'export', '--type', 'outage', '--severity', 'critical', '--details', 'API down', '--deployment', dep.deployment_id], { env });
    expect(md.code, md.stderr).toBe(0);
    expect(md.stdout).toMatch(/^# Incident inc_\w+: outage \(critical\)/);
    expect(md.stdout).toContain(`- Deployments: \`${dep.deployment_id}\``);

    const listed = json<{ id: string; status: string }[]>(await p.run(['incident', 'list', '--json'], { env }));
    expect(listed.map((i) => i.id)).toContain(inc.id);
    expect(listed).toHaveLength(2);
    const resolved = json<{ status: string; time_to_restore_seconds: number }>(await p.run(['incident', 'resolve', inc.id, '--resolution', 'v1.0.0 healthy', '--json'], { env }));
    expect(resolved.status).toBe('resolved');
    expect(resolved.time_to_restore_seconds).toBeGreaterThanOrEqual(0);

    // Both exports reached the webhook (before each command exited, or from the background sender it left them to); nothing else did (the channel asks only for incidents).
    for (const until = Date.now() + 15_000; hook.hits.length < 2 && Date.now() < until; ) await new Promise((r) => setTimeout(r, 50));
    const bodies = hook.hits.map((h) => new Webhook(HOOK_SECRET).verify(h.body, h.headers as Record<string, string>) as { type: string; data: { incident: { id: string; severity: string } } });
    // In either order: the first export's delivery may have been left to its background sender,
    // which can deliver after the second command delivered its own.
    const opened = bodies.map((b) => [b.type, b.data.incident.severity, b.data.incident.id]).sort((a, b) => String(a[1]).localeCompare(String(b[1])));
    expect(opened.map(([type, severity]) => [type, severity])).toEqual([
      ['incident.opened', 'critical'],
      ['incident.opened', 'warning'],
    ]);
    expect(opened[1]![2]).toBe(inc.id);
    for (const t of [...hook.hits.map((h) => h.body), exported.stdout, md.stdout]) expect(t).not.toContain(DB_PASSWORD);
    const store = await openSqlStore('sqlite:.shipgate/state.db', { root: p.dir });
    try {
      expect((await store.getIncident(inc.id))?.details).not.toContain(DB_PASSWORD);
    } finally {
      await store.close();
    }
  }, 90_000);
});
