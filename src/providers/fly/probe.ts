import type { FlyProviderConfig, HealthTarget } from '../../config/schema/index.js';
import { toMs } from '../../config/duration.js';
import { isHealthyStatus } from '../../health/probe.js';
import type { InstanceProbe } from '../../rollout/contract.js';
import type { Clock } from '../../runtime/clock.js';
import { displayUrl, HttpError, type HttpClient, type HttpRequest } from '../../runtime/http.js';
import type { FlyMachine } from './client.js';
import { versionOf } from './machine-config.js';

/**
 * The request header Fly's public proxy routes by to one given machine. Fly.io
 * documents it as forced routing: the proxy tries that machine (several times
 * while it is unhealthy) and never falls back to another one, so an answer is
 * that machine's own, and no machine means an error from the proxy.
 */
export const FORCE_INSTANCE_HEADER = 'fly-force-instance-id';

/** A direct probe of the new version's machines, one probe per machine. */
export type MachineProbe = (machines: FlyMachine[]) => Promise<InstanceProbe[]>;

/** What one request came to: the machine's answer (through the proxy), or none. */
export type ProbeAnswer = { status: number; ms: number } | { error: string; ms: number | null };

export interface DirectProbeDeps {
  http: HttpClient;
  clock: Clock;
  signal?: AbortSignal;
}

/**
 * Pure: why this config has no direct probe, or null when it has one. The probe
 * needs the app's public health URL; and blue-green watches green while it is
 * cordoned, which Fly's proxy routes no request to (its checks still count).
 */
export function directProbeSkipped(cfg: Pick<FlyProviderConfig, 'health' | 'strategy'>): string | null {
  if (!cfg.health) return 'no direct probe of the new machines: provider.health.url is not set (the probe sends it to each machine through Fly\'s proxy)';
  if (cfg.strategy === 'bluegreen') return 'no direct probe of the green machines: they are cordoned while watched, and Fly\'s proxy routes no request to a cordoned machine';
  return null;
}

/** Pure: the request that reaches machine `machineId` through the app's public URL. */
export function directProbeRequest(url: string, machineId: string, timeoutMs: number, signal?: AbortSignal): HttpRequest {
  return { method: 'GET', url, headers: { [FORCE_INSTANCE_HEADER]: machineId }, timeoutMs, ...(signal ? { signal } : {}) };
}

/** Pure: one answer (or none) from `url` as machine `machineId`'s probe; `expect` as the health target's. */
export function machineProbe(machineId: string, version: string, url: string, answer: ProbeAnswer, expect?: number[]): InstanceProbe {
  const where = displayUrl(url);
  if ('error' in answer) return { instanceId: machineId, version, ok: false, status: null, ms: answer.ms, reason: `direct probe: no answer from ${where}: ${answer.error}` };
  const ms = Math.round(answer.ms);
  if (isHealthyStatus(answer.status, expect)) return { instanceId: machineId, version, ok: true, status: answer.status, ms, reason: `direct probe: HTTP ${answer.status} from ${where}` };
  const wanted = expect ? `one of ${expect.join(', ')}` : '2xx or 3xx';
  return { instanceId: machineId, version, ok: false, status: answer.status, ms, reason: `direct probe: HTTP ${answer.status} from ${where} (expected ${wanted})` };
}

/** One request to `url` for machine `m`. Never throws for a failed request; an abort (the deploy stopping) goes through. */
async function ask(m: FlyMachine, url: string, timeoutMs: number, deps: DirectProbeDeps): Promise<ProbeAnswer> {
  const started = deps.clock.now();
  try {
    const res = await deps.http(directProbeRequest(url, m.id, timeoutMs, deps.signal));
    return { status: res.status, ms: res.ms };
  } catch (err) {
    if (err instanceof HttpError && err.kind === 'aborted') throw err;
    return { error: (err as Error).message, ms: Math.round(deps.clock.now() - started) };
  }
}

/** Probes machine `m` at the target's `url`, then at its `fallbackUrl` when the first fails (once each, no retries: the next window asks again). */
export async function probeMachine(m: FlyMachine, version: string, target: HealthTarget, deps: DirectProbeDeps): Promise<InstanceProbe> {
  const timeoutMs = toMs(target.timeout);
  const own = versionOf(m) ?? version;
  const first = machineProbe(m.id, own, target.url, await ask(m, target.url, timeoutMs, deps), target.expect);
  if (first.ok || !target.fallbackUrl) return first;
  const second = machineProbe(m.id, own, target.fallbackUrl, await ask(m, target.fallbackUrl, timeoutMs, deps), target.expect);
  return second.ok ? second : { ...second, reason: `${first.reason}; then ${second.reason.replace(/^direct probe: /, '')}` };
}

/** The direct probe of a deploy of `version`, or null when the config has none (see {@link directProbeSkipped}). */
export function directProbeFor(cfg: Pick<FlyProviderConfig, 'health' | 'strategy'>, version: string, deps: DirectProbeDeps): MachineProbe | null {
  const target = cfg.health;
  if (!target || directProbeSkipped(cfg) !== null) return null;
  return (machines) => Promise.all(machines.map((m) => probeMachine(m, version, target, deps)));
}
