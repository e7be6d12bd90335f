import type { LoadedConfig } from '../config/load.js';
import { UsageError } from '../errors.js';
import type { EmergencyOverride, GateContext, GateResult } from '../gates/contract.js';
import { createGates, evaluateGates } from '../gates/index.js';
import { checkVersionSafety } from '../gates/version.js';
import { systemClock, type Clock } from '../runtime/clock.js';
import { fetchHttp, type HttpClient } from '../runtime/http.js';
import { execaRunner, type Runner } from '../runtime/process.js';
import type { DeploymentKind } from '../store/contract.js';

export interface GateCheckRequest {
  version: string;
  kind?: DeploymentKind;
  actor: string;
  gitSha?: string | null;
  emergency?: EmergencyOverride | null;
  /** Evaluate the window at this instant (ms). */
  at?: number | null;
}

export interface GateCheckDeps {
  clock: Clock;
  http: HttpClient;
  run: Runner;
}

const DEFAULT_DEPS: GateCheckDeps = { clock: systemClock, http: fetchHttp, run: execaRunner };

/** Evaluates every gate now (or at `at`) without deploying and without waiting. */
export async function checkGates(loaded: LoadedConfig, req: GateCheckRequest, deps: GateCheckDeps = DEFAULT_DEPS): Promise<GateResult[]> {
  const unsafe = checkVersionSafety(req.version);
  if (unsafe) throw new UsageError(unsafe);
  const ctx: GateContext = {
    app: loaded.config.app,
    environment: loaded.environment,
    version: req.version,
    kind: req.kind ?? 'deploy',
    gitSha: req.gitSha ?? null,
    actor: req.actor,
    deploymentId: null,
    emergency: req.emergency ?? null,
    at: req.at ?? null,
    noWait: true,
    clock: deps.clock,
    http: deps.http,
    run: deps.run,
    listApprovals: async () => [],
    mask: (t) => loaded.masker.mask(t),
  };
  const results = await evaluateGates(createGates(loaded.config.gates), ctx, { stopOnBlock: false });
  return results.map((r) => loaded.masker.maskValue(r));
}
