/**
 * The process-level guard of the CLI. An error nothing caught (an unhandled
 * rejection, an uncaught exception) must not end a deploy with a raw stack and
 * a lock held by nobody who knows: it ends the run as interrupted, journaled when
 * the store still answers, with its own exit code; the next command settles it.
 */
import { errorMessage, RunInterrupted } from '../errors.js';
import { errorJson } from './error-json.js';
import { runningGroups } from '../runtime/running-groups.js';
import { EXIT } from './exit-codes.js';
import type { Output } from './output.js';

/** How long the guard tries to journal the interruption before it exits anyway. */
export const GUARD_JOURNAL_MS = 3000;

interface ActiveRun {
  deploymentId: string;
  /** Journals `run:interrupted` with the reason. */
  journal(reason: string): Promise<void>;
}

/** The deployment under way (set by runPipeline while one runs). */
let active: ActiveRun | null = null;

export function setActiveRun(run: ActiveRun | null): void {
  active = run;
}

let installed = false;

/** Installs the guard once per process; `out` says how to print (masked, --verbose). */
export function installGuard(out: () => Output): void {
  if (installed) return;
  installed = true;
  let handling = false;
  const handle = (err: unknown): void => {
    if (handling) return;
    handling = true;
    void stopInterrupted(err, out()).finally(() => {
      // In the same tick as the exit: the run's own code gets no chance to react (and undo) in between.
      // Commands still running belong to a run that is over: SIGTERM as the process exits (recovery ends any that stay).
      for (const pgid of runningGroups) signalGroup(pgid, 'SIGTERM');
      process.exit(EXIT.interrupted);
    });
  };
  process.on('unhandledRejection', handle);
  process.on('uncaughtException', handle);
}

async function stopInterrupted(err: unknown, out: Output): Promise<void> {
  const reason = `internal error: ${errorMessage(err)}`;
  out.err(`shipgate stopped: ${reason}`);
  if (out.verbose && err instanceof Error && err.stack) out.err(err.stack);
  const run = active;
  if (run) {
    await Promise.race([run.journal(reason).catch(() => undefined), new Promise((r) => setTimeout(r, GUARD_JOURNAL_MS).unref())]);
    out.err('the deployment is left unfinished (interrupted): the next shipgate deploy, rollback or resume settles it; shipgate status shows it');
  }
  if (out.json) out.result(errorJson(new RunInterrupted(run?.deploymentId ?? null, `shipgate stopped: ${reason}`), EXIT.interrupted));
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // gone already
  }
}
