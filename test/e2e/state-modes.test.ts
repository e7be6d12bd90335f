import { lstatSync, readdirSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CliResult } from '../support/project.js';
import { makeLocalProject, type LocalProject } from '../support/local-project.js';

/** Everything shipgate writes under `.shipgate/` is for its user only, whatever the umask. */

let p: LocalProject | null = null;
afterEach(async () => {
  await p?.dispose();
  p = null;
});

/** Runs the CLI with `mask` as its umask (the agent it starts inherits it). */
function runWithUmask(q: LocalProject, mask: number, args: string[]): Promise<CliResult> {
  const old = process.umask(mask);
  try {
    return q.run(args); // spawns before its first await: the child gets `mask`
  } finally {
    process.umask(old);
  }
}

/** `path mode` for every folder, file and socket under `dir` (symlinks have no mode of their own). */
function modes(dir: string): string[] {
  const out: string[] = [];
  const visit = (path: string): void => {
    const s = lstatSync(path);
    if (s.isSymbolicLink()) return;
    out.push(`${relative(dir, path) || '.'} ${(s.mode & 0o777).toString(8)}`);
    if (s.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  visit(dir);
  return out.sort();
}

describe.each([
  ['000', 0o000],
  ['077', 0o077],
])('with umask %s', (_label, mask) => {
  it('.shipgate folders are 0700, files 0600 (a release executable 0700): state.db, records, releases, cache, the agent and its logs', async () => {
    p = await makeLocalProject();
    await chmod(join(p.dir, 'server.js'), 0o755);
    for (const args of [['deploy', 'v1.0.0'], ['deploy', 'v1.1.0'], ['status']]) {
      const r = await runWithUmask(p, mask, args);
      expect(r.code, r.stdout + r.stderr).toBe(0);
    }
    const all = modes(join(p.dir, '.shipgate'));
    const names = all.map((l) => l.split(' ')[0]!);
    // What this test covers is really there.
    for (const expected of ['state.db', 'records', 'cache', 'releases/v1.1.0/manifest.json', 'agent/production/agent.sock', 'agent/production/agent.pid', 'agent/production/agent.log', 'agent/production/state.json', 'agent/production/logs/v1.1.0', 'agent/production/router.sock', 'agent/production/router.log', 'agent/production/router-table.json', 'agent/production/keeper.pid']) {
      expect(names).toContain(expected);
    }
    const wrong = all.filter((line) => {
      const [path, mode] = line.split(' ') as [string, string];
      const s = lstatSync(join(p!.dir, '.shipgate', path));
      if (s.isDirectory()) return mode !== '700';
      if (/^releases\/[^/]+\/dist\/server\.js$/.test(path)) return mode !== '700';
      return mode !== '600';
    });
    expect(wrong).toEqual([]);
  });
});
