/**
 * The background sender's first step, taken by the CLI's entry before it loads the CLI: it
 * waits while the command that started it is alive, so that its loading (modules, config,
 * store) takes no CPU from that command's run or exit. It imports nothing but `node:fs`.
 */
import { readFileSync } from 'node:fs';

/** The pid of the command that started a background sender: it begins its work once that one has exited. */
export const AFTER_PID_ENV = 'SHIPGATE_NOTIFY_AFTER_PID';
/** Longest wait for that command (a rollout with long pauses included); past it, the sender starts anyway (claims keep the two from sending a row twice). */
export const STARTER_MAX_WAIT_MS = 24 * 60 * 60_000;
const POLL_MS = 20;

/** Waits while the process named by {@link AFTER_PID_ENV} lives (no wait when it is unset or gone). */
export async function waitForStarterExit(env: NodeJS.ProcessEnv = process.env, maxMs = STARTER_MAX_WAIT_MS): Promise<void> {
  const pid = Number(env[AFTER_PID_ENV]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  const until = Date.now() + maxMs;
  while (isAlive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, POLL_MS));
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/** Linux: a process that exited but was not reaped yet (its parent, init, may never reap it in a container) is dead. */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}
