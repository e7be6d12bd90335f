import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Masker } from '../../src/runtime/secrets.js';
import { DASHBOARD_ASSETS, DASHBOARD_CSP, loadAssets } from '../../src/serve/dashboard/assets.js';
import { createServer, type ServeServer } from '../../src/serve/server.js';
import { openSqlStore, type NewDeployment, type SqlStore } from '../../src/store/index.js';
import { REPO_ROOT } from '../support/project.js';
import { makeTempDir, type TempDir } from '../support/tmp.js';

/** The dashboard's routes in `shipgate serve`: its files open and data-free, its overview behind the token. */

const TOKEN = 'dashboard-test-token-0123456789';
const SECRET = 'hunter2-dashboard-secret';
const NOW = Date.parse('2026-01-20T12:00:00.000Z');
const HOUR = 3_600_000;

function row(id: string, rest: Partial<NewDeployment>): NewDeployment {
  return {
    id, app: 'acme-shop', environment: 'production', kind: 'deploy', version: 'v1.0.0', previousVersion: null, status: 'succeeded', triggeredBy: 'alice',
    reason: null, gitSha: null, gitRef: null, rollbackOf: null, startedAt: '2026-01-20T10:00:00.000Z', finishedAt: '2026-01-20T10:01:00.000Z', meta: {}, ...rest,
  };
}

const ROWS: NewDeployment[] = [
  row('dep_20260110T100000Z_00aaa', { environment: 'staging', version: 'v0.9.0', previousVersion: 'v0.8.0', startedAt: '2026-01-10T10:00:00.000Z', finishedAt: '2026-01-10T10:01:00.000Z' }),
  row('dep_20260120T100000Z_00aab', { previousVersion: 'v0.9.0', triggeredBy: `ci ${SECRET}`, meta: { commitAt: '2026-01-20T09:01:00.000Z' } }),
  row('dep_20260120T110000Z_00aac', { version: 'v1.1.0', previousVersion: 'v1.0.0', status: 'rolled_back', startedAt: '2026-01-20T11:00:00.000Z', finishedAt: '2026-01-20T11:02:00.000Z' }),
  row('dep_20260120T115500Z_00aad', { version: 'v1.2.0', previousVersion: 'v1.0.0', status: 'running', startedAt: '2026-01-20T11:55:00.000Z', finishedAt: null, currentStage: 'deploy' }),
];

let tmp: TempDir;
let store: SqlStore;
let server: ServeServer;
let base: string;

beforeAll(async () => {
  tmp = await makeTempDir();
  store = await openSqlStore(`sqlite:${join(tmp.path, 'state.db')}`, { root: tmp.path });
  await store.insertDeployments(ROWS);
  await store.tryAcquireLock({ app: 'acme-shop', environment: 'production', deploymentId: ROWS[3]!.id, holder: 'bob', pid: 1, host: 'h', processStart: null, acquiredAt: ROWS[3]!.startedAt, heartbeatAt: ROWS[3]!.startedAt });
  server = await createServer({ store, app: 'acme-shop', token: TOKEN, masker: new Masker([SECRET]), rollbackWindowMs: 4 * HOUR, version: '0.1.0', now: () => NOW, pollMs: 20 });
  base = await server.http.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await server?.close();
  await store?.close();
  await tmp?.cleanup();
});

