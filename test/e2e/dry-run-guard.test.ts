/** `deploy --dry-run` shows the destructive-migration guard's verdict per database, reading only the files and the history table. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { json, makeProject, SCRIPTS_PROVIDER, type Project } from '../support/project.js';

const ROLLOUTS: Record<string, string> = {
  canary: `provider:
  type: local
  command: ["node", "server.js"]
  listen: "127.0.0.1:1"
build:
  command: ["true"]
  artifacts: [server.js]
rollout:
  strategy: canary
  steps: [{ weight: 50, pause: 1s }, { weight: 100, pause: 0s }]
`,
  immediate: SCRIPTS_PROVIDER,
};

const config = (strategy: string) => `app: guard
${ROLLOUTS[strategy]}databases:
  main:
    type: sqlite
    url: "sqlite:data/main.db"
    migrations: { tool: builtin, dir: migrations }
  other:
    type: sqlite
    url: "sqlite:data/other.db"
    migrations: { tool: builtin, dir: other-migrations }
`;

let p: Project | null = null;
afterEach(async () => {
  await p?.cleanup();
  p = null;
});

async function project(strategy: string): Promise<Project> {
  p = await makeProject(config(strategy));
  await p.write('data/.keep', '');
  new Database(join(p.dir, 'data/main.db')).exec('CREATE TABLE users (id integer, note text);');
  await p.write('migrations/0001_base.up.sql', 'CREATE TABLE users (id integer, note text);\n');
  await p.write('other-migrations/0001_base.up.sql', 'CREATE TABLE t (id integer);\n');
  return p;
}

describe('deploy --dry-run: the destructive-migration guard', () => {
  it('names what would block, with the rule and the statement, exits 3, and touches no database', async () => {
    const q = await project('canary');
    await q.write('migrations/0002_drop_note.up.sql', 'ALTER TABLE users DROP COLUMN note;\nCREATE INDEX users_id ON users (id);\n');
    const r = await q.run(['deploy', 'v1.0.0', '--dry-run']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout).toContain(`
destructive-migration guard:
  main      block      2 pending (0001_base, 0002_drop_note): the deploy would be blocked (exit 3) before anything changes; split the change (expand/contract) or deploy with --allow-destructive
     - [drop-column] 0002_drop_note.up.sql statement 1: DROP COLUMN breaks the version still running during a canary (it reads the column); split it into expand/contract: stop using the column, deploy, then drop it in a later deploy marked -- shipgate:contract
       statement: ALTER TABLE users DROP COLUMN note
  other     pass       1 pending (0001_base): no destructive statement
`);
    expect(r.stdout).toContain('\nthe destructive-migration guard blocks: a real deploy would stop before changing anything\n');
    // Read only: no SQLite file made for the database that has none, no history table made in the other.
    expect(existsSync(join(q.dir, 'data/other.db'))).toBe(false);
    expect(new Database(join(q.dir, 'data/main.db')).prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all()).toEqual([{ name: 'users' }]);
  });

  it('--allow-destructive: allowed; an immediate rollout: passes; --json gives the verdicts as data', async () => {
    const q = await project('canary');
    await q.write('migrations/0002_drop_note.up.sql', 'ALTER TABLE users DROP COLUMN note;\n');
    const allowed = json<{ would_proceed: boolean; migrations: { database: string; verdict: string; findings: { rule: string; text: string }[] }[] }>(await q.run(['deploy', 'v1.0.0', '--dry-run', '--allow-destructive', '--json']));
    expect(allowed.would_proceed).toBe(true);
    expect(allowed.migrations.map((m) => [m.database, m.verdict, m.findings.map((f) => [f.rule, f.text])])).toEqual([
      ['main', 'allowed', [['drop-column', 'ALTER TABLE users DROP COLUMN note']]],
      ['other', 'pass', []],
    ]);
    await q.write('shipgate.yaml', config('immediate'));
    const r = await q.run(['deploy', 'v1.0.0', '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('  main      pass       2 pending (0001_base, 0002_drop_note): destructive statements pass, one version runs at a time (immediate rollout)\n     - [drop-column] 0002_drop_note.up.sql statement 1:');
  });
});
