import { UsageError } from '../errors.js';

/** A pull request's preview is the environment `pr-<n>`: its own lock, records and (locally) agent. */
export const PREVIEW_ENV_PREFIX = 'pr-';
const PR_RE = /^[1-9][0-9]{0,8}$/;
const FLY_APP_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Pure: the `--pr` flag as a pull request number, or a usage error saying what is wrong. */
export function parsePr(value: string | undefined): number {
  if (value === undefined) throw new UsageError('--pr is required: the pull request number, e.g. --pr 42');
  if (!PR_RE.test(value)) throw new UsageError(`--pr: expected a pull request number like 42 (got ${JSON.stringify(value)})`);
  return Number(value);
}

export function previewEnvironment(pr: number): string {
  return `${PREVIEW_ENV_PREFIX}${pr}`;
}

/** Pure: the Fly.io app of a preview from `provider.previewApp`, e.g. `{app}-pr-{pr}` → `hotdash-pr-42`. */
export function previewAppName(template: string, app: string, pr: number): string {
  const name = template.replaceAll('{app}', app).replaceAll('{pr}', String(pr));
  if (!FLY_APP_RE.test(name)) throw new UsageError(`provider.previewApp: "${template}" gives "${name}" for pull request ${pr}, not a Fly.io app name (lowercase letters, digits and "-", at most 63)`);
  return name;
}

/**
 * Pure: the pull request whose preview app `name` is, read back through the template, or null
 * for any other app. Only a name the template gives exactly counts: `hotdash-pr-12-old`,
 * `hotdash-pr-012` and another app's `hotdash-api-pr-3` are not previews of `hotdash`.
 */
export function previewPrOf(template: string, app: string, name: string): number | null {
  const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
  const source = template
    .split('{pr}')
    .map((part) => escape(part.replaceAll('{app}', app)))
    .join(`(${PR_RE.source.slice(1, -1)})`);
  const m = new RegExp(`^${source}$`).exec(name);
  if (!m) return null;
  const pr = Number(m[1]);
  // A template with {pr} twice matches `-1-2` above; the round trip refuses it.
  return template.replaceAll('{app}', app).replaceAll('{pr}', String(pr)) === name ? pr : null;
}

/**
 * Pure: the version a preview deploys when none is given: `v0.0.0-pr.<n>` plus the commit's short
 * sha, prefixed with `g` as git describe does (an all-digit sha like `0123456` is no valid semver identifier).
 */
export function previewVersion(pr: number, sha: string | null): string {
  const short = sha && /^[0-9a-f]{7,}$/i.test(sha) ? `.g${sha.slice(0, 7).toLowerCase()}` : '';
  return `v0.0.0-pr.${pr}${short}`;
}
