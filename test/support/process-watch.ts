/**
 * Records the command line of every process that belongs to a test while it runs: the
 * process list (`ps`) is readable by every user on the host, so a secret must never be there.
 *
 * Database tools are caught by shims first on PATH, which log the exact argv each was started
 * with before they exec the real tool: no start is missed, however short, and a client that
 * blanks its password argument after it starts (the MySQL clients do) is still caught.
 * Everything else of the project (the CLI, the agent, scripts) lives long enough for a poll
 * of /proc: polling it every few milliseconds instead would cost a core for the whole test.
 */
import { chmodSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, delimiter, join } from 'node:path';

/** Database tools shipgate starts: watched wherever they run. */
export const DATABASE_TOOLS = ['pg_dump', 'pg_restore', 'psql', 'mariadb-dump', 'mysqldump', 'mariadb', 'mysql'];

/** How often /proc is read for the project's own processes (node processes live for 100 ms at least). */
const POLL_MS = 25;

export interface ProcessWatch {
  /** PATH for the processes under watch: the tool shims first. */
  readonly path: string;
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

/** A folder of shims, one per database tool found on `path`, each logging its argv (NUL-separated, one start per line) to `log`. */
function toolShims(path: string, log: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'shipgate-shims-'));
  for (const tool of DATABASE_TOOLS) {
    const real = path.split(delimiter).map((d) => join(d, tool)).find((f) => existsSync(f));
    if (!real) continue;
    const shim = join(dir, tool);
    writeFileSync(shim, `#!/bin/sh\nprintf '%s\\0' "$0" "$@" >> '${log}'\nprintf '\\n' >> '${log}'\nexec '${real}' "$@"\n`);
    chmodSync(shim, 0o755);
  }
  return dir;
}

/** Watches processes whose cwd or command line is under `dir`, and every database tool started with {@link ProcessWatch.path}. */
export function watchProcesses(dir: string, path = process.env.PATH ?? ''): ProcessWatch {
  const seen = new Set<string>();
  const logDir = mkdtempSync(join(tmpdir(), 'shipgate-tool-log-'));
  const log = join(logDir, 'argv.log');
  const shims = toolShims(path, log);
  const poll = (): void => {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
      const p = readProcess(pid);
      if (p && p.cmdline && isWatched(p, dir)) seen.add(p.cmdline);
    }
  };
  const timer = setInterval(poll, POLL_MS);
  let stopped = false;
  return {
    path: `${shims}${delimiter}${path}`,
    stop: () => {
      if (!stopped) {
        stopped = true;
        clearInterval(timer);
        poll();
        const starts = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
        // argv[0] is the shim's path: name the tool as it was asked for.
        for (const start of starts) seen.add(start.split('\0').filter(Boolean).map((a, i) => (i === 0 ? basename(a) : a)).join(' '));
        rmSync(shims, { recursive: true, force: true });
        rmSync(logDir, { recursive: true, force: true });
      }
      return [...seen];
    },
  };
}
