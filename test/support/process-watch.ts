/**
 * Records the command line of every process that belongs to a test while it runs: the
 * process list (`ps`) is readable by every user on the host, so a secret must never be there.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';

/** Database tools shipgate starts: watched wherever they run. */
export const DATABASE_TOOLS = ['pg_dump', 'pg_restore', 'psql', 'mariadb-dump', 'mysqldump', 'mariadb', 'mysql'];

/** How often /proc is read; a pg_dump lives for tens of milliseconds at least. */
const POLL_MS = 2;

export interface ProcessWatch {
  /** Stops watching; every distinct command line seen (arguments joined by spaces). */
  stop(): string[];
}

function readProcess(pid: string): { cmdline: string; cwd: string } | null {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    let cwd = '';
    try {
      cwd = readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      // Another user's process: its cwd is private, its command line is not.
    }
    return { cmdline, cwd };
  } catch {
    return null; // ended between readdir and read
  }
}

function isWatched(p: { cmdline: string; cwd: string }, dir: string): boolean {
  const argv0 = basename(p.cmdline.split(' ')[0] ?? '');
  return p.cwd.startsWith(dir) || p.cmdline.includes(dir) || DATABASE_TOOLS.includes(argv0);
}

/** Polls /proc for processes whose cwd or command line is under `dir`, or that are database tools. */
export function watchProcesses(dir: string): ProcessWatch {
  const seen = new Set<string>();
  const poll = (): void => {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
      const p = readProcess(pid);
      if (p && p.cmdline && isWatched(p, dir)) seen.add(p.cmdline);
    }
  };
  const timer = setInterval(poll, POLL_MS);
  return {
    stop: () => {
      clearInterval(timer);
      poll();
      return [...seen];
    },
  };
}
