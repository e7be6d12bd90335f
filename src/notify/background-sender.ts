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

/** The CLI's entry (bin/shipgate.js), from src/notify or dist/notify alike. */
export const CLI_ENTRY = fileURLToPath(new URL('../../bin/shipgate.js', import.meta.url));
/** The pid of the command that started a background sender: it begins its work once that one has exited. */
export const AFTER_PID_ENV = 'SHIPGATE_NOTIFY_AFTER_PID';
/** Longest wait for that command's exit. */
const AFTER_PID_WAIT_MS = 3_000;
/** The background sender's niceness (lower priority than the commands). */
const BACKGROUND_NICE = 10;
/** The log is started over once it is this large. */
const MAX_LOG_BYTES = 1024 * 1024;

export interface BackgroundSenderInfo {
  pid: number;
  startedAt: string;
  /** When it stops trying. */
  until: string;
}

export function notifyDir(root: string): string {
  return join(root, '.shipgate', 'notify');
}

/** Starts `shipgate notify flush` detached (its own process group, not waited for); its pid, or null when it could not start. */
export function startBackgroundSender(root: string, configPath: string, environment: string, env: NodeJS.ProcessEnv = process.env): number | null {
  const dir = notifyDir(root);
  ensurePrivateDir(dir);
  const logPath = join(dir, 'background.log');
  const log = openPrivate(logPath, sizeOf(logPath) > MAX_LOG_BYTES ? 'w' : 'a');
  try {
    const [node, ...args] = handOffArgv(process.execPath, CLI_ENTRY, configPath, environment);
    const child = spawn(node!, args, { cwd: root, env: { ...env, [AFTER_PID_ENV]: String(process.pid) }, detached: true, stdio: ['ignore', log, log] });
    child.on('error', () => undefined);
    child.unref();
    if (child.pid === undefined) return null;
    lowerPriority(child.pid);
    // Known from now on (before it has even loaded): `notify list` tells of it, a test's cleanup finds it.
    const now = Date.now();
    registerSender(root, { pid: child.pid, startedAt: new Date(now).toISOString(), until: new Date(now + DEFAULT_BACKGROUND_SEND_MS).toISOString() });
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

/**
 * The background sender's first step: waits (at most a few seconds) for the command that
 * started it to exit, so that loading its config and store takes no CPU from that exit.
 */
export async function waitForStarterExit(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const pid = Number(env[AFTER_PID_ENV]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  const until = Date.now() + AFTER_PID_WAIT_MS;
  while (isAlive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/** Linux: a sender that was killed but not reaped yet (its parent, init, may never reap it in a container) is dead. */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}
