import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants as fsConstants, openSync, statSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { LineSplitter } from './line-splitter.js';
import { setLongTimeout } from './long-timer.js';
import { startToken } from './process-identity.js';
import { trackGroup } from './running-groups.js';

/**
 * The process effect: every external command is an argv array. Output arrives
 * line by line so callers can mask and journal it.
 */

export interface RunRequest {
  argv: string[];
  cwd?: string;
  /** Added to the inherited environment. */
  env?: Record<string, string>;
  timeoutMs?: number;
  signal?: AbortSignal;
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /**
   * Where the command's stdout bytes go, as they come (a dump streamed into an
   * archive), instead of to `onLine`. It is not ended: the caller decides by the
   * result whether what it got is whole. If it fails, the command is stopped
   * (result `cancelled`) rather than left blocked on a full pipe.
   */
  stdout?: Writable;
  /** A file the command reads as its stdin (a dump fed to a database client). With `onSpawn`, the hold opens it once released. */
  stdinFile?: string;
  /**
   * Called once the command's process group exists and before the command runs
   * (a dead run's successor must be able to find and end the group). The command
   * starts when it resolves, and never starts if it rejects.
   */
  onSpawn?: (group: SpawnedGroup) => Promise<void>;
}

export interface SpawnedGroup {
  /** The group's id: the command's pid. */
  pgid: number;
  /** Start token of the group's leader (pid reuse shows as a different token). */
  start: string | null;
}

export interface RunResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  cancelled: boolean;
  /** Could not start (ENOENT, EACCES...). */
  spawnError: string | null;
  durationMs: number;
}

export type Runner = (req: RunRequest) => Promise<RunResult>;

export const DEFAULT_KILL_GRACE_MS = 5000;

/**
 * Holds a command until its group is journaled: `sh` waits for "run" on stdin,
 * then execs the command in place (same pid, same group). If shipgate dies
 * first, the pipe closes, `read` fails, and the command never runs.
 */
const HOLD_SCRIPT = 'IFS= read -r go; [ "$go" = run ] || exit 125; exec "$@"';
/** The same, for a command whose stdin is a file: the hold's stdin is the pipe, so the file comes as $1 and replaces it at the exec. */
const HOLD_STDIN_FILE_SCRIPT = 'IFS= read -r go; [ "$go" = run ] || exit 125; f=$1; shift; exec "$@" < "$f"';

/** argv of the held command: sh holds it; the stdin file (a path, quoted by sh, never spliced into the script) goes first. */
function heldArgv(file: string, args: string[], stdinFile: string | undefined): [string, string[]] {
  if (stdinFile === undefined) return ['/bin/sh', ['-c', HOLD_SCRIPT, 'shipgate', file, ...args]];
  return ['/bin/sh', ['-c', HOLD_STDIN_FILE_SCRIPT, 'shipgate', stdinFile, file, ...args]];
}

/** Process groups of the commands running now (an interrupted run ends them on its way out). */
export { runningGroups } from './running-groups.js';

/** Why `file` cannot be executed (as `spawn FILE ENOENT`), or null. Checked up front for held commands, whose exec happens in sh. */
export function cannotExecute(file: string, cwd: string | undefined, pathVar: string | undefined): string | null {
  const candidates = file.includes('/') ? [resolvePath(cwd ?? process.cwd(), file)] : (pathVar ?? '').split(':').filter(Boolean).map((d) => join(d, file));
  let code = 'ENOENT';
  for (const candidate of candidates) {
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, fsConstants.X_OK);
      return null;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EACCES') code = 'EACCES';
    }
  }
  return `spawn ${file} ${code}`;
}

/** How a spawned child ended: its exit, or why it never started. */
type Ending = { code: number | null; signal: NodeJS.Signals | null; spawnError: string | null };

function ended(child: ChildProcess): Promise<Ending> {
  return new Promise((resolve) => {
    let spawned = false;
    child.once('spawn', () => {
      spawned = true;
    });
    // Before 'spawn', an error means it never started (ENOENT, EACCES); after it, 'close' follows with the exit.
    child.once('error', (err) => {
      if (!spawned) resolve({ code: null, signal: null, spawnError: err.message.split('\n')[0]! });
    });
    child.once('close', (code, signal) => resolve({ code, signal, spawnError: null }));
  });
}

/**
 * Runs the command in a process group of its own. A timeout or `signal` ends the
 * whole group (SIGTERM, then SIGKILL after DEFAULT_KILL_GRACE_MS): a shell script
 * that waits on a child (`sleep`, `kubectl rollout status`) stops with it instead
 * of keeping its output pipes, and so shipgate, open until the child is done.
 *
 * Node's child_process does all of it: a process library would add nothing used here,
 * and loading one (execa: a hundred modules, 260 ms of CPU) cost every command that runs a tool.
 */
