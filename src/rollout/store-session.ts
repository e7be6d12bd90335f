import type { Store } from '../store/contract.js';
import type { Clock } from '../runtime/clock.js';
import { ROLLOUT_COMMANDS, type RolloutCommand, type RolloutRegistration, type RolloutSession, type RolloutSignals } from './contract.js';

/*
 * A rollout session kept in the store, for providers whose target runs no agent
 * of shipgate's (Fly.io). `shipgate promote|abort|pause|resume` journals a
 * `rollout:requested` event on the running deployment; the deploy process reads
 * them at each look and journals `rollout:command` when it acts on one. The
 * heartbeat is the deployment lock's: a deployment whose lock is held by a live
 * process is running, else it is interrupted and the next command settles it.
 * Every request is in the deployment's journal: who asked for what, and when.
 */

export interface RequestedCommand {
  seq: number;
  command: RolloutCommand;
  by: string;
}

/** Pure: a journaled `rollout:requested` row as a request; null for any other row, or a command shipgate does not know. */
function requestOf(e: { seq: number; type: string; data: Record<string, unknown> }): RequestedCommand | null {
  const command = e.data.command;
  if (e.type !== 'rollout:requested' || typeof command !== 'string' || !(ROLLOUT_COMMANDS as readonly string[]).includes(command)) return null;
  return { seq: e.seq, command: command as RolloutCommand, by: typeof e.data.by === 'string' ? e.data.by : 'unknown' };
}

/** The deploy process's side: the commands journaled since the last look, oldest first. */
export class StoreSessionReader {
  private afterSeq = 0;

  constructor(
    private readonly store: Pick<Store, 'listEvents'>,
    private readonly deploymentId: string,
  ) {}

  async take(): Promise<RequestedCommand[]> {
    const events = await this.store.listEvents(this.deploymentId, this.afterSeq);
    const taken: RequestedCommand[] = [];
    for (const e of events) {
      this.afterSeq = Math.max(this.afterSeq, e.seq);
      const request = requestOf(e);
      if (request) taken.push(request);
    }
    return taken;
  }
}

/**
 * The rollout session capability over the store (rollout/contract.ts), for a
 * provider without an agent of shipgate's. The rollout is the deployment: its id
 * is the deployment id. No dead-man switch of its own: a deploy whose process
 * is gone is interrupted, and the next command settles it.
 */
export class StoreRolloutSession implements RolloutSession {
  private readonly reader: StoreSessionReader;

  constructor(
    store: Pick<Store, 'listEvents'>,
    private readonly deploymentId: string,
  ) {
    this.reader = new StoreSessionReader(store, deploymentId);
  }

  async beginRollout(r: RolloutRegistration): Promise<void> {
    if (r.id !== this.deploymentId) throw new Error(`a store rollout session is the deployment's own: ${r.id} is not ${this.deploymentId}`);
  }

  /** The requests since the last beat. A store that does not answer costs the beat, not the rollout: they stay for the next one. */
  async heartbeat(): Promise<RolloutSignals> {
    const requests = await this.reader.take().catch(() => []);
    return { abortedByDeadman: false, commands: requests.map((r) => r.command), requests };
  }

  async endRollout(): Promise<void> {}
}

/** Journals a request on the running deployment; returns its sequence number. */
export async function requestCommand(store: Pick<Store, 'appendEvent'>, deploymentId: string, command: RolloutCommand, by: string, at: string): Promise<number> {
  return store.appendEvent({ deploymentId, at, type: 'rollout:requested', stage: null, step: null, data: { deploymentId, command, by } });
}

export type CommandOutcome = { state: 'applied'; step: string } | { state: 'ended'; status: string } | { state: 'pending' };

/**
 * Waits until the deploy process acted on the request journaled at `seq`
 * (`applied`, with the step it ran), the deployment ended first (`ended`), or
 * `timeoutMs` passed (`pending`: it is still queued; the deploy takes it at its next look).
 */
export async function awaitCommand(
  store: Pick<Store, 'listEvents' | 'getDeployment'>,
  q: { deploymentId: string; seq: number; command: RolloutCommand; timeoutMs: number; pollMs: number },
  clock: Clock,
): Promise<CommandOutcome> {
  const until = clock.now() + q.timeoutMs;
  for (;;) {
    const events = await store.listEvents(q.deploymentId, q.seq);
    const acted = events.find((e) => e.type === 'rollout:command' && e.data.command === q.command && e.data.requestSeq === q.seq);
    if (acted) return { state: 'applied', step: typeof acted.data.step === 'string' ? acted.data.step : '?' };
    const row = await store.getDeployment(q.deploymentId);
    if (row === undefined || row.finishedAt !== null) return { state: 'ended', status: row?.status ?? 'gone' };
    if (clock.now() >= until) return { state: 'pending' };
    await clock.sleep(Math.min(q.pollMs, Math.max(1, until - clock.now())));
  }
}

/** Whether the deployment's rollout is paused now, by its journal (`rollout:paused` not followed by `rollout:resumed`: a promote that ends a pause journals one too). */
export async function rolloutPaused(store: Pick<Store, 'listEvents'>, deploymentId: string): Promise<boolean> {
  return (progressOf(await store.listEvents(deploymentId))?.paused ?? null) !== null;
}

/** Where a rollout stands, by its journal: what `shipgate status` says of a deployment in stage deploy. */
export interface RolloutProgress {
  step: string;
  /** The new version's share after the step's actions (the weight reached). */
  trafficPercentage: number;
  paused: 'command' | 'inconclusive' | null;
}

/** Pure: the progress journaled so far (null before the first step). */
export function progressOf(events: readonly { type: string; data: Record<string, unknown> }[]): RolloutProgress | null {
  let step: string | null = null;
  let trafficPercentage = 0;
  let paused: RolloutProgress['paused'] = null;
  for (const e of events) {
    if (e.type === 'rollout:step' && typeof e.data.step === 'string') {
      step = e.data.step;
      trafficPercentage = typeof e.data.trafficPercentage === 'number' ? e.data.trafficPercentage : 0;
    } else if (e.type === 'rollout:paused') paused = e.data.reason === 'inconclusive' ? 'inconclusive' : 'command';
    else if (e.type === 'rollout:resumed') paused = null;
  }
  return step === null ? null : { step, trafficPercentage, paused };
}

/** Pure: requests the deploy has not acted on yet (no `rollout:command` answers their sequence number), oldest first. */
export function pendingRequests(events: readonly { seq: number; type: string; at: string; data: Record<string, unknown> }[]): (RequestedCommand & { at: string })[] {
  const answered = new Set(events.filter((e) => e.type === 'rollout:command' && typeof e.data.requestSeq === 'number').map((e) => e.data.requestSeq as number));
  return events.flatMap((e) => {
    const request = answered.has(e.seq) ? null : requestOf(e);
    return request ? [{ ...request, at: e.at }] : [];
  });
}
