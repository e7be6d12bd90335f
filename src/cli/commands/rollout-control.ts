import { UsageError } from '../../errors.js';
import type { StoreSettings } from '../../config/light.js';
import { capabilitiesOf, lacking } from '../../providers/capabilities.js';
import type { RolloutCommand } from '../../rollout/contract.js';
import { lightConfig } from '../context.js';
import { EXIT } from '../exit-codes.js';
import type { GlobalOptions, Output } from '../output.js';

const DONE: Record<RolloutCommand, string> = {
  promote: 'promoted: the current step ends now',
  'promote-full': 'promoted to 100%',
  abort: 'abort requested: traffic returns to stable and the deployment is undone',
  pause: 'paused: analysis continues; `shipgate resume` continues the steps',
  resume: 'resumed',
};

/** How long `promote|abort|pause|resume` waits for a store-session rollout to act on the command. */
export const STORE_COMMAND_WAIT_MS = 15_000;
const STORE_COMMAND_POLL_MS = 200;

const commandName = (command: RolloutCommand): string => (command === 'promote-full' ? 'promote --full' : command);

/**
 * `shipgate promote [--full] | abort | pause | resume`: steers the rollout in
 * progress through the provider's rollout session: the local agent's control
 * socket, or (Fly.io) the deployment's journal in the store, which the deploy
 * process reads. A provider without a session says so.
 */
export async function rolloutCommand(command: RolloutCommand, flags: GlobalOptions, out: Output): Promise<number> {
  const settings = await lightConfig(flags, out, { requireEnvironment: true });
  const session = capabilitiesOf(settings.providerType).session;
  if (session === null) throw new UsageError(noSessionMessage(command, settings.providerType ?? 'local'));
  const r = session === 'agent' ? await throughAgent(command, settings) : await throughStore(command, settings, out);
  if (r === null) return EXIT.ok;
  if (out.json) out.result({ rollout: r.id, candidate: r.candidate, command, state: 'applied' });
  else out.line(`${r.candidate} (${r.id}): ${DONE[command]}`);
  return EXIT.ok;
}

async function throughAgent(command: RolloutCommand, settings: StoreSettings): Promise<{ id: string; candidate: string }> {
  const [{ AgentUnavailable }, { clientFor }, { agentPaths, agentStateDir }] = await Promise.all([import('../../agent/client.js'), import('../../agent/lifecycle.js'), import('../../agent/paths.js')]);
  try {
    return await clientFor(agentPaths(agentStateDir(settings.root, settings.environment!))).command(command);
  } catch (err) {
    if (err instanceof AgentUnavailable) throw new UsageError('no rollout is in progress: the agent is not running');
    throw new UsageError((err as Error).message);
  }
}

/** The store session: the request is journaled on the running deployment, then its answer awaited. Null: queued, said already. */
async function throughStore(command: RolloutCommand, settings: StoreSettings, out: Output): Promise<{ id: string; candidate: string } | null> {
  const [{ openStore }, { readEnvironmentStatus }, { currentIdentity }, { requestCommand, awaitCommand, pendingRequests }, { resolveActor }, { systemClock }] = await Promise.all([
    import('../../store/index.js'),
    import('../../pipeline/environment-status.js'),
    import('../../runtime/process-identity.js'),
    import('../../rollout/store-session.js'),
    import('../../runtime/actor.js'),
    import('../../runtime/clock.js'),
  ]);
  const environment = settings.environment!;
  const store = await openStore(settings.storeUrl, { root: settings.root });
  try {
    const status = await readEnvironmentStatus(store, { app: settings.app, environment, me: currentIdentity(), nowMs: Date.now(), rollbackWindow: settings.rollbackWindow });
    // The lock holder's deployment is the one that runs; others are being recovered by it, or interrupted.
    const activity = status.activity.find((a) => a.state === 'running') ?? status.activity[0];
    const none = `no rollout is in progress in ${environment}`;
    if (activity === undefined) throw new UsageError(`${none}: no deployment is running`);
    const d = activity.deployment;
    const which = `${d.kind} ${d.version} (${d.id})`;
    if (activity.state === 'interrupted') throw new UsageError(`${none}: ${which} is INTERRUPTED (its process is gone); \`shipgate resume\` settles it`);
    if (activity.state === 'recovering') throw new UsageError(`${none}: ${which} is being undone by ${activity.by}`);
    if (activity.state === 'awaiting_approval') throw new UsageError(`${none}: ${which} is awaiting approval (shipgate approve ${d.id} --by NAME)`);
    if (d.kind !== 'deploy' || d.currentStage !== 'deploy') throw new UsageError(`${none}: ${which} is in stage ${d.currentStage ?? '(none)'}; a rollout takes commands in stage deploy`);
    // The same command still queued is not sent twice: two promotes would skip two steps.
    const queued = pendingRequests(await store.listEvents(d.id)).find((r) => r.command === command);
    if (queued) throw new UsageError(`\`shipgate ${commandName(command)}\` sent by ${queued.by} at ${queued.at} is still queued for ${which}: the deploy process takes it at its next look (not sent twice)`);
    const seq = await requestCommand(store, d.id, command, resolveActor(undefined), new Date().toISOString());
    const outcome = await awaitCommand(store, { deploymentId: d.id, seq, command, timeoutMs: STORE_COMMAND_WAIT_MS, pollMs: STORE_COMMAND_POLL_MS }, systemClock);
    if (outcome.state === 'ended') throw new UsageError(`${which} ended (${outcome.status}) before its rollout took \`shipgate ${commandName(command)}\``);
    if (outcome.state === 'applied') return { id: d.id, candidate: d.version };
    const holder = status.lock ? ` (pid ${status.lock.pid} on ${status.lock.host})` : '';
    if (out.json) out.result({ rollout: d.id, candidate: d.version, command, state: 'queued' });
    else out.line(`${d.version} (${d.id}): \`shipgate ${commandName(command)}\` is queued: the deploy process${holder} has not taken it in ${STORE_COMMAND_WAIT_MS / 1000} s; it takes it at its next look (between two steps it waits for the next watched step)`);
    return null;
  } finally {
    await store.close();
  }
}

/** A provider without a rollout session (command scripts) cannot be steered mid-rollout: say so, and what works instead. */
export function noSessionMessage(command: RolloutCommand, providerType: string): string {
  return lacking(providerType, 'session', `no rollout session, so \`shipgate ${commandName(command)}\` cannot steer its rollout`);
}

/** `shipgate logs` on a provider whose instances keep no log files on this host. */
export function assertInstanceLogs(providerType: string | null): void {
  if (capabilitiesOf(providerType).logs === null) throw new UsageError(lacking(providerType, 'logs', 'no instance logs on this host'));
}
