import { describe, expect, it } from 'vitest';
import { spawnCli } from '../support/project.js';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';

/** Acceptance: `npm run demo` (= `shipgate demo`) succeeds, and cleans up its processes. */
describe('the demo', () => {
  it('deploys v1.0.0, promotes the v1.1.0 canary and rolls back the faulty v1.2.0 automatically', async () => {
    const run = spawnCli(['demo'], tmpdir());
    const r = await run.done;
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/v1\.0\.0\s+immediate\s+100%\s+succeeded\s+succeeded/);
    expect(r.stdout).toMatch(/v1\.1\.0\s+canary\s+5% → 50% → 100%\s+succeeded\s+succeeded\s+\S+\s+\d+\s+0\s+-/);
    expect(r.stdout).toMatch(/v1\.2\.0\s+canary\s+5% ✖\s+rolled_back\s+rolled_back/);
    expect(r.stdout).toContain('✔ every deployment ended as expected');
    const workspace = /shipgate demo in (\S+)/.exec(r.stdout)![1]!;
    // No process is left in the workspace: neither the agent (its arguments name it) nor an instance (its cwd is in it).
    const leftovers = readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .filter((pid) => {
        try {
          return readlinkSync(`/proc/${pid}/cwd`).startsWith(workspace) || readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(workspace);
        } catch {
          return false;
        }
      });
    expect(leftovers).toEqual([]);
  }, 180_000);
});
