import { spawn } from 'node:child_process';
import { closeSync, existsSync, readFileSync } from 'node:fs';
import type { Clock } from '../../runtime/clock.js';
import { isAlive, startToken } from '../../runtime/process-identity.js';
import type { VersionSpec } from '../contract.js';
import { openAppend } from './logs.js';

/**
 * The process effect. An instance runs detached (its own process group, so a
 * signal reaches whatever it forked, and it outlives the agent), with stdout and
 * stderr going straight to its log file. A {@link Proc} is the supervisor's
 * handle on one run: a child of this agent (exit seen as an event) or an
 * adopted process of a previous agent (exit seen by polling its liveness).
 */

export interface ExitInfo {
  code: number | null;
  signal: string | null;
  at: number;
  /** Set when the process could not be started at all (spawn error). */
  error?: string;
}

export interface Proc {
  /** Null when the process could not be started. */
  readonly pid: number | null;
  readonly startToken: string | null;
  readonly adopted: boolean;
  /** Resolves once the process is gone. Never rejects. */
  readonly exited: Promise<ExitInfo>;
  /** Set as soon as the process is known to be gone. */
  exit: ExitInfo | null;
  /** Signals the process group (the instance and what it forked). */
  kill(signal: NodeJS.Signals): void;
  /** Stops watching without touching the process (the agent hands over). */
  release(): void;
}

export interface SpawnRequest {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  logPath: string;
}

/** The environment of an instance: the agent's own, then the spec's, then PORT, SHIPGATE_VERSION and SHIPGATE_INSTANCE. */
export function instanceEnv(spec: Pick<VersionSpec, 'version' | 'env'>, port: number, instanceId: string, base: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
  return { ...env, ...spec.env, PORT: String(port), SHIPGATE_VERSION: spec.version, SHIPGATE_INSTANCE: instanceId };
}

export function spawnInstance(req: SpawnRequest, clock: Clock): Proc {
  if (!existsSync(req.cwd)) return failedProc(`the release folder ${req.cwd} does not exist`, clock);
  const fd = openAppend(req.logPath);
  let child;
  try {
    child = spawn(req.argv[0]!, req.argv.slice(1), { cwd: req.cwd, env: req.env, detached: true, stdio: ['ignore', fd, fd] });
  } catch (err) {
    return failedProc((err as Error).message, clock);
  } finally {
    closeSync(fd);
  }
  // The agent's event loop never waits for an instance: instances outlive the agent.
  child.unref();
  const pid = child.pid ?? null;
  const token = pid === null ? null : startToken(pid);
  let settle!: (e: ExitInfo) => void;
  const exited = new Promise<ExitInfo>((r) => (settle = r));
  const onExit = (code: number | null, signal: NodeJS.Signals | null): void => done({ code, signal, at: clock.now() });
  const onError = (err: Error): void => done({ code: null, signal: null, at: clock.now(), error: err.message });
  const proc: Proc = {
    pid,
    startToken: token,
    adopted: false,
    exited,
    exit: null,
    kill: (signal) => (proc.exit ? undefined : signalGroup(pid, signal)),
    release: () => {
      child.off('exit', onExit);
      child.off('error', onError);
    },
  };
  function done(e: ExitInfo): void {
    if (proc.exit) return;
    proc.exit = e;
    settle(e);
  }
  child.on('exit', onExit);
  child.on('error', onError);
  return proc;
}

/** A process started by a previous agent: not our child, so its exit is found by polling. */
export function adoptProcess(pid: number, token: string | null, clock: Clock, pollMs: number): Proc {
  const ac = new AbortController();
  let settle!: (e: ExitInfo) => void;
  const exited = new Promise<ExitInfo>((r) => (settle = r));
  const proc: Proc = {
    pid,
    startToken: token,
    adopted: true,
    exited,
    exit: null,
    kill: (signal) => (isRunning(pid, token) ? signalGroup(pid, signal) : undefined),
    release: () => ac.abort(),
  };
  const check = (): boolean => {
    if (isRunning(pid, token)) return false;
    proc.exit = { code: null, signal: null, at: clock.now() };
    settle(proc.exit);
    return true;
  };
  void (async () => {
    while (!check()) await clock.sleep(pollMs, ac.signal);
  })().catch(() => undefined);
  return proc;
}

function failedProc(error: string, clock: Clock): Proc {
  const exit: ExitInfo = { code: null, signal: null, at: clock.now(), error };
  return { pid: null, startToken: null, adopted: false, exited: Promise.resolve(exit), exit, kill: () => undefined, release: () => undefined };
}

/** Signals the group led by `pid` (instances are started detached: pid = pgid); the process alone if there is no group. */
export function signalGroup(pid: number | null, signal: NodeJS.Signals): void {
  if (pid === null) return;
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

/**
 * True while `pid` is the same process (start token) and not a zombie. A zombie
 * still answers kill(pid, 0), but it has exited: it only waits for its parent
 * (a previous agent still shutting down) to reap it.
 */
export function isRunning(pid: number, token: string | null): boolean {
  if (!isAlive(pid, token)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    // Gone between the two checks, or no /proc at all (macOS: isAlive is all we know).
    return !existsSync('/proc/self/stat');
  }
}
