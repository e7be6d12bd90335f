import type { z } from 'zod';
import type { SecretsGateSchema } from '../../config/schema/index.js';
import { cancellationError, isCancellation } from '../cancellation.js';
import type { Gate, GateContext, GateResult, SecretScanFacts } from '../contract.js';
import { gateResult } from '../result.js';
import { scanCommits } from './commits.js';
import { scanRelease } from './release-scan.js';
import { decideSecrets, type ScanSummary } from './verdict.js';

export type SecretsGateConfig = z.infer<typeof SecretsGateSchema>;

export function createSecretsGate(cfg: SecretsGateConfig): Gate {
  return {
    name: 'secrets',
    // A rollback returns to a release that was scanned when it was deployed.
    applyToRollback: false,
    evaluate: (ctx) => evaluateSecretsGate(cfg, ctx),
  };
}

async function scanAll(cfg: SecretsGateConfig, facts: SecretScanFacts, ctx: GateContext): Promise<ScanSummary & { commitsError: string | null }> {
  const summary: ScanSummary & { commitsError: string | null } = { scanned: [], skipped: [], findings: [], commitsError: null };
  if (facts.releaseDir) {
    const r = await scanRelease(facts.releaseDir, facts.known);
    summary.scanned.push(`release ${ctx.version} (${r.files} ${r.files === 1 ? 'file' : 'files'})`);
    summary.findings.push(...r.findings);
  } else {
    summary.skipped.push(facts.noRelease ?? 'no release folder');
  }
  if (!cfg.commits) return summary;
  if (!facts.live) summary.skipped.push('no commits to scan (nothing is live yet)');
  else if (!facts.live.sha) summary.skipped.push(`no commits to scan (the commit of the live ${facts.live.version} is unknown)`);
  else if (!ctx.gitSha) summary.commitsError = `the deployed commit is unknown, so the commits since ${facts.live.version} cannot be scanned: pass --sha or run shipgate inside the git checkout`;
  else if (facts.live.sha === ctx.gitSha) summary.skipped.push(`no new commits since ${facts.live.version}`);
  else {
    try {
      const c = await scanCommits(facts.root, facts.live.sha, ctx.gitSha, facts.known, ctx.run, ctx.signal);
      summary.scanned.push(`commits ${facts.live.sha.slice(0, 7)}..${ctx.gitSha.slice(0, 7)} (${c.commits})`);
      summary.findings.push(...c.findings);
    } catch (err) {
      if (isCancellation(err, ctx.signal)) throw cancellationError(err, ctx.signal);
      summary.commitsError = (err as Error).message;
    }
  }
  return summary;
}

/** Scans the release (and the commits since the live version); any finding not allowlisted blocks. */
async function evaluateSecretsGate(cfg: SecretsGateConfig, ctx: GateContext): Promise<GateResult> {
  const facts = ctx.secretScan;
  if (!facts) return gateResult('secrets', 'block', 'nothing was given to scan (the secrets gate runs in deploy and gates check)', ctx.mask);
  const summary = await scanAll(cfg, facts, ctx);
  const v = decideSecrets(summary, cfg.allow);
  const details = { scanned: summary.scanned, skipped: summary.skipped, findings: v.blocking, allowed: v.allowed };
  // A range that could not be read is not a clean one.
  if (summary.commitsError && v.result !== 'block') return gateResult('secrets', 'block', summary.commitsError, ctx.mask, details);
  return gateResult('secrets', v.result, v.reason, ctx.mask, details);
}
