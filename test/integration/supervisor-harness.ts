/**
 * Shared by the supervisor integration tests: real instances of
 * test/support/instance-app.mjs under a supervisor with a temp state folder,
 * short real durations, and a polling wait with a deadline (never a bare sleep).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { VersionSpec } from '../../src/agent/contract.js';
import { createSupervisor, type Supervisor, type SupervisorOptions } from '../../src/agent/supervisor/index.js';
import type { InstanceInfo, InstanceState } from '../../src/rollout/contract.js';
import { REPO_ROOT } from '../support/project.js';
import { makeTempDir, type TempDir } from '../support/tmp.js';

export const APP = join(REPO_ROOT, 'test/support/instance-app.mjs');

export function appSpec(version: string, releaseDir: string, env: Record<string, string> = {}, over: Partial<VersionSpec> = {}): VersionSpec {
  return {
    version,
    releaseDir,
    argv: [process.execPath, APP],
    env,
    readiness: { path: '/health', intervalMs: 50, timeoutMs: 500, graceMs: 5000 },
    stopTimeoutMs: 500,
    ...over,
  };
}

/** Polls `check` until it returns something truthy; fails with `what` after the deadline. */
export async function waitUntil<T>(what: string, check: () => T | Promise<T>, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function get(port: number, path = '/'): Promise<{ status: number; body: string } | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2000) });
    return { status: res.status, body: await res.text() };
  } catch {
    return null;
  }
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface Harness {
  tmp: TempDir;
  stateDir: string;
  /** The release folder used as cwd. */
  releaseDir: string;
  /** Every onChange, in order, from every supervisor made here. */
  changes: InstanceInfo[];
  /** Agent log lines. */
  lines: string[];
  sup: Supervisor;
  /** Another supervisor on the same state folder (a restarted agent). */
  make(extra?: Partial<SupervisorOptions>): Supervisor;
  /** States reported for one instance, consecutive repeats folded. */
  states(id: string): InstanceState[];
  cleanup(): Promise<void>;
}

/** Fast settings for real processes: 50 ms backoff doubling to 400 ms; adopted instances polled every 50 ms. */
export const FAST: Partial<SupervisorOptions> = {
  backoff: { initialMs: 50, maxMs: 400 },
  livenessPollMs: 50,
};

export async function harness(extra: Partial<SupervisorOptions> = {}): Promise<Harness> {
  const tmp = await makeTempDir('shipgate-sup-');
  const stateDir = join(tmp.path, '.shipgate', 'agent');
  const releaseDir = join(tmp.path, 'release');
  await mkdir(releaseDir, { recursive: true });
  const changes: InstanceInfo[] = [];
  const lines: string[] = [];
  const supervisors: Supervisor[] = [];
  const pids = new Set<number>();
  const make = (more: Partial<SupervisorOptions> = {}): Supervisor => {
    const onChange = (i: InstanceInfo): void => {
      changes.push(i);
      if (i.pid !== null) pids.add(i.pid);
    };
    const sup = createSupervisor({ stateDir, onChange, log: (l) => lines.push(l), ...FAST, ...extra, ...more });
    supervisors.push(sup);
    return sup;
  };
  const sup = make();
  return {
    tmp,
    stateDir,
    releaseDir,
    changes,
    lines,
    sup,
    make,
    states: (id) => changes.filter((c) => c.id === id).map((c) => c.state).filter((s, i, all) => i === 0 || all[i - 1] !== s),
    cleanup: async () => {
      for (const s of supervisors) await s.stopAll().catch(() => undefined);
      // Safety net: whatever a failed test left behind (process groups, so forked children too).
      for (const pid of pids) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      await tmp.cleanup();
    },
  };
}
