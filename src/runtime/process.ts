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

export const execaRunner: Runner = async (req) => {
  const { execa } = await import('execa');
  const [file, ...args] = req.argv;
  if (!file) throw new TypeError('empty argv');
  const started = performance.now();
  const child = execa(file, args, {
    cwd: req.cwd,
    env: req.env,
    extendEnv: true,
    timeout: req.timeoutMs,
    cancelSignal: req.signal,
    reject: false,
    stdin: 'ignore',
    forceKillAfterDelay: DEFAULT_KILL_GRACE_MS,
    stripFinalNewline: false,
    buffer: false,
    stdout: ['pipe'],
    stderr: ['pipe'],
  });
  const pump = async (stream: NodeJS.ReadableStream | null, name: 'stdout' | 'stderr'): Promise<void> => {
    if (!stream) return;
    // Decode across chunk boundaries: a character (or a secret) split between chunks stays whole.
    stream.setEncoding('utf8');
    let rest = '';
    for await (const chunk of stream) {
      const text = rest + String(chunk);
      const lines = text.split(/\r?\n/);
      rest = lines.pop() ?? '';
      for (const line of lines) req.onLine?.(line, name);
    }
    if (rest) req.onLine?.(rest, name);
  };
  const [result] = await Promise.all([child, pump(child.stdout, 'stdout'), pump(child.stderr, 'stderr')]);
  const spawnError = result.failed && result.exitCode === undefined && !result.timedOut && !result.isCanceled && !result.signal ? (result.shortMessage ?? "failed to start").split("\n")[0]! : null;
  return {
    exitCode: result.exitCode ?? null,
    signal: result.signal ?? null,
    timedOut: result.timedOut,
    cancelled: result.isCanceled,
    spawnError,
    durationMs: performance.now() - started,
  };
};

/** One-line description of a failed run, for errors. */
export function describeRunFailure(r: RunResult, timeoutMs?: number): string {
  if (r.spawnError) return `could not start: ${r.spawnError}`;
  if (r.timedOut) return `timed out after ${timeoutMs === undefined ? '?' : Math.round(timeoutMs / 1000)}s and was killed`;
  if (r.cancelled) return 'cancelled';
  if (r.signal) return `killed by ${r.signal}`;
  return `exited with code ${r.exitCode}`;
}
