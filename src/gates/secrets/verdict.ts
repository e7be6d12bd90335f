import type { GateResultKind } from '../contract.js';
import { applyAllowlist, type AllowEntry, type SortedFindings } from './allowlist.js';
import { describeFinding, type Finding } from './findings.js';

/** Findings listed in a reason; the rest are counted (all are in the details). */
export const MAX_LISTED_FINDINGS = 10;

/** What was scanned, what was not and why, and what was found. */
export interface ScanSummary {
  /** `release v1.2.0 (14 files)`, `commits 1a2b3c4..5d6e7f8 (3)`. */
  scanned: string[];
  /** Why a part was not scanned: `no release v1.2.0 yet (...)`, `no commits to scan (...)`. */
  skipped: string[];
  findings: Finding[];
}

export interface SecretsVerdict extends SortedFindings {
  result: GateResultKind;
  reason: string;
}

function listed(items: readonly string[]): string {
  const more = items.length - MAX_LISTED_FINDINGS;
  return `${items.slice(0, MAX_LISTED_FINDINGS).join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}

/**
 * Pure: the gate's verdict. Any finding not allowlisted blocks; allowlisted ones
 * are listed with their reasons. Nothing scanned at all is a skip, saying why.
 */
export function decideSecrets(scan: ScanSummary, allow: readonly AllowEntry[]): SecretsVerdict {
  const sorted = applyAllowlist(scan.findings, allow);
  const where = scan.scanned.join(' and ');
  const allowedText = sorted.allowed.length > 0 ? `; allowlisted: ${listed(sorted.allowed.map((f) => `${describeFinding(f)} (${f.reason})`))}` : '';
  const skippedText = scan.skipped.length > 0 ? `; not scanned: ${scan.skipped.join('; ')}` : '';
  if (sorted.blocking.length > 0) {
    const n = sorted.blocking.length;
    const reason = `found ${n} possible ${n === 1 ? 'secret' : 'secrets'} in ${where}: ${listed(sorted.blocking.map(describeFinding))}; remove ${n === 1 ? 'it' : 'them'} and rotate ${n === 1 ? 'it' : 'them'}, or allowlist a finding that is no secret in gates.secrets.allow with a reason${allowedText}${skippedText}`;
    return { ...sorted, result: 'block', reason };
  }
  if (scan.scanned.length === 0) return { ...sorted, result: 'skip', reason: `nothing to scan: ${scan.skipped.join('; ')}` };
  return { ...sorted, result: 'pass', reason: `no secrets in ${where}${allowedText}${skippedText}` };
}
