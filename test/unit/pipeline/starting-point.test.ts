import { CAPABILITIES } from '../../../src/providers/capabilities.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StageFailed } from '../../../src/errors.js';
import type { BaseContext } from '../../../src/pipeline/context.js';
import { recoverDeployment } from '../../../src/pipeline/recovery.js';
import { executeSaga } from '../../../src/pipeline/saga.js';
import { createDeployStage } from '../../../src/pipeline/stages/deploy.js';
import type { Provider } from '../../../src/providers/contract.js';
import { FakeClock } from '../../../src/runtime/clock.js';
import type { Store } from '../../../src/store/contract.js';
import { createRow, loadDoc, makeBase, makeFacts, memoryStore, T0 } from './helpers.js';

/** The deploy stage journals what the target served before anything moved, and its undo returns there. */

let store: Store;
let calls: string[];
const facts = makeFacts({ previousVersion: 'v1.0.0', version: 'v1.1.0' });

beforeEach(async () => {
  store = await memoryStore();
  calls = [];
});
afterEach(async () => store.close());

/** A provider whose target serves `serving`, and whose deploy fails after moving traffic. */
function target(serving: string | null): Provider {
  return {
    type: 'fake',
    capabilities: CAPABILITIES.command!,
    health: undefined,
    planDeploy: () => [],
    planRollback: () => [],
    currentVersion: async () => {
      calls.push('currentVersion');
      return serving;
    },
    deploy: async (_ctx, start) => {
      calls.push(`deploy from ${start?.startedFrom ?? 'nothing'}`);
      throw new StageFailed('deploy', 'the new version failed');
    },
    rollback: async (_ctx, to, from) => void calls.push(`rollback to ${to} from ${from}`),
  };
}

async function prepared(provider: Provider): Promise<BaseContext> {
  await createRow(store, facts);
  const base = { ...makeBase({ store, loaded: loadDoc(), facts, clock: new FakeClock(T0) }), provider };
  await base.journal.append('deploy:started', { deploymentId: facts.id, app: facts.app, environment: facts.environment, version: facts.version, kind: 'deploy', previousVersion: facts.previousVersion, stages: ['deploy'] });
  return base;
}

describe('the deploy stage and the target truth', () => {
  it('undoes to the version the target served, not the store previous one; says so and corrects the deployment', async () => {
    const base = await prepared(target('v0.9.0'));
    const outcome = await executeSaga([createDeployStage()], base, { fromIndex: 0, autoRollback: true });
    expect(outcome.status).toBe('rolled_back');
    expect(calls).toEqual(['currentVersion', 'deploy from v0.9.0', 'rollback to v0.9.0 from v1.1.0']);
    const events = await store.listEvents(facts.id);
    const noted = events.find((e) => e.type === 'stage:noted')!;
    expect(noted.data.output).toEqual({ startedFrom: 'v0.9.0' });
    // Journaled before the deploy itself ran.
    expect(noted.seq).toBeLessThan(events.find((e) => e.type === 'stage:failed')!.seq);
    expect(events.find((e) => e.type === 'deploy:warning')!.data.message).toBe('the store says v1.0.0 was live in production, but the target served v0.9.0: v0.9.0 is taken as the previous version (an undo returns to it)');
    expect((await store.getDeployment(facts.id))!.previousVersion).toBe('v0.9.0');
  });

  it('a target that served nothing leaves the store previous version as the undo target', async () => {
    const base = await prepared(target(null));
    await executeSaga([createDeployStage()], base, { fromIndex: 0, autoRollback: true });
    expect(calls.at(-1)).toBe('rollback to v1.0.0 from v1.1.0');
    expect((await store.getDeployment(facts.id))!.previousVersion).toBe('v1.0.0');
  });

  it('after a crash, recovery undoes to what the dead run noted, without asking the target again', async () => {
    const base = await prepared(target('v0.5.0'));
    await base.journal.append('stage:started', { deploymentId: facts.id, stage: 'deploy' });
    await base.journal.append('stage:noted', { deploymentId: facts.id, stage: 'deploy', output: { startedFrom: 'v0.9.0' } });
    const result = await recoverDeployment((await store.getDeployment(facts.id))!, base, 'its process is gone', 'test-host');
    expect(result.status).toBe('rolled_back');
    expect(calls).toEqual(['rollback to v0.9.0 from v1.1.0']);
  });
});
