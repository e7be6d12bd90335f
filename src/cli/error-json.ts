import { ConfigError, GateBlocked, LockHeld, RunInterrupted, errorMessage } from '../errors.js';

/**
 * The one JSON document an error leaves on stdout under `--json`, so a script
 * always gets JSON, whatever the exit code: `status: "error"`, the message, the
 * error's class as `error_type`, the exit code, and what the class knows (a
 * config error's key paths, the gate, the lock holder).
 */
export function errorJson(err: unknown, exitCode: number): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    status: 'error',
    error: errorMessage(err),
    error_type: err instanceof Error ? err.name : 'Error',
    exit_code: exitCode,
  };
  if (err instanceof ConfigError) doc.issues = err.details;
  if (err instanceof GateBlocked) doc.gate = err.gate;
  if (err instanceof RunInterrupted && err.deploymentId) doc.deployment_id = err.deploymentId;
  if (err instanceof LockHeld) {
    const h = err.holderInfo;
    doc.lock = { deployment_id: h.deploymentId, holder: h.holder, pid: h.pid, host: h.host, since: h.acquiredAt };
  }
  return doc;
}

/** Whether `--json` is among the options (not after `--`): for errors met before the options are parsed. */
export function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}
