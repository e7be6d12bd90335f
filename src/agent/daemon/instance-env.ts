/**
 * The part of the agent's own environment that instances inherit. The agent is
 * started by whatever shipgate run needed it first (often a CI job with secrets
 * in its environment), so instances get only what a process needs to run, plus
 * `provider.env` and PORT / SHIPGATE_VERSION / SHIPGATE_INSTANCE.
 */
export const INHERITED_NAMES: ReadonlySet<string> = new Set(['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LANGUAGE', 'TZ', 'TMPDIR']);

export function instanceBaseEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k, v]) => v !== undefined && (INHERITED_NAMES.has(k) || k.startsWith('LC_'))));
}
