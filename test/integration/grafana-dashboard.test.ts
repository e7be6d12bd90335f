import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Masker } from '../../src/runtime/secrets.js';
import { createServer, type ServeServer } from '../../src/serve/server.js';
import { openSqlStore, type NewDeployment, type SqlStore } from '../../src/store/index.js';
import { REPO_ROOT } from '../support/project.js';
import { makeTempDir, type TempDir } from '../support/tmp.js';

/** examples/grafana/shipgate-dashboard.json queries only what `shipgate serve`'s /metrics exposes, so the two cannot drift. */

const DASHBOARD = join(REPO_ROOT, 'examples/grafana/shipgate-dashboard.json');

/** Every PromQL string in the dashboard (panel targets and template variable queries). */
function queriesOf(node: unknown, found: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => queriesOf(n, found));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (typeof v === 'string' && (k === 'expr' || k === 'query' || k === 'definition')) found.push(v);
      else queriesOf(v, found);
    }
  }
  return found;
}

/** metric name -> label names, from the sample lines of a Prometheus text exposition. */
function exposed(text: string): Map<string, Set<string>> {
  const names = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+$/.exec(line);
    if (!m) continue;
    const labels = names.get(m[1]!) ?? new Set<string>();
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_]\w*)="/g)) labels.add(l[1]!);
    names.set(m[1]!, labels);
  }
  return names;
}

/** The metrics a query reads, with the labels its selector names. */
function selectors(query: string): { metric: string; labels: string[] }[] {
  return [...query.matchAll(/\b(shipgate_\w+)(?:\{([^}]*)\})?/g)].map((m) => ({ metric: m[1]!, labels: [...(m[2] ?? '').matchAll(/(\w+)\s*(?:=~|!=|!~|=)/g)].map((l) => l[1]!) }));
}

const row = (id: string, rest: Partial<NewDeployment>): NewDeployment => ({
  id, app: 'web', environment: 'production', kind: 'deploy', version: 'v1.0.0', previousVersion: null, status: 'succeeded', triggeredBy: 'ci', reason: null, gitSha: null,
  gitRef: null, rollbackOf: null, startedAt: '2026-01-19T10:00:00.000Z', finishedAt: '2026-01-19T10:01:00.000Z', meta: { commitAt: '2026-01-19T09:00:00.000Z' }, ...rest,
});

let tmp: TempDir;
let store: SqlStore;
let server: ServeServer;
let metrics: Map<string, Set<string>>;

beforeAll(async () => {
  tmp = await makeTempDir();
  store = await openSqlStore(`sqlite:${join(tmp.path, 'state.db')}`, { root: tmp.path });
  // A history that gives every metric a sample: a success, a rolled-back canary, a manual rollback, a deploy holding the lock.
  const rows = [
    row('dep_20260119T100000Z_00aaa', {}),
    row('dep_20260119T110000Z_00aab', { version: 'v1.1.0', previousVersion: 'v1.0.0', status: 'rolled_back', startedAt: '2026-01-19T11:00:00.000Z', finishedAt: '2026-01-19T11:03:00.000Z' }),
    row('dep_20260119T120000Z_00aac', { version: 'v1.2.0', previousVersion: 'v1.0.0', startedAt: '2026-01-19T12:00:00.000Z', finishedAt: '2026-01-19T12:01:00.000Z' }),
    row('dep_20260119T130000Z_00aad', { kind: 'rollback', version: 'v1.0.0', previousVersion: 'v1.2.0', rollbackOf: 'dep_20260119T120000Z_00aac', startedAt: '2026-01-19T13:00:00.000Z', finishedAt: '2026-01-19T13:01:00.000Z' }),
    row('dep_20260119T140000Z_00aae', { version: 'v1.3.0', previousVersion: 'v1.0.0', status: 'running', startedAt: '2026-01-19T14:00:00.000Z', finishedAt: null }),
  ];
  await store.insertDeployments(rows);
  const id = rows[4]!.id;
  await store.appendEvent({ deploymentId: rows[0]!.id, at: rows[0]!.startedAt, type: 'stage:finished', stage: 'deploy', step: null, data: { deploymentId: rows[0]!.id, stage: 'deploy', durationMs: 4000 } });
  await store.appendEvent({ deploymentId: id, at: rows[4]!.startedAt, type: 'rollout:weights', stage: 'deploy', step: null, data: { weights: { 'v1.0.0': 80, 'v1.3.0': 20 }, reason: 'step canary' } });
  await store.tryAcquireLock({ app: 'web', environment: 'production', deploymentId: id, holder: 'ci', pid: 1, host: 'h', processStart: null, acquiredAt: rows[4]!.startedAt, heartbeatAt: rows[4]!.startedAt });
  server = await createServer({ store, app: 'web', token: 'grafana-test-token-0123456789', masker: new Masker([]), rollbackWindowMs: 3_600_000, version: '0.1.0', now: () => Date.parse('2026-01-20T00:00:00.000Z') });
  const res = await server.http.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer grafana-test-token-0123456789' } });
  expect(res.statusCode).toBe(200);
  metrics = exposed(res.body);
});

afterAll(async () => {
  await server?.close();
  await store?.close();
  await tmp?.cleanup();
});

describe('the Grafana dashboard example', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as unknown;
  const queries = queriesOf(dashboard);

  it('queries only metric names and labels that /metrics exposes', () => {
    const used = queries.flatMap(selectors);
    expect(used.length).toBeGreaterThan(10);
    for (const { metric, labels } of used) {
      expect(metrics.has(metric), `${metric} is not in /metrics (it has: ${[...metrics.keys()].filter((n) => n.startsWith('shipgate_')).join(', ')})`).toBe(true);
      for (const label of labels) expect(metrics.get(metric)!.has(label), `${metric} has no label ${label}`).toBe(true);
    }
  });

  it('shows every shipgate metric /metrics exposes', () => {
    const used = new Set(queries.flatMap(selectors).map((s) => s.metric.replace(/_(bucket|sum|count)$/, '')));
    const ours = [...metrics.keys()].filter((n) => n.startsWith('shipgate_')).map((n) => n.replace(/_(bucket|sum|count)$/, ''));
    expect([...new Set(ours)].filter((n) => !used.has(n))).toEqual([]);
  });
});
