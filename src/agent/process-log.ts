import { createJsonLogger, LOG_FORMAT_ENV } from '../runtime/logger.js';
import { Masker } from '../runtime/secrets.js';

/** A daemon's log: a line of text, and with JSON lines its structured fields too. */
export type ProcessLog = (line: string, fields?: Record<string, unknown>) => void;

/**
 * One line per event on stdout (the process's log file), masked: `<ISO time> [<role> <pid>] <line>`,
 * or with `SHIPGATE_LOG_FORMAT=json` (the format of the command that started the daemon)
 * one JSON object: `{"level":"info","time":…,"pid":…,"role":…,"msg":…, …fields}`.
 */
export function processLogger(role: string, masker: Masker = new Masker(), env: NodeJS.ProcessEnv = process.env): ProcessLog {
  if (env[LOG_FORMAT_ENV] === 'json') {
    const logger = createJsonLogger({ masker: () => masker, fd: 1, base: { pid: process.pid, role } });
    return (line, fields = {}) => logger[levelOf(line)](fields, line);
  }
  return (line) => process.stdout.write(masker.mask(`${new Date().toISOString()} [${role} ${process.pid}] ${line}\n`));
}

/** Pure: the level of a daemon's line, so JSON lines can be filtered on it. */
export function levelOf(line: string): 'info' | 'warn' | 'error' {
  if (line.includes('internal error')) return 'error';
  return /\b(failed|crash[- ]loop(ing)?|ejected|dead-man|unhealthy|could not|still running)\b/.test(line) ? 'warn' : 'info';
}

/** Exit code of a daemon process that stopped on an error nothing caught (its supervisor restarts it). */
export const INTERNAL_ERROR_EXIT = 70;

/**
 * An error nothing caught ends a long-lived process with one log line that says
 * so (and the stack, since this is a log), never with Node's bare dump; its
 * supervisor (the keeper for a router, the next command for an agent) starts
 * another. The router keeps serving meanwhile, whichever process it was.
 */
export function installDaemonGuard(role: string, masker: Masker = new Masker()): void {
  const log = processLogger(role, masker);
  const stop = (err: unknown): void => {
    const stack = err instanceof Error && err.stack ? err.stack : null;
    if (process.env[LOG_FORMAT_ENV] === 'json') log(`stopped on an internal error: ${err instanceof Error ? err.message : String(err)}`, stack ? { stack } : {});
    else {
      log(`stopped on an internal error: ${err instanceof Error ? err.message : String(err)}`);
      if (stack) process.stdout.write(`${masker.mask(stack)}\n`);
    }
    process.exit(INTERNAL_ERROR_EXIT);
  };
  process.on('unhandledRejection', stop);
  process.on('uncaughtException', stop);
}
