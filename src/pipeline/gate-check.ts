import type { LoadedConfig } from '../config/load.js';
import { UsageError } from '../errors.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { EmergencyOverride, GateContext, GateResult, SecretScanFacts } from '../gates/contract.js';
import { knownSecrets } from '../secrets/known.js';
import { statePaths } from './deps.js';
import { MANIFEST_FILE } from './release-manifest.js';
import { createGates, evaluateGates } from '../gates/index.js';
import { checkVersionSafety } from '../gates/version.js';
import { systemClock, type Clock } from '../runtime/clock.js';
import { fetchHttp, type HttpClient } from '../runtime/http.js';
import { processRunner, type Runner } from '../runtime/process.js';
import type { DeploymentKind } from '../store/contract.js';

export interface GateCheckRequest {
  version: string;
  kind?: DeploymentKind;
  actor: string;
  gitSha?: string | null;
  emergency?: EmergencyOverride | null;
  /** Evaluate the window at this instant (ms). */
  at?: number | null;
  /** The live version and its commit, for the secrets gate's `commits` (unknown: not scanned). */
  live?: { version: string; sha: string | null } | null;
}

export interface GateCheckDeps {
  clock: Clock;
  http: HttpClient;
  run: Runner;
}

const DEFAULT_DEPS: GateCheckDeps = { clock: systemClock, http: fetchHttp, run: processRunner };

/** Before a deploy the secrets gate can only scan a release already built (kept): a new one is scanned by the deploy, right after its build. */
function secretScanFacts(loaded: LoadedConfig, req: GateCheckRequest): SecretScanFacts {
  const dir = loaded.config.build ? join(statePaths(loaded).releasesDir, req.version) : null;
  const built = dir !== null && existsSync(join(dir, MANIFEST_FILE));
  const noRelease = dir === null ? 'no release folder (no build step)' : `no release ${req.version} yet (the deploy scans it right after the build)`;
  return { releaseDir: built ? dir : null, noRelease: built ? null : noRelease, root: loaded.root, live: req.live ?? null, known: knownSecrets(loaded, process.env) };
}

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
    ...(loaded.config.gates.secrets ? { secretScan: secretScanFacts(loaded, req) } : {}),
  };
  const results = await evaluateGates(createGates(loaded.config.gates), ctx, { stopOnBlock: false });
  return results.map((r) => loaded.masker.maskValue(r));
}
