import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { json, makeProject, type CliResult, type Project, SCRIPTS_PROVIDER } from '../support/project.js';

/** Acceptance (lock): 10 concurrent deploys on one environment: exactly 1 runs, 9 exit 5 naming the holder. */

const CONFIG = `
app: locktest
${SCRIPTS_PROVIDER}`;

let p: Project;
beforeAll(async () => {
  p = await makeProject(CONFIG);
});
afterAll(async () => p?.cleanup());

async function waitForLock(): Promise<{ deployment_id: string; pid: number }> {
  for (let i = 0; i < 200; i++) {
    const s = json<{ lock: { deployment_id: string; pid: number } | null }[]>(await p.run(['status', '--json']))[0]!;
    if (s.lock) return s.lock;
  }
  throw new Error('the lock was never taken');
}

describe('one deployment per app and environment', () => {
  it('10 concurrent deploys: exactly 1 runs, 9 exit 5 and name the holder', async () => {
    // The winner's deploy script holds until every loser has exited: no timing assumptions.
    const release = join(p.dir, 'release-the-winner');
    const runs = Array.from({ length: 10 }, (_, i) => p.spawn(['deploy', `v1.0.${i}`], { env: { HOLD_UNTIL: release } }));
    const finished: CliResult[] = [];
    const results = await Promise.all(
      runs.map(async (r) => {
        const res = await r.done;
        finished.push(res);
        if (finished.length === 9) await writeFile(release, '');
        return res;
      }),
    );
    const winners = results.filter((r) => r.code === 0);
    const losers = results.filter((r) => r.code === 5);
    expect(winners, results.map((r) => `${r.code}: ${r.stderr}`).join('\n')).toHaveLength(1);
    expect(losers).toHaveLength(9);
    const holder = /as (dep_\d{8}T\d{6}Z_[a-z0-9]{5})/.exec(winners[0]!.stdout)![1]!;
    for (const l of losers) {
      expect(l.stderr).toMatch(new RegExp(`locktest/production is locked by deployment ${holder} \\(by tester, since \\d{4}-\\d{2}-\\d{2}T[0-9:.]+Z, pid \\d+ on \\S+\\)`));
    }
    const deploys = (await p.read('calls.log')).trim().split('\n').filter((l) => l.startsWith('deploy'));
    expect(deploys).toHaveLength(1);
    const history = json<unknown[]>(await p.run(['history', '--json']));
    expect(history).toHaveLength(1);
  });

  it('--lock-wait waits for the holder to finish, then runs', async () => {
    const release = join(p.dir, 'release-2');
    const first = p.spawn(['deploy', 'v2.0.0'], { env: { HOLD_UNTIL: release } });
    const lock = await waitForLock();
    const blocked = await p.run(['deploy', 'v2.0.1']);
    expect(blocked.code).toBe(5);
    expect(blocked.stderr).toContain(lock.deployment_id);
    const second = p.spawn(['deploy', 'v2.0.1', '--lock-wait', '60s', '--json']);
    await writeFile(release, '');
    const firstResult = await first.done;
    const secondResult = await second.done;
    expect(firstResult.code).toBe(0);
    expect(secondResult.code, secondResult.stderr).toBe(0);
    const rec = json<{ record: { previous_version: string } }>(secondResult).record;
    expect(rec.previous_version).toBe('v2.0.0');
    expect((await p.read('live.txt')).trim()).toBe('v2.0.1');
  });

  it('--lock-wait gives up with exit 5 after the wait', async () => {
    const release = join(p.dir, 'release-3');
    const first = p.spawn(['deploy', 'v3.0.0'], { env: { HOLD_UNTIL: release } });
    await waitForLock();
    const r = await p.run(['deploy', 'v3.0.1', '--lock-wait', '1s']);
    await writeFile(release, '');
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/\(waited \ds\)/);
    expect((await first.done).code).toBe(0);
  });

  it('a malformed --lock-wait is a usage error (exit 2)', async () => {
    const r = await p.run(['deploy', 'v4.0.0', '--lock-wait', 'ten minutes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--lock-wait: expected a duration like "30s", "10m" or "1h" (got "ten minutes")');
  });
});
