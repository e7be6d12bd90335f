import { GateBlocked } from '../../errors.js';
import type { GateContext, GateResult } from '../../gates/contract.js';
import { AFTER_BUILD_GATES, createGates, evaluateGates } from '../../gates/index.js';
import type { Stage, StageContext } from '../stage.js';

/** Builds the gate context of a running deployment: real effects, approvals from the store. */
export function gateContext(ctx: StageContext, onWait: GateContext['onWait']): GateContext {
  const f = ctx.facts;
  return {
    app: f.app,
    environment: f.environment,
    version: f.version,
    kind: f.kind,
    gitSha: f.gitSha,
    actor: f.actor,
    deploymentId: f.id,
    emergency: f.emergency,
    at: null,
    noWait: false,
    clock: ctx.clock,
    http: ctx.http,
    run: ctx.run,
    signal: ctx.signal,
    listApprovals: () => ctx.store.listApprovals(f.id),
    onWait,
    mask: (t) => ctx.masker.mask(t),
  };
}

/** The gates this stage evaluates: all but those that look at the built release (stages/secrets.ts). */
function gatesBeforeBuild(ctx: { config: StageContext['config'] }) {
  return createGates(ctx.config.gates).filter((g) => !AFTER_BUILD_GATES.includes(g.name));
}

/** Evaluates every gate; the first block stops the deployment before anything changes. */
export function createGatesStage(): Stage {
  return {
    name: 'gates',
    plan: (ctx) => gatesBeforeBuild(ctx).map((g) => ({ step: g.name, detail: ctx.facts.kind === 'rollback' && !g.applyToRollback ? 'skipped for rollbacks' : `evaluate the ${g.name} gate` })),
    async run(ctx) {
      let journaled: Promise<void> = Promise.resolve();
      const later = (fn: () => Promise<void>): void => {
        journaled = journaled.then(fn);
      };
      let parked = false;
      const onWait: GateContext['onWait'] = (gate, message) =>
        later(async () => {
          await ctx.journal.append('gate:waiting', { deploymentId: ctx.facts.id, gate, message });
          if (gate === 'approval' && !parked) {
            parked = true;
            await ctx.store.updateDeployment(ctx.facts.id, { status: 'awaiting_approval' });
          }
        });
      const onResult = (gate: GateResult): void => later(() => ctx.journal.append('gate:evaluated', { deploymentId: ctx.facts.id, gate }));
      let results: GateResult[];
      try {
        results = await evaluateGates(gatesBeforeBuild(ctx), gateContext(ctx, onWait), { stopOnBlock: true, onResult });
      } finally {
        await journaled;
        if (parked) await ctx.store.updateDeployment(ctx.facts.id, { status: 'running' });
      }
      const blocked = results.find((r) => r.result === 'block');
      if (blocked) throw new GateBlocked(blocked.name, blocked.reason);
      return { gates: results.map((r) => ({ name: r.name, result: r.result })) };
    },
  };
}
