import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { humanDuration } from '../../config/duration.js';
import type { TargetStatus } from '../../providers/command/status.js';
import type { VersionStats } from '../../rollout/contract.js';
import type { RouterReport } from '../../agent/contract.js';
import type { AgentPaths } from '../../agent/paths.js';
import { routerText } from '../render/router-line.js';
import { errorMessage } from '../../errors.js';
import { readEnvironmentStatus, type EnvironmentStatus } from '../../pipeline/environment-status.js';
import { currentIdentity } from '../../runtime/process-identity.js';
import { lightConfig } from '../context.js';
import { EXIT } from '../exit-codes.js';
import type { GlobalOptions, Output } from '../output.js';
import { openStore } from '../../store/index.js';
import type { Store } from '../../store/contract.js';
import { progressOf, type RolloutProgress } from '../../rollout/store-session.js';
import { printStopSigns, printWarnings, stopSignsJson, truthWarnings, type RoutedView } from './status-truth.js';

/** `shipgate status`: live version, rollback target, running or interrupted deployments, the lock. */
export async function statusCommand(flags: GlobalOptions, out: Output): Promise<number> {
  const settings = await lightConfig(flags, out);
  const store = await openStore(settings.storeUrl, { root: settings.root });
  try {
    const envs = settings.environment ? [settings.environment] : settings.environments;
    const me = currentIdentity();
    const statuses: EnvironmentStatus[] = [];
    const recordsDir = join(settings.root, '.shipgate', 'records');
    for (const environment of envs) {
      statuses.push(await readEnvironmentStatus(store, { app: settings.app, environment, me, nowMs: Date.now(), rollbackWindow: settings.rollbackWindows[environment] ?? settings.rollbackWindow, recordsDir }));
    }
    const traffics = await Promise.all(statuses.map((s) => agentTraffic(settings.root, s.environment)));
    const progress = await rolloutsOf(store, statuses);
    const targets = await Promise.all(statuses.map((s) => (settings.statusScripts.includes(s.environment) ? targetStatus(flags, s) : null)));
    const warnings = await Promise.all(statuses.map((s, i) => truthWarnings(s, routedView(traffics[i] ?? null), targets[i] ?? null, store)));
    const legacy = await legacyAgentWarning(settings.root);
    if (out.json) out.result(statuses.map((s, i) => ({ ...toJson(s, progress), stopped: stopSignsJson(s), warnings: warnings[i], ...(targets[i] ? { target: targets[i] } : {}), ...(traffics[i] ? { agent: traffics[i] } : {}) })));
    else {
      if (legacy) out.line(out.paint('yellow', `WARNING: ${legacy}\n`));
      statuses.forEach((s, i) => {
        printStatus(s, targets[i] ?? null, warnings[i] ?? [], progress, out, i > 0);
        if (traffics[i]) printTraffic(traffics[i], out);
      });
    }
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

/** Where each running rollout stands, by its journal (any provider: the local agent's controller and the fly provider journal the same events). */
async function rolloutsOf(store: Store, statuses: readonly EnvironmentStatus[]): Promise<Map<string, RolloutProgress>> {
  const running = statuses.flatMap((s) => s.activity).filter((a) => a.state === 'running' && a.deployment.kind === 'deploy' && a.deployment.currentStage === 'deploy');
  const found = new Map<string, RolloutProgress>();
  for (const a of running) {
    const p = progressOf(await store.listEvents(a.deployment.id));
    if (p) found.set(a.deployment.id, p);
  }
  return found;
}

function progressText(p: RolloutProgress): string {
  const paused = p.paused === null ? '' : `, PAUSED${p.paused === 'inconclusive' ? ' (analysis was inconclusive)' : ''}: shipgate resume continues, promote goes on, abort undoes it`;
  return `; rollout step ${p.step} at ${p.trafficPercentage}%${paused}`;
}

function toJson(s: EnvironmentStatus, progress: Map<string, RolloutProgress>): Record<string, unknown> {
  return {
    app: s.app,
    environment: s.environment,
    live: s.live ? { version: s.live.version, deployment_id: s.live.id, finished_at: s.live.finishedAt, triggered_by: s.live.triggeredBy } : null,
    rollback: { target: s.rollbackTarget, deadline: s.rollbackDeadline, open: s.rollbackOpen, rolled_back_from: s.rolledBackFrom },
    activity: s.activity.map((a) => ({ deployment_id: a.deployment.id, kind: a.deployment.kind, version: a.deployment.version, state: a.state, stage: a.deployment.currentStage, started_at: a.deployment.startedAt, by: a.by, rollout: progress.get(a.deployment.id) ?? null })),
    lock: s.lock ? { deployment_id: s.lock.deploymentId, holder: s.lock.holder, pid: s.lock.pid, host: s.lock.host, since: s.lock.acquiredAt, stale: s.lock.stale } : null,
  };
}

function ago(iso: string | null): string {
  return iso ? `${humanDuration(Date.now() - Date.parse(iso))} ago` : 'unknown';
}

/**
 * What `provider.status` says is live. It needs the environment's whole config (its
 * `env` may name secrets), so only environments that have such a script load it;
 * a config that does not load here is reported as the target's status, not as a failure of `status`.
 */
async function targetStatus(flags: GlobalOptions, s: EnvironmentStatus): Promise<TargetStatus> {
  const { loadConfig } = await import('../../config/load.js');
  let loaded;
  try {
    loaded = loadConfig({ configPath: flags.config, environment: s.environment });
  } catch (err) {
    return { ok: false, output: [], error: `not run: ${errorMessage(err)}` };
  }
  if (loaded.config.provider.type === 'fly') return (await import('../../providers/fly/status.js')).flyStatus(loaded);
  const [{ runStatusScript }, { processRunner }] = await Promise.all([import('../../providers/command/status.js'), import('../../runtime/process.js')]);
  return (await runStatusScript(loaded, s.live ? { version: s.live.version, id: s.live.id } : null, processRunner)) ?? { ok: false, output: [], error: 'not run: no status script' };
}

function printStatus(s: EnvironmentStatus, target: TargetStatus | null, warnings: string[], progress: Map<string, RolloutProgress>, out: Output, gap: boolean): void {
  if (gap) out.line('');
  out.line(out.paint('bold', `${s.app}/${s.environment}`));
  printStopSigns(s, out);
  printWarnings(warnings, out);
  out.line(`  live:      ${s.live ? `${s.live.version} (${s.live.id}, ${ago(s.live.finishedAt)} by ${s.live.triggeredBy})` : 'nothing deployed yet'}`);
  if (s.rollbackTarget) {
    const when = s.rollbackOpen ? `available until ${s.rollbackDeadline}` : `window closed at ${s.rollbackDeadline} (--force to go past it)`;
    out.line(`  rollback:  to ${s.rollbackTarget}, ${when}`);
  } else if (s.rolledBackFrom) {
    out.line(`  rollback:  none: rolled back from ${s.rolledBackFrom} (shipgate deploy ${s.rolledBackFrom} goes forward again; shipgate rollback --to VERSION goes further back)`);
  }
  if (target) {
    const failed = target.source === 'fly' ? 'the machines could not be listed' : 'status script failed';
    const lines = target.ok ? target.output : [...target.output, out.paint('red', `${failed}: ${target.error}`)];
    lines.forEach((line, i) => out.line(`  ${i === 0 ? 'target:   ' : '          '} ${line}`));
    if (lines.length === 0) out.line('  target:    (the status script printed nothing)');
  }
  for (const a of s.activity) {
    const d = a.deployment;
    const where = d.currentStage ? ` in stage ${d.currentStage}` : '';
    const text = {
      running: `${d.kind} ${d.version} running${where} since ${d.startedAt} (${d.id})${progress.has(d.id) ? progressText(progress.get(d.id)!) : ''}`,
      awaiting_approval: `${d.kind} ${d.version} awaiting approval (${d.id}): shipgate approve ${d.id} --by NAME`,
      recovering: `${d.kind} ${d.version} (${d.id}) is being recovered by ${a.by}`,
      interrupted: `${d.kind} ${d.version} INTERRUPTED${where} (${d.id}): its process is gone; the next deploy, rollback or resume finishes it`,
    }[a.state];
    out.line(`  ${a.state === 'interrupted' ? out.paint('red', 'now:      ') : 'now:      '} ${text}`);
  }
  out.line(`  lock:      ${s.lock ? `${s.lock.stale ? 'stale, ' : ''}held by ${s.lock.deploymentId} (${s.lock.holder}, pid ${s.lock.pid} on ${s.lock.host}, since ${s.lock.acquiredAt})` : 'free'}`);
}

/** An agent of the layout before per-environment agents, when one still answers (loaded only when its socket exists). */
async function legacyAgentWarning(root: string): Promise<string | null> {
  const { legacyAgentPaths } = await import('../../agent/paths.js');
  if (!existsSync(legacyAgentPaths(root).socket)) return null;
  const { findLegacyAgent, legacyAgentMessage } = await import('../../agent/legacy.js');
  const legacy = await findLegacyAgent(root);
  return legacy ? legacyAgentMessage(legacy, root) : null;
}

function routedView(t: TrafficView | null): RoutedView | null {
  if (!t) return null;
  // What the router process serves is what is live; the agent's word is compared with it.
  const served = t.router.process?.weights ?? null;
  return { weights: served ?? t.weights, agentWeights: t.state === 'running' && served !== null ? t.weights : null, rolloutActive: t.rollout !== null && t.rollout.state === 'active' };
}

/** Window of the per-version router figures shown by status. */
export const STATUS_STATS_WINDOW_MS = 60_000;

interface TrafficView {
  /** `down`: it ran and does not answer (crashed, or hung); `not_running`: stopped, or never started. */
  state: 'running' | 'down' | 'not_running';
  /** Why it is down. */
  reason: string | null;
  pid: number | null;
  listen: string | null;
  /** The agent's weights; with the agent down, the router's (what it still serves). */
  weights: Record<string, number>;
  router: RouterReport;
  rollout: { id: string; stable: string | null; candidate: string; state: string; paused: boolean; aborted_at: string | null } | null;
  versions: { version: string; weight: number; ready: number; instances: number; states: string[]; stats: VersionStats | null }[];
}

/** The live view of an environment's agent, when it has one (provider type local); null otherwise. With the agent down, what the router says. */
async function agentTraffic(root: string, environment: string): Promise<TrafficView | null> {
  const { agentPaths, agentStateDir } = await import('../../agent/paths.js');
  const paths = agentPaths(agentStateDir(root, environment));
  if (!existsSync(paths.dir)) return null;
  const { agentStatus, clientFor } = await import('../../agent/lifecycle.js');
  const s = await agentStatus(paths);
  if (!s) return withoutAgent(paths);
  const client = clientFor(paths);
  const versions = await Promise.all(
    s.versions.map(async (v) => ({
      version: v.version,
      weight: s.weights[v.version] ?? 0,
      ready: v.instances.filter((i) => i.state === 'ready').length,
      instances: v.instances.length,
      states: v.instances.map((i) => i.state),
      stats: s.listen ? await client.stats(v.version, STATUS_STATS_WINDOW_MS).catch(() => null) : null,
    })),
  );
  const r =
    s.rollout && s.rollout.state !== 'ended'
      ? { id: s.rollout.id, stable: s.rollout.stable, candidate: s.rollout.candidate, state: s.rollout.state, paused: s.rollout.paused, aborted_at: s.rollout.abortedAt }
      : null;
  return { state: 'running', reason: null, pid: s.pid, listen: s.listen, weights: s.weights, router: s.router, rollout: r, versions };
}

async function withoutAgent(paths: AgentPaths): Promise<TrafficView> {
  const { agentAbsence, observeRouter } = await import('../../agent/observe.js');
  const reason = agentAbsence(paths);
  const router = await observeRouter(paths);
  return { state: reason === null ? 'not_running' : 'down', reason, pid: null, listen: router.listen, weights: router.process?.weights ?? {}, router, rollout: null, versions: [] };
}

function rolloutText(r: NonNullable<TrafficView['rollout']>, out: Output): string {
  if (r.state === 'aborted_by_deadman') {
    const back = r.stable ? `traffic went back to ${r.stable}` : 'traffic was taken off it';
    return out.paint('red', `rollout of ${r.candidate} ABORTED by the dead-man switch at ${r.aborted_at ?? 'an unknown time'}`) + ` (its deploy process stopped sending heartbeats; ${back})`;
  }
  return `rollout of ${r.candidate} ${r.paused ? 'in progress (paused)' : 'in progress'}`;
}

function printTraffic(t: TrafficView, out: Output): void {
  out.line('');
  if (t.state !== 'running') {
    const agent = t.state === 'down' ? `${out.paint('red', 'DOWN')} (${t.reason})` : 'not running';
    out.line(`agent:     ${agent}; router: ${routerText(t.router, out, true)}`);
    return;
  }
  const router = t.router.state === 'serving' ? `router ${t.listen}` : `router: ${routerText(t.router, out, false)}`;
  out.line(`agent:     pid ${t.pid}, ${router}${t.rollout ? `; ${rolloutText(t.rollout, out)}` : ''}`);
  for (const v of t.versions) {
    const st = v.stats;
    const figures = st && st.requests > 0 ? `${(st.requests / (st.windowMs / 1000)).toFixed(1)} req/s, errors ${(st.errorRate * 100).toFixed(1)}%, p95 ${st.p95}ms (last ${st.windowMs / 1000}s)` : 'no requests in the last minute';
    out.line(`  ${v.version.padEnd(10)} ${String(v.weight).padStart(3)}%  ${v.ready}/${v.instances} ready  ${figures}`);
  }
}
