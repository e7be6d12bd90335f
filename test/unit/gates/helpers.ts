import { vi } from 'vitest';
import type { GateContext } from '../../../src/gates/contract.js';
import type { GateName } from '../../../src/config/schema/index.js';
import { FakeClock } from '../../../src/runtime/clock.js';
import type { HttpClient } from '../../../src/runtime/http.js';
import type { Runner } from '../../../src/runtime/process.js';

export const SHA = '0123456789abcdef0123456789abcdef01234567';

export interface TestContext extends GateContext {
  clock: FakeClock;
  waits: { gate: GateName; message: string }[];
}

const noHttp: HttpClient = () => Promise.reject(new Error('no HTTP in this test'));
const noRun: Runner = () => Promise.reject(new Error('no processes in this test'));

/** A gate context with a fake clock and no effects unless given. */
export function makeContext(overrides: Partial<GateContext> & { clock?: FakeClock } = {}): TestContext {
  const waits: TestContext['waits'] = [];
  return {
    app: 'shop',
    environment: 'production',
    version: 'v1.2.3',
    kind: 'deploy',
    gitSha: SHA,
    actor: 'alice',
    deploymentId: 'dep_1',
    emergency: null,
    at: null,
    noWait: false,
    http: noHttp,
    run: noRun,
    listApprovals: () => Promise.resolve([]),
    onWait: (gate, message) => waits.push({ gate, message }),
    mask: (t) => t,
    ...overrides,
    clock: overrides.clock ?? new FakeClock('2026-11-23T17:00:00Z'),
    waits,
  };
}

/** Resolves once the code under test is parked in `clock.sleep` or `p` has settled. */
export async function untilParkedOrSettled(clock: FakeClock, settled: () => boolean): Promise<void> {
  await vi.waitFor(
    () => {
      if (!settled() && clock.pending === 0) throw new Error('still running');
    },
    { timeout: 10_000, interval: 1 },
  );
}

/**
 * Runs `p` to completion, advancing the fake clock by `stepMs` each time the code
 * under test is parked in a sleep. Returns the result and how much fake time passed.
 */
export async function drive<T>(p: Promise<T>, clock: FakeClock, stepMs: number): Promise<{ value: T; elapsedMs: number }> {
  const start = clock.now();
  let settled = false;
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (;;) {
    await untilParkedOrSettled(clock, () => settled);
    if (settled) return { value: await p, elapsedMs: clock.now() - start };
    await clock.advance(stepMs);
  }
}

/** Tracks whether a promise has settled. */
export function track<T>(p: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  return { promise: p, settled: () => done };
}
