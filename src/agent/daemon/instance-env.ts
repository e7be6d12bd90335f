/**
 * The part of the agent's own environment that instances inherit. The agent is
 * started by whatever shipgate run needed it first (often a CI job with secrets
 * in its environment), so instances get only what a process needs to run, plus
 * `provider.env` and PORT / SHIPGATE_VERSION / SHIPGATE_INSTANCE.
 */
export const INHERITED_NAMES: ReadonlySet<string> = new Set(['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LANGUAGE', 'TZ', 'TMPDIR']);

/**
 * What the agent process needs beyond that: the systemd notification socket (a
 * handover tells systemd which process is the service now). Its control token is
 * added by the caller that knows it, never taken from the deployer's environment.
 */
export const AGENT_NAMES: ReadonlySet<string> = new Set(['NOTIFY_SOCKET']);

export function instanceBaseEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k, v]) => v !== undefined && (INHERITED_NAMES.has(k) || k.startsWith('LC_'))));
}

/**
 * The environment a detached agent is started with: the instances' allowlist and
 * what the agent itself needs, never the deployer's tokens and cloud keys (the
 * agent outlives the command that started it, and its environment can be read
 * in /proc by its user for as long as it runs).
 */
export function agentProcessEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const own = Object.entries(env).filter(([k, v]) => v !== undefined && AGENT_NAMES.has(k));
  return { ...instanceBaseEnv(env), ...Object.fromEntries(own) };
}
