import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, type Project } from '../support/project.js';
import { startTarget, type Target } from '../support/http-target.js';
import { BOUNDARIES, crashAt, expectConsistent, newCrashProject } from './crash-cases.js';

/**
 * Acceptance (crash, policy resume): SIGKILL at every stage boundary; the next
 * command resumes the deployment from the interrupted stage to success.
 */
let target: Target;
let p: Project;

beforeAll(async () => {
  target = await startTarget({ '/health': 200, '/api': 200 });
  p = await newCrashProject('resume', target);
});
afterAll(async () => {
  await p?.cleanup();
  await target?.close();
});

describe('SIGKILL at each stage boundary, then the next command (policy resume)', () => {
  BOUNDARIES.forEach((boundary, i) => {
    it(`after ${boundary}`, async () => {
      const version = `v1.${i + 1}.0`;
      await crashAt(p, target, version, boundary);
      const r = await p.run(['resume', '--json'], { env: { TARGET: target.url } });
      const out = json<{ recovered: { status: string; version: string }[] }>(r);
      expect(out.recovered, `${boundary}\n${r.stderr}`).toEqual([expect.objectContaining({ version, status: 'succeeded' })]);
      await expectConsistent(p, target, version, boundary);
    });
  });

  it('an undo under way is completed even under policy resume', async () => {
    target.status.set('/api', 500);
    await crashAt(p, target, 'v2.0.0', 'undo:started:deploy');
    target.status.set('/api', 200);
    const r = await p.run(['resume', '--json'], { env: { TARGET: target.url } });
    expect(json<{ recovered: { status: string }[] }>(r).recovered).toEqual([expect.objectContaining({ status: 'rolled_back' })]);
    await expectConsistent(p, target, `v1.${BOUNDARIES.length}.0`, 'undo crash');
  });
});
