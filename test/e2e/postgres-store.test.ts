import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/pg.js';
import { json, makeProject, type Project, SCRIPTS_PROVIDER } from '../support/project.js';

/** The whole pipeline with the state store on PostgreSQL (teams share one store). */

let db: TestDatabase;
let p: Project;

beforeAll(async () => {
  db = await createTestDatabase();
  p = await makeProject(`
app: pgteam
store: { url: "\${STATE_URL}" }
${SCRIPTS_PROVIDER}`);
});
afterAll(async () => {
  await p?.cleanup();
  await db?.drop();
});

const env = (extra: Record<string, string> = {}) => ({ STATE_URL: db.url, ...extra });

describe('pipeline on a PostgreSQL store', () => {
  it('deploys, rolls back a failure, and reads history and status', async () => {
    expect((await p.run(['deploy', 'v1.0.0'], { env: env() })).code).toBe(0);
    const failed = await p.run(['deploy', 'v1.1.0'], { env: env({ FAIL_DEPLOY: '1' }) });
    expect(failed.code).toBe(1);
    expect((await p.read('live.txt')).trim()).toBe('v1.0.0');
    const history = json<{ version: string; status: string }[]>(await p.run(['history', '--json'], { env: env() }));
    expect(history.map((h) => [h.version, h.status])).toEqual([
      ['v1.1.0', 'rolled_back'],
      ['v1.0.0', 'succeeded'],
    ]);
    const status = json<{ live: { version: string }; lock: unknown }[]>(await p.run(['status', '--json'], { env: env() }))[0]!;
    expect(status.live.version).toBe('v1.0.0');
    expect(status.lock).toBeNull();
    expect(p.dir).toBeTruthy();
  });

  it('the lock holds across processes', async () => {
    const release = join(p.dir, 'release-pg');
    const holder = p.spawn(['deploy', 'v1.2.0'], { env: env({ HOLD_UNTIL: release }) });
    await holder.waitFor('deploy/deploy started');
    const second = await p.run(['deploy', 'v1.2.1'], { env: env() });
    await writeFile(release, '');
    expect(second.code).toBe(5);
    expect(second.stderr).toContain('pgteam/production is locked by deployment');
    expect((await holder.done).code).toBe(0);
  });

  it('a crash is recovered through the shared store', async () => {
    const r = await p.run(['deploy', 'v1.3.0'], { env: env({ SHIPGATE_CRASH_AFTER: 'stage:started:deploy' }) });
    expect(r.signal).toBe('SIGKILL');
    const status = json<{ activity: { state: string }[] }[]>(await p.run(['status', '--json'], { env: env() }))[0]!;
    expect(status.activity.map((a) => a.state)).toEqual(['interrupted']);
    const resumed = json<{ recovered: { status: string }[] }>(await p.run(['resume', '--json'], { env: env() }));
    expect(resumed.recovered).toEqual([expect.objectContaining({ status: 'rolled_back' })]);
    expect((await p.read('live.txt')).trim()).toBe('v1.2.0');
  });
});
