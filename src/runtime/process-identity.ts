import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * Who holds a lock: pid + host + a start token. The token (boot id and the
 * process start time from /proc) tells a live holder from a pid reused after the
 * holder died or the host rebooted. Where /proc is absent the token is null and
 * the pid alone decides.
 */
export interface ProcessIdentity {
  pid: number;
  host: string;
  start: string | null;
}

export function currentIdentity(): ProcessIdentity {
  return { pid: process.pid, host: hostname(), start: startToken(process.pid) };
}

export function startToken(pid: number): string | null {
  try {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime) comes after the parenthesised command name, which may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return `${boot}:${fields[19]}`;
  } catch {
    return null;
  }
}

/** True when `pid` is a zombie: it has exited and only waits for its parent to reap it. */
export function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}

/** True when `pid` runs on this host and is the same process that took the lock (a zombie has stopped running). */
export function isAlive(pid: number, start: string | null): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (isZombie(pid)) return false;
  if (start === null) return true;
  const now = startToken(pid);
  return now === null || now === start;
}
