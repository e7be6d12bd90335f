/** One timestamped line per event on stdout (the process's log file): `<ISO time> [<role> <pid>] <line>`. */
export function processLogger(role: string): (line: string) => void {
  return (line) => process.stdout.write(`${new Date().toISOString()} [${role} ${process.pid}] ${line}\n`);
}

/** Exit code of a daemon process that stopped on an error nothing caught (its supervisor restarts it). */
export const INTERNAL_ERROR_EXIT = 70;

/**
 * An error nothing caught ends a long-lived process with one log line that says
 * so (and the stack, since this is a log), never with Node's bare dump; its
 * supervisor (the keeper for a router, the next command for an agent) starts
 * another. The router keeps serving meanwhile, whichever process it was.
 */
export function installDaemonGuard(role: string): void {
  const log = processLogger(role);
  const stop = (err: unknown): void => {
    log(`stopped on an internal error: ${err instanceof Error ? err.message : String(err)}`);
    if (err instanceof Error && err.stack) process.stdout.write(`${err.stack}\n`);
    process.exit(INTERNAL_ERROR_EXIT);
  };
  process.on('unhandledRejection', stop);
  process.on('uncaughtException', stop);
}
