import parse from 'semver/functions/parse.js';
import valid from 'semver/functions/valid.js';
import type { z } from 'zod';
import type { SemverGateSchema } from '../config/schema/index.js';
import type { Gate, GateContext, GateResult } from './contract.js';
import { checkVersionSafety, showVersion } from './version.js';

export type SemverGateConfig = z.infer<typeof SemverGateSchema>;

export interface SemverDecision {
  ok: boolean;
  reason: string;
}

/** `v1.2.3`, `v1.2.3+build.7`; `v2.0.0-rc.1` only with `allowPrerelease`. */
export function evaluateSemver(version: string, allowPrerelease: boolean): SemverDecision {
  const unsafe = checkVersionSafety(version);
  if (unsafe) return { ok: false, reason: unsafe };
  const shown = showVersion(version);
  if (!version.startsWith('v')) {
    const hint = valid(version) && /^\d/.test(version) ? ` (write "v${version}")` : '';
    return { ok: false, reason: `version ${shown} must start with "v", like v1.2.3${hint}` };
  }
  const rest = version.slice(1);
  // semver.parse also accepts a leading "v" or "="; the rest must start with the major number.
  const parsed = /^\d/.test(rest) ? parse(rest) : null;
  if (!parsed) {
    return { ok: false, reason: `version ${shown} is not a semantic version like v1.2.3 (vMAJOR.MINOR.PATCH, no leading zeros)` };
  }
  if (parsed.prerelease.length > 0 && !allowPrerelease) {
    return { ok: false, reason: `version ${shown} is a pre-release (-${parsed.prerelease.join('.')}); set allowPrerelease to deploy pre-releases` };
  }
  const kind = parsed.prerelease.length > 0 ? 'pre-release' : 'release';
  return { ok: true, reason: `${version} is a valid ${kind} version` };
}

export function createSemverGate(cfg: SemverGateConfig): Gate {
  return {
    name: 'semver',
    applyToRollback: cfg.applyToRollback,
    evaluate(ctx: GateContext): Promise<GateResult> {
      const d = evaluateSemver(ctx.version, cfg.allowPrerelease);
      return Promise.resolve({
        name: 'semver',
        result: d.ok ? 'pass' : 'block',
        reason: ctx.mask(d.reason),
        details: { version: ctx.version, allowPrerelease: cfg.allowPrerelease },
      });
    },
  };
}
