import { LOG_FORMAT_ENV } from '../../runtime/logger.js';

/**
 * The part of the agent's own environment that instances inherit. The agent is
 * started by whatever shipgate run needed it first (often a CI job with secrets
 * in its environment), so instances get only what a process needs to run, plus
 * `provider.env` and PORT / SHIPGATE_VERSION / SHIPGATE_INSTANCE.
 */
export const INHERITED_NAMES: ReadonlySet<string> = new Set(['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LANGUAGE', 'TZ', 'TMPDIR']);

/**
 * What the agent process needs beyond that: the systemd notification socket (a
 * handover tells systemd which process is the service now) and the log format of
 * the command that started it (its log, and its router's, follow). Its control token is
 * added by the caller that knows it, never taken from the deployer's environment.
 */
export const AGENT_NAMES: ReadonlySet<string> = new Set(['NOTIFY_SOCKET', LOG_FORMAT_ENV]);

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

/** The environment of the keeper (and so of its router): the instances' allowlist and the agent's log format. */
export function daemonEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const format = env[LOG_FORMAT_ENV];
  return { ...instanceBaseEnv(env), ...(format === undefined ? {} : { [LOG_FORMAT_ENV]: format }) };
}
