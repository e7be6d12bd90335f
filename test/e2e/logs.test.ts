import { appendFile, copyFile, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, makeProject, type Project } from '../support/project.js';

/** `shipgate logs`: reads the instance log files under .shipgate/agent/<env>/logs directly; no agent involved. */

const CONFIG = `
app: x
provider: { type: local, command: ["node", "server.js"] }
`;

const LOGS = '.shipgate/agent/production/logs';
const numbered = (from: number, to: number, tag: string): string => Array.from({ length: to - from + 1 }, (_, i) => `${tag} ${from + i}\n`).join('');

let p: Project;
beforeAll(async () => {
  p = await makeProject(CONFIG, {});
  await p.write(`${LOGS}/v1.0.0/v1.0.0#1.log.1`, numbered(1, 50, 'one'));
  await p.write(`${LOGS}/v1.0.0/v1.0.0#1.log`, numbered(51, 150, 'one'));
  await p.write(`${LOGS}/v1.0.0/v1.0.0#2.log`, numbered(1, 3, 'two'));
  await p.write(`${LOGS}/v1.0.0/v1.0.0#10.log`, 'ten 1\n');
  await p.write(`${LOGS}/v2.0.0/v2.0.0#1.log`, 'new version\n');
  await p.write(`${LOGS}/v2.0.0/notes.txt`, 'not a log\n');
});
afterAll(async () => p?.cleanup());

const lines = (stdout: string): string[] => stdout.split('\n').filter((l) => l !== '');

describe('shipgate logs', () => {
  it('prints the last 100 lines of each instance, prefixed version/instance, in natural order', async () => {
    const r = await p.run(['logs']);
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    expect(out).toHaveLength(100 + 3 + 1 + 1);
    expect(out[0]).toBe('v1.0.0/v1.0.0#1 | one 51');
    expect(out[99]).toBe('v1.0.0/v1.0.0#1 | one 150');
    expect(out.slice(100)).toEqual(['v1.0.0/v1.0.0#2 | two 1', 'v1.0.0/v1.0.0#2 | two 2', 'v1.0.0/v1.0.0#2 | two 3', 'v1.0.0/v1.0.0#10 | ten 1', 'v2.0.0/v2.0.0#1 | new version']);
  });

  it('--lines N, --version and --instance narrow it down; rotated files fill in when the current one is short', async () => {
    expect(lines((await p.run(['logs', '--version', 'v1.0.0', '--lines', '2'])).stdout)).toEqual([
      'v1.0.0/v1.0.0#1 | one 149',
      'v1.0.0/v1.0.0#1 | one 150',
      'v1.0.0/v1.0.0#2 | two 2',
      'v1.0.0/v1.0.0#2 | two 3',
      'v1.0.0/v1.0.0#10 | ten 1',
    ]);
    expect(lines((await p.run(['logs', '--instance', 'v2.0.0#1'])).stdout)).toEqual(['v2.0.0/v2.0.0#1 | new version']);
    const deep = lines((await p.run(['logs', '--instance', 'v1.0.0#1', '-n', '102'])).stdout);
    expect(deep.slice(0, 3)).toEqual(['v1.0.0/v1.0.0#1 | one 49', 'v1.0.0/v1.0.0#1 | one 50', 'v1.0.0/v1.0.0#1 | one 51']);
  });

  it('--json prints one document of {version, instance, line}', async () => {
    const r = await p.run(['logs', '--version', 'v2.0.0', '--json']);
    expect(json<unknown[]>(r)).toEqual([{ version: 'v2.0.0', instance: 'v2.0.0#1', line: 'new version' }]);
  });

  it('says so when there is nothing to show, and rejects bad flags (exit 2)', async () => {
    const version = await p.run(['logs', '--version', 'v9']);
    expect(version.code).toBe(2);
    expect(version.stderr).toContain('no logs for version v9 in .shipgate/agent/production/logs');
    const instance = await p.run(['logs', '--instance', 'v1.0.0#7']);
    expect(instance.code).toBe(2);
    expect(instance.stderr).toContain('no logs for instance v1.0.0#7 in .shipgate/agent/production/logs');
    const badLines = await p.run(['logs', '--lines', 'many']);
    expect(badLines.code).toBe(2);
    expect(badLines.stderr).toContain('--lines: expected a whole number from 0 to 100000 (got "many")');
    const badVersion = await p.run(['logs', '--version', '../..']);
    expect(badVersion.code).toBe(2);
    expect(badVersion.stderr).toContain('--version: version "../.." contains "/"');
    const followJson = await p.run(['logs', '--follow', '--json']);
    expect(followJson.code).toBe(2);
    expect(followJson.stderr).toContain('--follow cannot be combined with --json');
  });

  it('with no logs at all, says so on stderr and exits 0', async () => {
    const empty = await makeProject(CONFIG, {});
    try {
      const r = await empty.run(['logs']);
      expect(r).toMatchObject({ code: 0, stdout: '' });
      expect(r.stderr).toContain('no instance logs yet (in .shipgate/agent/production/logs)');
    } finally {
      await empty.cleanup();
    }
  });

  it('--follow prints new lines, new instances and lines across a rotation, until SIGINT (exit 0)', async () => {
    const f = p.spawn(['logs', '--follow', '--version', 'v2.0.0', '-n', '1']);
    try {
      await f.waitFor('v2.0.0/v2.0.0#1 | new version\n');
      const log = join(p.dir, LOGS, 'v2.0.0', 'v2.0.0#1.log');
      await appendFile(log, 'appended 1\nappended 2\n');
      await f.waitFor('v2.0.0/v2.0.0#1 | appended 2\n');
      await p.write(`${LOGS}/v2.0.0/v2.0.0#2.log`, 'second instance\n');
      await f.waitFor('v2.0.0/v2.0.0#2 | second instance\n');
      // Copy-and-truncate, as the supervisor rotates; a line lands in the old file just before.
      await appendFile(log, 'just before rotation\n');
      await copyFile(log, `${log}.1`);
      await truncate(log, 0);
      await appendFile(log, 'after rotation\n');
      await f.waitFor('v2.0.0/v2.0.0#1 | after rotation\n');
      f.child.kill('SIGINT');
      const r = await f.done;
      expect(r.code).toBe(0);
      const out = lines(r.stdout);
      expect(out.filter((l) => l.startsWith('v2.0.0/v2.0.0#1 |'))).toEqual([
        'v2.0.0/v2.0.0#1 | new version',
        'v2.0.0/v2.0.0#1 | appended 1',
        'v2.0.0/v2.0.0#1 | appended 2',
        'v2.0.0/v2.0.0#1 | just before rotation',
        'v2.0.0/v2.0.0#1 | after rotation',
      ]);
    } finally {
      f.child.kill('SIGKILL');
    }
  });
});
