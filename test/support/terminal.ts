/**
 * A real pseudo-terminal for end-to-end tests: the CLI runs inside a tmux session
 * of its own (a private tmux server per session, so parallel tests never meet),
 * and the test reads the screen as a person would see it.
 */
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CLI, cliEnv } from './project.js';

const exec = promisify(execFile);

export interface TerminalOptions {
  cols?: number;
  rows?: number;
  env?: Record<string, string | undefined>;
}

export interface Terminal {
  /** The screen now (wrapped lines joined). */
  screen(): Promise<string>;
  /** Every distinct screen seen so far by {@link waitFor}, oldest first. */
  frames: string[];
  /** Polls the screen until `test` holds, or fails after `timeoutMs` with the last screen. */
  waitFor(test: RegExp | ((screen: string) => boolean), what: string, timeoutMs?: number): Promise<string>;
  /** Waits for the command to end; resolves with its exit code and the final screen. */
  exit(timeoutMs?: number): Promise<{ code: number; screen: string }>;
  /** Sends keys as tmux names them (`C-c`). */
  keys(...keys: string[]): Promise<void>;
  close(): Promise<void>;
}

let sessions = 0;

/** Runs `shipgate ARGS` in `cwd` in a terminal of `cols`×`rows`; the shell prints `EXIT=<code>` when it ends. */
export async function shipgateInTerminal(cwd: string, args: string[], opts: TerminalOptions = {}): Promise<Terminal> {
  // A socket of our own: tmux leaves the file behind when its server ends, so close() removes it.
  const socket = join(tmpdir(), `shipgate-tmux-${process.pid}-${++sessions}`);
  const tmux = (...a: string[]) => exec('tmux', ['-S', socket, ...a], { env: cliEnv(opts.env) });
  const argv = [process.execPath, CLI, ...args].map(quote).join(' ');
  // The shell stays after the CLI ends, so the last screen can still be read.
  await tmux('new-session', '-d', '-s', 'sg', '-x', String(opts.cols ?? 120), '-y', String(opts.rows ?? 40), '-c', cwd, `${argv}; echo "EXIT=$?"; exec sleep 3600`);
  const frames: string[] = [];
  const screen = async (): Promise<string> => (await tmux('capture-pane', '-p', '-J', '-t', 'sg')).stdout;
  const waitFor = async (test: RegExp | ((s: string) => boolean), what: string, timeoutMs = 30_000): Promise<string> => {
    const until = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      last = await screen();
      if (frames.at(-1) !== last) frames.push(last);
      if (typeof test === 'function' ? test(last) : test.test(last)) return last;
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}; the screen:\n${last}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return {
    screen,
    frames,
    waitFor,
    exit: async (timeoutMs = 60_000) => {
      const s = await waitFor(/EXIT=\d+/, 'the command to end', timeoutMs);
      return { code: Number(/EXIT=(\d+)/.exec(s)![1]), screen: s };
    },
    keys: async (...keys) => void (await tmux('send-keys', '-t', 'sg', ...keys)),
    close: async () => {
      await tmux('kill-server').catch(() => undefined);
      await rm(socket, { force: true });
    },
  };
}

function quote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
