import type { z } from 'zod';
import type { HealthGateSchema, HealthTarget } from '../config/schema/index.js';
import { probeTarget, type ProbeResult } from '../health/probe.js';
import { displayUrl } from '../runtime/http.js';
import { cancellationError, isCancellation } from './cancellation.js';
import type { Gate, GateContext, GateResult } from './contract.js';
import { gateResult } from './result.js';

export type HealthGateConfig = z.infer<typeof HealthGateSchema>;

/** The targets of either config form: a list, or `{ targets, applyToRollback }`. */
export function healthTargets(cfg: HealthGateConfig): HealthTarget[] {
  return Array.isArray(cfg) ? cfg : cfg.targets;
}

export function createHealthGate(cfg: HealthGateConfig): Gate {
  const targets = healthTargets(cfg);
  return {
    name: 'health',
    applyToRollback: Array.isArray(cfg) ? false : cfg.applyToRollback,
    evaluate: (ctx) => evaluateHealthGate(targets, ctx),
  };
}

/** Probes the targets in order (url, then fallbackUrl, with retries); the first unhealthy one blocks. */
async function evaluateHealthGate(targets: HealthTarget[], ctx: GateContext): Promise<GateResult> {
  const probes: (ProbeResult & { target: string })[] = [];
  for (const target of targets) {
    const name = displayUrl(target.url);
    let probe: ProbeResult;
    try {
      probe = await probeTarget(target, { http: ctx.http, clock: ctx.clock, signal: ctx.signal });
    } catch (err) {
      if (isCancellation(err, ctx.signal)) throw cancellationError(err, ctx.signal);
      probe = { healthy: false, url: target.url, status: null, attempts: 1, reason: (err as Error).message, ms: null };
    }
    probes.push({ ...probe, target: name, url: displayUrl(probe.url) });
    if (!probe.healthy) {
      return gateResult('health', 'block', `${name} is unhealthy: ${probe.reason}`, ctx.mask, { targets: probes });
    }
  }
  const listed = probes.map((p) => (p.url === p.target ? `${p.target} (${p.reason})` : `${p.target} (via ${p.url}: ${p.reason})`)).join(', ');
  return gateResult('health', 'pass', targets.length === 0 ? 'no health targets are configured' : `healthy: ${listed}`, ctx.mask, { targets: probes });
}
