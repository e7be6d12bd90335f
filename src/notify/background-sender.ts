/**
 * The detached background sender's effects: starting it (`shipgate notify flush`, its output
 * appended to `.shipgate/notify/background.log`), and the file by which each running one is
 * known (`.shipgate/notify/sender-<pid>.json`), for `notify list` and for stopping it.
 */
import { spawn } from 'node:child_process';
import { closeSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensurePrivateDir, openPrivate, writePrivateFileSync } from '../runtime/private-files.js';
import { DEFAULT_BACKGROUND_SEND_MS, handOffArgv } from './hand-off.js';
import { AFTER_PID_ENV, isAlive } from './starter-exit.js';

/** The CLI's entry (bin/shipgate.js), from src/notify or dist/notify alike. */
export const CLI_ENTRY = fileURLToPath(new URL('../../bin/shipgate.js', import.meta.url));
/** The background sender's niceness (lower priority than the commands). */
const BACKGROUND_NICE = 10;
/** The log is started over once it is this large. */
const MAX_LOG_BYTES = 1024 * 1024;

export interface BackgroundSenderInfo {
  pid: number;
  startedAt: string;
  /** When it stops trying. */
  until: string;
  /** A stand-by: it starts once this pid (the command under way) has exited. */
  waitingFor?: number;
}

export function notifyDir(root: string): string {
  return join(root, '.shipgate', 'notify');
}

/**
 * Starts `shipgate notify flush` detached (its own process group, not waited for); its pid, or
 * null when it could not start. It begins once this process has exited: `standby` (started
 * during a run, when a channel stalls) is node waiting already; otherwise (at exit) a shell
 * waits and node starts after this process has gone (see handOffArgv).
 */
export function startBackgroundSender(root: string, configPath: string, environment: string, env: NodeJS.ProcessEnv = process.env, standby = false): number | null {
  const dir = notifyDir(root);
  ensurePrivateDir(dir);
  const logPath = join(dir, 'background.log');
  const log = openPrivate(logPath, sizeOf(logPath) > MAX_LOG_BYTES ? 'w' : 'a');
  try {
    const [command, ...args] = handOffArgv(process.execPath, CLI_ENTRY, configPath, environment, process.pid, standby ? 'node' : 'shell');
    const child = spawn(command!, args, { cwd: root, env: { ...env, [AFTER_PID_ENV]: String(process.pid) }, detached: true, stdio: ['ignore', log, log] });
    child.on('error', () => undefined);
    child.unref();
    if (child.pid === undefined) return null;
    lowerPriority(child.pid);
    // Known from now on (before it has even loaded): `notify list` tells of it, a test's cleanup finds it.
    const now = Date.now();
    registerSender(root, { pid: child.pid, startedAt: new Date(now).toISOString(), until: new Date(now + DEFAULT_BACKGROUND_SEND_MS).toISOString(), ...(standby ? { waitingFor: process.pid } : {}) });
    return child.pid;
  } finally {
    closeSync(log);
  }
}

/** Background work: it must not take the CPU from the exiting command (or the next one) on a small machine. */
function lowerPriority(pid: number): void {
  try {
    setPriority(pid, BACKGROUND_NICE);
  } catch {
    // Not permitted here: it runs at the usual priority.
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** Makes this process known as a background sender; returns the function that forgets it. */
export function registerSender(root: string, info: BackgroundSenderInfo): () => void {
  ensurePrivateDir(notifyDir(root));
  const path = join(notifyDir(root), `sender-${info.pid}.json`);
  writePrivateFileSync(path, `${JSON.stringify(info)}\n`);
  return () => rmSync(path, { force: true });
}

/** The background senders running for this project (files of ones that died are ignored). */
export function liveSenders(root: string): BackgroundSenderInfo[] {
  let names: string[];
  try {
    names = readdirSync(notifyDir(root)).filter((n) => /^sender-\d+\.json$/.test(n));
  } catch {
    return [];
  }
  return names.flatMap((n) => {
    try {
      const info = JSON.parse(readFileSync(join(notifyDir(root), n), 'utf8')) as BackgroundSenderInfo;
      return isAlive(info.pid) ? [info] : [];
    } catch {
      return [];
    }
  });
}
