/**
 * Shared by the crash tests: SIGKILL `shipgate deploy` right after each stage
 * boundary is journaled (SHIPGATE_CRASH_AFTER), then let the next command finish it.
 */
import { expect } from 'vitest';
import { json, makeProject, type Project } from '../support/project.js';
import type { Target } from '../support/http-target.js';

export const STAGES = ['gates', 'build', 'deploy', 'verify', 'smoke'] as const;

/** Every stage boundary of a deploy, in order. */
export const BOUNDARIES = ['deploy:started', ...STAGES.flatMap((s) => [`stage:started:${s}`, `stage:finished:${s}`])];

export function crashConfig(policy: 'rollback' | 'resume'): string {
  return `
app: crashtest
provider:
  type: command
  deploy: ["./scripts/deploy.sh"]
  rollback: ["./scripts/rollback.sh"]
  health: { url: "\${TARGET}/health", retries: 2, interval: 1s, timeout: 10s }
build:
  command: ["./scripts/build.sh"]
  artifacts: [dist]
smoke:
  - { name: api, url: "\${TARGET}/api", timeout: 10s }
resume: { policy: ${policy} }
`;
}

export interface StatusJson {
  live: { version: string } | null;
  activity: { deployment_id: string; state: string }[];
  lock: unknown;
}

export async function statusOf(p: Project, target: Target): Promise<StatusJson> {
  const r = await p.run(['status', '--json'], { env: { TARGET: target.url } });
  return json<StatusJson[]>(r)[0]!;
}

/** Did the boundary come after the deploy stage began (so the target may have changed)? */
export function deployBegan(boundary: string): boolean {
  return BOUNDARIES.indexOf(boundary) >= BOUNDARIES.indexOf('stage:started:deploy');
}

export async function newCrashProject(policy: 'rollback' | 'resume', target: Target): Promise<Project> {
  const p = await makeProject(crashConfig(policy));
  const first = await p.run(['deploy', 'v1.0.0'], { env: { TARGET: target.url } });
  expect(first.code, first.stderr).toBe(0);
  return p;
}

/** Crashes a deploy of `version` at `boundary`; asserts it died by SIGKILL and shows as interrupted. */
export async function crashAt(p: Project, target: Target, version: string, boundary: string): Promise<void> {
  const r = await p.run(['deploy', version], { env: { TARGET: target.url, SHIPGATE_CRASH_AFTER: boundary } });
  expect(r.signal, `${boundary}: ${r.stdout}\n${r.stderr}`).toBe('SIGKILL');
  const s = await statusOf(p, target);
  expect(s.activity.map((a) => a.state), boundary).toEqual(['interrupted']);
}

/** The store and the target agree, nothing is left running, the lock is free. */
export async function expectConsistent(p: Project, target: Target, expectedLive: string, context: string): Promise<void> {
  const s = await statusOf(p, target);
  expect(s.activity, context).toEqual([]);
  expect(s.lock, context).toBeNull();
  expect(s.live?.version, context).toBe(expectedLive);
  expect((await p.read('live.txt')).trim(), context).toBe(expectedLive);
}