export const processRunner: Runner = async (req) => {
  const [file, ...args] = req.argv;
  if (!file) throw new TypeError('empty argv');
  const started = performance.now();
  const failed = (spawnError: string): RunResult => ({ exitCode: null, signal: null, timedOut: false, cancelled: false, spawnError, durationMs: performance.now() - started });
  const held = req.onSpawn !== undefined;
  if (held) {
    const refused = cannotExecute(file, req.cwd, req.env?.PATH ?? process.env.PATH);
    if (refused) return failed(refused);
  }
  const [bin, argv] = held ? heldArgv(file, args, req.stdinFile) : [file, args];
  let stdinFd: number | null = null;
  if (!held && req.stdinFile !== undefined) {
    try {
      stdinFd = openSync(resolvePath(req.cwd ?? process.cwd(), req.stdinFile), 'r');
    } catch (err) {
      return failed((err as Error).message.split('\n')[0]!);
    }
  }
  let child: ChildProcess;
  try {
    child = spawn(bin, argv, {
      cwd: req.cwd,
      env: req.env === undefined ? process.env : { ...process.env, ...req.env },
      detached: process.platform !== 'win32',
      stdio: [held ? 'pipe' : (stdinFd ?? 'ignore'), 'pipe', 'pipe'],
    });
  } finally {
    // The child has its own copy of the descriptor.
    if (stdinFd !== null) closeSync(stdinFd);
  }
  const ending = ended(child);
  // A command that exits before reading its hold's "run" closes the pipe: not an error of ours.
  child.stdin?.on('error', () => undefined);
  const stop = stopper(child);
  const timer = req.timeoutMs === undefined ? null : setLongTimeout(() => stop('timeout'), req.timeoutMs);
  const onAbort = (): void => stop('cancel');
  if (req.signal?.aborted) onAbort();
  else req.signal?.addEventListener('abort', onAbort, { once: true });
  const pump = async (stream: Readable | null, name: 'stdout' | 'stderr'): Promise<void> => {
    if (!stream) return;
    // Decode across chunk boundaries: a character (or a secret) split between chunks stays whole.
    stream.setEncoding('utf8');
    const lines = new LineSplitter((line) => req.onLine?.(line, name));
    for await (const chunk of stream) lines.push(String(chunk));
    lines.end();
  };
  const untrack = child.pid === undefined ? () => false : trackGroup(child.pid);
  try {
    const out = req.stdout === undefined ? pump(child.stdout, 'stdout') : pipeRaw(child.stdout, req.stdout, () => stop('cancel'));
    const outcome = Promise.all([ending, out, pump(child.stderr, 'stderr')]);
    if (held) await release(child, ending, req.onSpawn!, stop);
    const [result] = await outcome;
    return {
      exitCode: result.code,
      signal: result.signal,
      timedOut: stop.reason === 'timeout',
      cancelled: stop.reason === 'cancel',
      spawnError: stop.reason === null ? result.spawnError : null,
      durationMs: performance.now() - started,
    };
  } finally {
    timer?.clear();
    req.signal?.removeEventListener('abort', onAbort);
    stop.done();
    untrack();
  }
};

/** Copies `from` into `to` without ending it; when either fails, `stop` ends the command (its error is the caller's to see on `to`). */
async function pipeRaw(from: Readable | null, to: Writable, stop: () => void): Promise<void> {
  if (!from) return;
  await pipeline(from, to, { end: false }).catch(stop);
}

/** Tells `onSpawn` about the held group, then lets the command run; if `onSpawn` fails, the group is killed and the error thrown. */
async function release(child: ChildProcess, ending: Promise<Ending>, onSpawn: NonNullable<RunRequest['onSpawn']>, stop: Stopper): Promise<void> {
  const pgid = child.pid;
  try {
    if (pgid === undefined) throw new Error('the command has no process id');
    await onSpawn({ pgid, start: startToken(pgid) });
  } catch (err) {
    stop('cancel');
    await ending;
    throw err;
  }
  child.stdin?.end('run\n');
}

interface Stopper {
  (why: 'timeout' | 'cancel'): void;
  /** Why the group was stopped, or null. */
  reason: 'timeout' | 'cancel' | null;
  /** The run is over: no SIGKILL follows. */
  done(): void;
}

/** Ends the child's process group: SIGTERM now, SIGKILL after the grace if anything is left. */
function stopper(child: { pid?: number | undefined; kill(signal?: NodeJS.Signals): boolean }): Stopper {
  let force: NodeJS.Timeout | null = null;
  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      if (child.pid !== undefined && process.platform !== 'win32') process.kill(-child.pid, signal);
      else child.kill(signal);
    } catch {
      // the group is gone already
    }
  };
  const stop = ((why: 'timeout' | 'cancel') => {
    if (stop.reason !== null) return;
    stop.reason = why;
    signalGroup('SIGTERM');
    force = setTimeout(() => signalGroup('SIGKILL'), DEFAULT_KILL_GRACE_MS);
    force.unref();
  }) as Stopper;
  stop.reason = null;
  stop.done = () => {
    if (force !== null) clearTimeout(force);
  };
  return stop;
}

/** One-line description of a failed run, for errors. */
export function describeRunFailure(r: RunResult, timeoutMs?: number): string {
  if (r.spawnError) return `could not start: ${r.spawnError}`;
  if (r.timedOut) return `timed out after ${timeoutMs === undefined ? '?' : Math.round(timeoutMs / 1000)}s and was killed`;
  if (r.cancelled) return 'cancelled';
  if (r.signal) return `killed by ${r.signal}`;
  return `exited with code ${r.exitCode}`;
}
