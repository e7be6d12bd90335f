/**
 * `shipgate preview up/down` with the local provider, through the CLI: the pull request's
 * environment gets its own port and agent, serves its version there, and down leaves no
 * process of the project behind. Bad input gets a usage error (exit 2).
 */
import { copyFile } from 'node:fs/promises';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { json, makeProject, REPO_ROOT, type Project } from '../support/project.js';
import { freePort, httpGet, killLeftovers } from '../support/local-project.js';

let p: Project | null = null;
afterEach(async () => {
  if (p) killLeftovers(p.dir);
  await p?.cleanup();
  p = null;
});

/** Processes whose working folder or command line is in the project. */
function projectProcesses(dir: string): number[] {
  const pids: number[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readlinkSync(`/proc/${pid}/cwd`).startsWith(dir) || readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)) pids.push(Number(pid));
    } catch {
      // gone already, or not ours to look at
    }
  }
  return pids;
}

describe('preview environments with the local provider', () => {
  it('up serves the pull request on its own port, the URL in --json; down stops its agent and instances', async () => {
    const [prodPort, stagingPort] = [await freePort(), await freePort()];
    p = await makeProject(
      `app: previewed
provider:
  type: local
  command: ["node", "dist/server.js"]
  instances: 1
  readiness: { path: /health, interval: 100ms, timeout: 1s, grace: 15s }
  stopTimeout: 3s
  deadman: 3s
build:
  command: ["node", "build.js"]
  artifacts: [dist]
rollout: { strategy: immediate }
environments:
  production: { provider: { listen: "127.0.0.1:${prodPort}" } }
  staging: { provider: { listen: "127.0.0.1:${stagingPort}" } }
`,
      {},
    );
    for (const f of ['server.js', 'build.js', 'package.json']) await copyFile(join(REPO_ROOT, 'examples/demo-app', f), join(p.dir, f));

    const up = await p.run(['preview', 'up', '--pr', '7', '--json'], { env: { HEAD_SHA: '0123456789abcdef' } });
    expect(up.code, up.stderr).toBe(0);
    const doc = json<{ ok: boolean; url: string; port: number; environment: string; version: string }>(up);
    expect(doc).toMatchObject({ ok: true, environment: 'pr-7', version: 'v0.0.0-pr.7.g0123456' });
    expect(doc.url).toBe(`http://127.0.0.1:${doc.port}`);
    expect([prodPort, stagingPort]).not.toContain(doc.port);

    const answer = await httpGet(doc.port, '/');
    expect(answer).toMatchObject({ status: 200, version: 'v0.0.0-pr.7.g0123456' });
    expect(projectProcesses(p.dir).length).toBeGreaterThan(0);

    // Local previews are known from this host's records; a fresh one is kept, and says why.
    const prune = await p.run(['preview', 'prune', '--older-than', '7d', '--dry-run', '--json']);
    expect(prune.code, prune.stderr).toBe(0);
    const pruned = json<{ dry_run: boolean; removed: unknown[]; kept: { pr: number; environment: string; reason: string }[] }>(prune);
    expect(pruned).toMatchObject({ dry_run: true, removed: [], kept: [{ pr: 7, environment: 'pr-7' }] });
    expect(pruned.kept[0]?.reason).toMatch(/^last brought up \d+s ago, within 7d$/);

    const down = await p.run(['preview', 'down', '--pr', '7']);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toContain('preview of pull request 7 is down (local agent of pr-7 removed)');
    expect(projectProcesses(p.dir)).toEqual([]);
    await expect(httpGet(doc.port, '/')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('bad input is a usage error (exit 2) saying what is wrong', async () => {
    p = await makeProject('app: x\nprovider: { type: local, command: ["node", "server.js"] }\n', {});
    const cases: [string[], string][] = [
      [['preview', 'up', '--pr', 'abc'], '--pr: expected a pull request number like 42 (got "abc")'],
      [['preview', 'down'], '--pr is required: the pull request number, e.g. --pr 42'],
      [['preview', 'prune', '--older-than', 'a week'], '--older-than: expected a duration like "30s", "10m" or "1h" (got "a week")'],
      [['preview', 'prune'], '--older-than is required, e.g. --older-than 7d'],
    ];
    const results = await Promise.all(cases.map(([args]) => p!.run(args)));
    expect(results.map((r) => [r.code, r.stderr.trim()])).toEqual(cases.map(([, message]) => [2, message]));
  });
});
