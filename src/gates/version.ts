/**
 * The version string ends up in paths, environment variables and command lines,
 * so it is checked before any command runs, whether or not the semver gate is on.
 */

export const MAX_VERSION_LENGTH = 64;
export const VERSION_CHARS_RE = /^[A-Za-z0-9._+-]+$/;
const ALLOWED_CHARS = 'letters, digits, ".", "_", "+" and "-"';
const SHOWN_LENGTH = 40;

/** The version quoted for a message: escaped (control characters stay visible) and cut when long. */
export function showVersion(v: string): string {
  return JSON.stringify(v.length > SHOWN_LENGTH ? `${v.slice(0, SHOWN_LENGTH)}…` : v);
}

/** Null when `v` is safe to use as a version; otherwise one sentence saying what is wrong. */
export function checkVersionSafety(v: string): string | null {
  if (v.length === 0) return 'the version is empty';
  if (v.trim().length === 0) return `version ${showVersion(v)} is only whitespace`;
  if (v.length > MAX_VERSION_LENGTH) {
    return `version ${showVersion(v)} is too long (${v.length} characters; at most ${MAX_VERSION_LENGTH})`;
  }
  const bad = [...v].find((ch) => !VERSION_CHARS_RE.test(ch));
  if (bad !== undefined) {
    const what = /\s/.test(bad) ? 'whitespace' : JSON.stringify(bad);
    return `version ${showVersion(v)} contains ${what} — versions may only use ${ALLOWED_CHARS}`;
  }
  if (!/^[A-Za-z0-9]/.test(v)) return `version ${showVersion(v)} must start with a letter or digit`;
  return null;
}