describe('the dashboard page', () => {
  it('is served without the token, holds no data, and forbids inline scripts, other origins and framing', async () => {
    for (const [path, file] of Object.entries(DASHBOARD_ASSETS)) {
      const res = await fetch(`${base}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toMatch(file.endsWith('.html') ? /^text\/html/ : file.endsWith('.css') ? /^text\/css/ : /^text\/javascript/);
      expect(res.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      const body = await res.text();
      for (const data of ['acme-shop', 'v1.0.0', 'alice', 'production']) expect(body, `${path} holds ${data}`).not.toContain(data);
    }
    expect(DASHBOARD_CSP).toContain("script-src 'self'");
    expect(DASHBOARD_CSP).not.toContain('unsafe-inline');
    expect(DASHBOARD_CSP).toContain("frame-ancestors 'none'");
  });

  it('opens nothing else: other paths and the overview need the token', async () => {
    for (const path of ['/dashboard/', '/dashboard/nope.js', '/index.html', '/api/dashboard/overview']) expect((await fetch(`${base}${path}`)).status, path).toBe(401);
  });

  it('puts data into the page as text only (no innerHTML, no inline handlers)', async () => {
    for (const file of Object.values(DASHBOARD_ASSETS)) {
      const body = await (await fetch(`${base}${Object.keys(DASHBOARD_ASSETS).find((p) => DASHBOARD_ASSETS[p] === file)}`)).text();
      expect(body, file).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function|\son[a-z]+="/);
    }
  });
});

describe('GET /api/dashboard/overview', () => {
  it('gives each environment\'s live version, rollback deadline, running deployment and lock, and DORA, masked', async () => {
    const res = await fetch(`${base}/api/dashboard/overview`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    const { data } = (await res.json()) as { data: { environments: unknown[]; dora: { environments: unknown[] } } };
    expect(data).toMatchObject({ app: 'acme-shop', at: '2026-01-20T12:00:00.000Z' });
    expect(data.environments).toEqual([
      {
        environment: 'production',
        live: { deploymentId: ROWS[1]!.id, version: 'v1.0.0', kind: 'deploy', finishedAt: '2026-01-20T10:01:00.000Z', triggeredBy: 'ci ***' },
        rollback: { target: 'v0.9.0', deadline: '2026-01-20T14:01:00.000Z', open: true },
        running: [{ deploymentId: ROWS[3]!.id, kind: 'deploy', version: 'v1.2.0', previousVersion: 'v1.0.0', status: 'running', stage: 'deploy', startedAt: '2026-01-20T11:55:00.000Z' }],
        lock: { deploymentId: ROWS[3]!.id, holder: 'bob', since: '2026-01-20T11:55:00.000Z' },
      },
      {
        environment: 'staging',
        live: { deploymentId: ROWS[0]!.id, version: 'v0.9.0', kind: 'deploy', finishedAt: '2026-01-10T10:01:00.000Z', triggeredBy: 'alice' },
        rollback: { target: 'v0.8.0', deadline: '2026-01-10T14:01:00.000Z', open: false },
        running: [],
        lock: null,
      },
    ]);
    expect(data.dora.environments).toEqual([
      // 1 of 2 changes failed; its automatic undo took 2 minutes; commit to live 1 hour.
      { environment: 'production', deployments: 1, deploymentFrequencyPerDay: 1 / 30, leadTimeSeconds: 3600, changeFailureRate: 0.5, timeToRestoreSeconds: 120 },
      { environment: 'staging', deployments: 1, deploymentFrequencyPerDay: 1 / 30, leadTimeSeconds: null, changeFailureRate: 0, timeToRestoreSeconds: null },
    ]);
    expect(JSON.stringify(data)).not.toContain(SECRET);
  });
});

describe('packaging', () => {
  it('ships every file of the page in the npm package ("files" of package.json)', () => {
    const patterns = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { files: string[] }).files;
    // npm's "files": a folder takes all under it; `*` stands for any name within one folder.
    const globRe = (p: string): RegExp => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(/.*)?$`);
    for (const file of Object.values(DASHBOARD_ASSETS)) expect(patterns.some((p) => globRe(p).test(`dashboard/${file}`)), file).toBe(true);
  });

  it('a missing file is an error that names it', () => {
    expect(() => loadAssets(new URL('file:///nonexistent/dashboard/'))).toThrow("the dashboard's file index.html is missing from /nonexistent/dashboard/ (ENOENT): reinstall shipgate");
  });
});
