import type { z } from 'zod';
import type { SecretsAllowSchema } from '../../config/schema/index.js';
import type { Finding } from './findings.js';

export type AllowEntry = z.infer<typeof SecretsAllowSchema>;

/**
 * Pure: a path glob as a RegExp. `**` spans folders (`**\/` also matches none),
 * `*` and `?` stay inside one path segment; everything else is literal.
 */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      const slash = glob[i + 2] === '/';
      re += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** The first entry that lets `f` through: every field the entry sets matches. */
export function allowedBy(f: Finding, entries: readonly AllowEntry[]): AllowEntry | null {
  return entries.find((e) => (e.path === undefined || globToRegExp(e.path).test(f.file)) && (e.fingerprint === undefined || e.fingerprint === f.fingerprint)) ?? null;
}

export interface SortedFindings {
  blocking: Finding[];
  allowed: (Finding & { reason: string })[];
}

/** Pure: findings split into those that block and those an allowlist entry lets through (with its reason). */
export function applyAllowlist(findings: readonly Finding[], entries: readonly AllowEntry[]): SortedFindings {
  const out: SortedFindings = { blocking: [], allowed: [] };
  for (const f of findings) {
    const entry = allowedBy(f, entries);
    if (entry) out.allowed.push({ ...f, reason: entry.reason });
    else out.blocking.push(f);
  }
  return out;
}
