import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, type Project } from '../support/project.js';
import { startTarget, type Target } from '../support/http-target.js';
import { BOUNDARIES, crashAt, deployBegan, expectConsistent, newCrashProject } from './crash-cases.js';

/**
 * Acceptance (crash, policy rollback): SIGKILL `shipgate deploy` at every stage
 * boundary; `status` shows it interrupted; the next command rolls it back (or
 * finalizes it when every stage had finished) and everything ends consistent.
 */
let target: Target;
let p: Project;
let live = 'v1.0.0';

beforeAll(async () => {
  target = await startTarget({ '/health': 200, '/api': 200 });
  p = await newCrashProject('rollback', target);
});
afterAll(async () => {
  await p?.cleanup();
  await target?.close();
});

describe('SIGKILL at each stage boundary, then the next command (policy rollback)', () => {
  BOUNDARIES.forEach((boundary, i) => {
    it(`after ${boundary}`, async () => {
      const version = `v1.${i + 1}.0`;
      await crashAt(p, target, version, boundary);
      // Alternate the command that finds it: resume, rollback-less deploy, resume...
      const next = i % 2 === 0 ? ['resume', '--json'] : ['deploy', `v1.${i + 1}.1`, '--json'];
      const r = await p.run(next, { env: { TARGET: target.url } });
      const out = json<{ recovered: { status: string; version: string }[]; status: string }>(r);
      const allDone = boundary === 'stage:finished:smoke';
      const expected = allDone ? 'succeeded' : deployBegan(boundary) ? 'rolled_back' : 'failed';
      expect(out.recovered, `${boundary}\n${r.stderr}`).toEqual([expect.objectContaining({ version, status: expected })]);
      if (allDone) live = version;
      if (next[0] === 'deploy') {
        expect(out.status).toBe('succeeded');
        live = next[1]!;
      }
      await expectConsistent(p, target, live, boundary);
    });
  });

  it('a crash in the middle of an undo is finished by the next command', async () => {
    target.status.set('/api', 500);
    await crashAt(p, target, 'v2.0.0', 'undo:started:deploy');
    target.status.set('/api', 200);
    const r = await p.run(['resume', '--json'], { env: { TARGET: target.url } });
    expect(json<{ recovered: { status: string }[] }>(r).recovered).toEqual([expect.objectContaining({ status: 'rolled_back' })]);
    await expectConsistent(p, target, live, 'undo crash');
  });
});
