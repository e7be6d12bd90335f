/**
 * When the deployed commit was made (`meta.commitAt`): what DORA's lead time for changes
 * measures from. Given by `--commit-at` (library: `commitAt`), else `$SHIPGATE_COMMIT_AT`,
 * else read from git (`git log -1 --format=%cI <sha>`) when the project is a checkout that
 * has the commit; unknown otherwise (the deployment then has no lead time).
 */
import { UsageError } from '../errors.js';

export const COMMIT_AT_ENV = 'SHIPGATE_COMMIT_AT';

/** An ISO-8601 time with a date, a time and a zone (`Z` or `+01:00`), as git's `%cI` prints it. */
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** Pure: the time as ISO-8601 UTC, or null when it is not an ISO time with a zone. */
export function normalizeCommitAt(text: string): string | null {
  const t = text.trim();
  if (!ISO_WITH_ZONE.test(t)) return null;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/** The given time (flag or environment), normalized; a bad one is refused, naming where it came from. */
export function givenCommitAt(flag: string | undefined, env: NodeJS.ProcessEnv): string | null {
  const [where, value] = flag !== undefined ? ['--commit-at', flag] : [`$${COMMIT_AT_ENV}`, env[COMMIT_AT_ENV]];
  if (value === undefined || value === '') return null;
  const iso = normalizeCommitAt(value);
  if (iso === null) throw new UsageError(`${where}: expected an ISO-8601 time with a zone, like 2026-01-31T09:15:00Z or 2026-01-31T10:15:00+01:00 (got "${value}")`);
  return iso;
}

const SHA_RE = /^[0-9a-f]{7,64}$/i;

/** The argv that asks git for a commit's time; null unless `sha` is a hex commit id (never an option git would read). */
export function commitTimeArgv(sha: string): string[] | null {
  return SHA_RE.test(sha) ? ['git', 'log', '-1', '--format=%cI', sha, '--'] : null;
}
