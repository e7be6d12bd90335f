/**
 * The process-level guard of the CLI. An error nothing caught (an unhandled
 * rejection, an uncaught exception) must not end a deploy with a raw stack and
 * a lock held by nobody who knows: it ends the run as interrupted, journaled when
 * the store still answers, with its own exit code; the next command settles it.
 */
import { errorMessage } from '../errors.js';
import { EXIT } from './exit-codes.js';
import type { Output } from './output.js';

/** How long the guard tries to journal the interruption before it exits anyway. */
export const GUARD_JOURNAL_MS = 3000;
/** Grace for running commands between SIGTERM and SIGKILL when the guard ends them. */
const GUARD_KILL_GRACE_MS = 2000;

/** Journals `run:interrupted` for the deployment under way (set by runPipeline while one runs). */
let journalInterruption: ((reason: string) => Promise<void>) | null = null;

export function setActiveRun(journal: ((reason: string) => Promise<void>) | null): void {
  journalInterruption = journal;
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
    void stopInterrupted(err, out()).finally(() => process.exit(EXIT.interrupted));
  };
  process.on('unhandledRejection', handle);
  process.on('uncaughtException', handle);
}

async function stopInterrupted(err: unknown, out: Output): Promise<void> {
  const reason = `internal error: ${errorMessage(err)}`;
  out.err(`shipgate stopped: ${reason}`);
  if (out.verbose && err instanceof Error && err.stack) out.err(err.stack);
  const journal = journalInterruption;
  if (journal) {
    await Promise.race([journal(reason).catch(() => undefined), new Promise((r) => setTimeout(r, GUARD_JOURNAL_MS).unref())]);
    out.err('the deployment is left unfinished (interrupted): the next shipgate deploy, rollback or resume settles it; shipgate status shows it');
  }
  // Commands still running belong to a run that is over: end them (a short grace; recovery ends any left).
  const [{ endGroup }, { runningGroups }, { systemClock }] = await Promise.all([import('../runtime/process-group.js'), import('../runtime/process.js'), import('../runtime/clock.js')]);
  await Promise.all([...runningGroups].map((pgid) => endGroup(pgid, null, { clock: systemClock, graceMs: GUARD_KILL_GRACE_MS })));
}
