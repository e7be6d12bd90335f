import type { Writable } from 'node:stream';
import { describeRunFailure, type RunRequest, type Runner } from '../runtime/process.js';
import { Masker } from '../runtime/secrets.js';
import { BackupError } from './errors.js';

/** How many of a failed tool's last stderr lines go into the error. */
export const DEFAULT_STDERR_LINES = 5;

export interface ToolRun {
  run: Runner;
  /** The command as an argv array; never holds a password. */
  argv: string[];
  env?: Record<string, string>;
  stdinFile?: string;
  /** Where the tool's stdout bytes go (a dump streamed into the archive), not ended; without it, its lines are returned. */
  stdout?: Writable;
  signal?: AbortSignal;
  onSpawn?: RunRequest['onSpawn'];
  /** Secrets to mask out of the tool's output before it reaches an error. */
  secrets: string[];
  /** What the tool does, for errors: `pg_dump of database app`. */
  what: string;
}

/** Runs a backup tool; resolves with its stdout lines, or throws a BackupError with its last stderr lines, masked. */
export async function runTool(t: ToolRun): Promise<string[]> {
  const out: string[] = [];
  const err: string[] = [];
  const result = await t.run({
    argv: t.argv,
    env: t.env,
    stdinFile: t.stdinFile,
    stdout: t.stdout,
    signal: t.signal,
    onSpawn: t.onSpawn,
    onLine: (line, stream) => (stream === 'stdout' ? out.push(line) : err.push(line)),
  });
  if (result.exitCode === 0) return out;
  const masker = new Masker(t.secrets);
  const tail = err.filter((l) => l.trim() !== '').slice(-DEFAULT_STDERR_LINES).map((l) => masker.mask(l));
  throw new BackupError(`${t.what} failed (${describeRunFailure(result)})${tail.length ? `: ${tail.join(' | ')}` : ''}`);
}
