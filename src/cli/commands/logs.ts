import { relative } from 'node:path';
import { listLogSources, LogFollower, logsDir, tailLog, type LogSource } from '../../agent/supervisor/logs.js';
import { NotFound, UsageError } from '../../errors.js';
import { checkVersionSafety } from '../../gates/version.js';
import { systemClock } from '../../runtime/clock.js';
import { agentDirOf } from '../context.js';
import { assertInstanceLogs } from './rollout-control.js';
import { EXIT } from '../exit-codes.js';
import type { GlobalOptions, Output } from '../output.js';

export const DEFAULT_LOG_LINES = 100;
export const MAX_LOG_LINES = 100_000;
/** How often `--follow` looks for new output (and new instances). */
export const FOLLOW_POLL_MS = 250;

export interface LogsFlags extends GlobalOptions {
  version?: string;
  instance?: string;
  lines?: string;
  follow?: boolean;
}

interface Filter {
  version?: string;
  instance?: string;
}

export function parseLines(value: string | undefined): number {
  if (value === undefined) return DEFAULT_LOG_LINES;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0 || n > MAX_LOG_LINES) throw new UsageError(`--lines: expected a whole number from 0 to ${MAX_LOG_LINES} (got "${value}")`);
  return n;
}

/**
 * `shipgate logs`: the instances' own log files, read directly (no agent needed):
 * the last lines of each, prefixed `version/instance |`; with --follow, new lines
 * as they are written, across rotations, until Ctrl-C (exit 0).
 */
export async function logsCommand(flags: LogsFlags, out: Output): Promise<number> {
  const lines = parseLines(flags.lines);
  if (flags.follow && out.json) throw new UsageError('--follow cannot be combined with --json');
  const unsafe = flags.version === undefined ? null : checkVersionSafety(flags.version);
  if (unsafe) throw new UsageError(`--version: ${unsafe}`);
  const agent = await agentDirOf(flags, out);
  assertInstanceLogs(agent.providerType);
  const dir = logsDir(agent.dir);
  const filter: Filter = { version: flags.version, instance: flags.instance };
  const sources = await listLogSources(dir, filter);
  if (sources.length === 0 && !flags.follow) return nothingFound(filter, relative(agent.root, dir) || '.', out);
  const sizes = await printTails(sources, lines, out);
  if (flags.follow) await follow(dir, filter, sources.map((s, i) => new LogFollower(s, sizes[i]!)), out);
  return EXIT.ok;
}

function nothingFound(filter: Filter, where: string, out: Output): number {
  if (filter.instance !== undefined) throw new NotFound(`no logs for instance ${filter.instance}${filter.version === undefined ? '' : ` of ${filter.version}`} in ${where}`);
  if (filter.version !== undefined) throw new NotFound(`no logs for version ${filter.version} in ${where}`);
  if (out.json) out.result([]);
  else out.err(`no instance logs yet (in ${where})`);
  return EXIT.ok;
}

/** Prints the last `n` lines of each source; returns the size each file had, where following starts. */
async function printTails(sources: LogSource[], n: number, out: Output): Promise<number[]> {
  const sizes: number[] = [];
  const json: { version: string; instance: string; line: string }[] = [];
  for (const s of sources) {
    const tail = await tailLog(s.path, n);
    sizes.push(tail.size);
    for (const line of tail.lines) {
      if (out.json) json.push({ version: s.version, instance: s.instance, line });
      else out.line(prefixed(s, line));
    }
  }
  if (out.json) out.result(json);
  return sizes;
}

function prefixed(s: LogSource, line: string): string {
  return `${s.version}/${s.instance} | ${line}`;
}

/** Polls the files for new lines until SIGINT/SIGTERM; picks up instances that appear meanwhile. */
async function follow(dir: string, filter: Filter, initial: LogFollower[], out: Output): Promise<void> {
  const followers = new Map(initial.map((f) => [f.source.path, f]));
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    while (!stop.signal.aborted) {
      await systemClock.sleep(FOLLOW_POLL_MS, stop.signal);
      for (const s of await listLogSources(dir, filter)) if (!followers.has(s.path)) followers.set(s.path, new LogFollower(s, 0));
      for (const f of followers.values()) for (const line of await f.poll()) out.line(prefixed(f.source, line));
    }
  } catch (err) {
    if (!stop.signal.aborted) throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
