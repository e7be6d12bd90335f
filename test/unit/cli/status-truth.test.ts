import { describe, expect, it } from 'vitest';
import { truthWarnings, type RoutedView } from '../../../src/cli/commands/status-truth.js';
import { describeEnvironment } from '../../../src/pipeline/environment-status.js';
import { currentIdentity } from '../../../src/runtime/process-identity.js';
import type { Store } from '../../../src/store/contract.js';
import { makeRow } from '../pipeline/helpers.js';

/** `shipgate status` compares the store with what the router process serves, and the agent's word with the router's. */

const NOW = Date.parse('2026-11-23T18:00:00.000Z');
const live = makeRow({ id: 'dep_live', version: 'v1.1.0', previousVersion: 'v1.0.0', status: 'succeeded', finishedAt: new Date(NOW - 60_000).toISOString() });
const settled = describeEnvironment({ app: 'demo', environment: 'production', live, unfinished: [], lock: undefined, me: currentIdentity(), nowMs: NOW, rollbackWindow: '60m' });
/** No status script in these cases: the store is not read. */
const store = {} as Store;

function view(v: Partial<RoutedView>): RoutedView {
  return { weights: { 'v1.1.0': 100 }, agentWeights: null, rolloutActive: false, ...v };
}

describe('truthWarnings: agent and router', () => {
  it('says nothing when the router serves what the agent holds (versions at 0% and key order aside)', async () => {
    expect(await truthWarnings(settled, view({ weights: { 'v1.0.0': 0, 'v1.1.0': 100 }, agentWeights: { 'v1.1.0': 100 } }), null, store)).toEqual([]);
  });

  it('names both splits when the agent holds weights its router does not serve, and says the router is what is live', async () => {
    const w = await truthWarnings(settled, view({ weights: { 'v1.1.0': 100 }, agentWeights: { 'v1.0.0': 100 } }), null, store);
    expect(w).toEqual([
      'the agent of demo/production holds v1.0.0=100%, but its router serves v1.1.0=100%; the router\'s is what is live (shipgate agent status --env production; the next deploy or rollback sets the weights again)',
    ]);
  });

  it('compares the store with what the router serves, not with the agent', async () => {
    const w = await truthWarnings(settled, view({ weights: { 'v1.0.0': 100 }, agentWeights: { 'v1.1.0': 100 } }), null, store);
    expect(w[0]).toBe('the store says v1.1.0 is live in demo/production, but the router sends most traffic to v1.0.0');
    expect(w).toHaveLength(2);
  });

  it('says nothing while a rollout splits traffic on purpose', async () => {
    expect(await truthWarnings(settled, view({ weights: { 'v1.1.0': 95, 'v1.2.0': 5 }, agentWeights: { 'v1.1.0': 50, 'v1.2.0': 50 }, rolloutActive: true }), null, store)).toEqual([]);
  });
});
