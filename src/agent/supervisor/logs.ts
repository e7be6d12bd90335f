import { appendFileSync, closeSync } from 'node:fs';
import { copyFile, open, readdir, rename, stat, truncate } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { Clock } from '../../runtime/clock.js';
import { LineSplitter } from '../../runtime/line-splitter.js';
import { ensurePrivateDir, openPrivate } from '../../runtime/private-files.js';

/**
 * Instance logs: `<stateDir>/logs/<version>/<instanceId>.log`. The instance
 * writes to its file itself (stdout and stderr are a file descriptor opened with
 * O_APPEND, not a pipe through the agent), so its output survives an agent
 * restart. Rotation is copy-and-truncate, the only kind that works when the
 * writer keeps its descriptor: with O_APPEND its next write lands at the new end.
 * Lines written between the copy and the truncation are lost (as with logrotate's
 * copytruncate); the window is one file copy.
 */

export const DEFAULT_LOG_MAX_BYTES = 10 * 1024 * 1024;
export const DEFAULT_LOG_KEEP = 3;
export const DEFAULT_ROTATION_CHECK_MS = 10_000;
/** Lines the supervisor writes into an instance's log start with this. */
export const MARKER_PREFIX = '--- shipgate:';
const LOG_SUFFIX = '.log';
const TAIL_CHUNK = 64 * 1024;

export interface RotationPolicy {
  /** Rotate a file once it is larger than this. @default 10 MiB */
  maxBytes: number;
  /** Old files kept: `.1` (newest) to `.<keep>`. @default 3 */
  keep: number;
  /** How often sizes are checked. @default 10000 */
  checkEveryMs: number;
}

export const DEFAULT_ROTATION: RotationPolicy = { maxBytes: DEFAULT_LOG_MAX_BYTES, keep: DEFAULT_LOG_KEEP, checkEveryMs: DEFAULT_ROTATION_CHECK_MS };

export function logsDir(stateDir: string): string {
  return join(stateDir, 'logs');
}

export function instanceLogPath(stateDir: string, version: string, instanceId: string): string {
  return join(logsDir(stateDir), version, `${instanceId}${LOG_SUFFIX}`);
}

export function rotatedPath(path: string, n: number): string {
  return `${path}.${n}`;
}

/** Opens (creating) an instance's log for appending: the descriptor handed to the instance as stdout and stderr. */
export function openAppend(path: string): number {
  ensurePrivateDir(dirname(path));
  return openPrivate(path, 'a');
}

/** Appends one supervisor line (`--- shipgate: ... ---`) to an instance's log. */
export function writeMarker(path: string, text: string): void {
  const fd = openAppend(path);
  try {
    appendFileSync(fd, `${MARKER_PREFIX} ${text} ---\n`);
  } finally {
    closeSync(fd);
  }
}

export function shouldRotate(size: number, policy: Pick<RotationPolicy, 'maxBytes'>): boolean {
  return size > policy.maxBytes;
}

export type RotationStep = { op: 'rename'; from: string; to: string } | { op: 'copy'; from: string; to: string } | { op: 'truncate'; path: string };

/** `.2 -> .3`, `.1 -> .2`, copy the file to `.1`, truncate the file (the oldest is overwritten). */
export function rotationPlan(path: string, keep: number): RotationStep[] {
  const steps: RotationStep[] = [];
  for (let i = keep - 1; i >= 1; i--) steps.push({ op: 'rename', from: rotatedPath(path, i), to: rotatedPath(path, i + 1) });
  if (keep >= 1) steps.push({ op: 'copy', from: path, to: rotatedPath(path, 1) });
  steps.push({ op: 'truncate', path });
  return steps;
}

export async function runRotation(steps: RotationStep[]): Promise<void> {
  for (const s of steps) {
    if (s.op === 'rename') await rename(s.from, s.to).catch(ignoreMissing);
    else if (s.op === 'copy') await copyFile(s.from, s.to);
    else await truncate(s.path, 0);
  }
}

/** Rotates `path` when it is over the limit. Resolves true when it did. */
export async function rotateIfNeeded(path: string, policy: Pick<RotationPolicy, 'maxBytes' | 'keep'>): Promise<boolean> {
  const size = await fileSize(path);
  if (size === null || !shouldRotate(size, policy)) return false;
  await runRotation(rotationPlan(path, policy.keep));
  return true;
}

/** Checks `files()` every `policy.checkEveryMs` on `clock` and rotates the ones over the limit, until stopped. */
export function startRotationLoop(o: { clock: Clock; policy: RotationPolicy; files: () => { id: string; path: string }[]; log: (line: string) => void }): { stop(): void } {
  const ac = new AbortController();
  const rotateAll = async (): Promise<void> => {
    for (const f of o.files()) {
      try {
        if (await rotateIfNeeded(f.path, o.policy)) o.log(`${f.id}: log rotated`);
      } catch (err) {
        o.log(`${f.id}: log rotation failed: ${(err as Error).message}`);
      }
    }
  };
  void (async () => {
    for (;;) {
      await o.clock.sleep(o.policy.checkEveryMs, ac.signal);
      await rotateAll();
    }
  })().catch(() => undefined);
  return { stop: () => ac.abort() };
}

function ignoreMissing(err: NodeJS.ErrnoException): void {
  if (err.code !== 'ENOENT') throw err;
}

export async function fileSize(path: string): Promise<number | null> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    ignoreMissing(err as NodeJS.ErrnoException);
    return null;
  }
}

/** Splits text into lines; a final line without its newline still counts. */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** The last `n` lines of one file (read backwards in chunks), and the size it had. */
export async function tailFile(path: string, n: number): Promise<{ lines: string[]; size: number }> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    ignoreMissing(err as NodeJS.ErrnoException);
    return { lines: [], size: 0 };
  }
  try {
    const size = (await handle.stat()).size;
    let start = size;
    let chunks: Buffer[] = [];
    let newlines = 0;
    while (start > 0 && newlines <= n) {
      const len = Math.min(TAIL_CHUNK, start);
      start -= len;
      const buf = Buffer.alloc(len);
      const { bytesRead } = await handle.read(buf, 0, len, start);
      const chunk = buf.subarray(0, bytesRead);
      for (const b of chunk) if (b === 10) newlines++;
      chunks = [chunk, ...chunks];
    }
    const lines = splitLines(Buffer.concat(chunks).toString('utf8'));
    return { lines: lines.slice(Math.max(0, lines.length - n)), size };
  } finally {
    await handle.close();
  }
}

/** The last `n` lines of an instance's log, reaching into `.1`, `.2`... when the current file has fewer. */
export async function tailLog(path: string, n: number, keep = DEFAULT_LOG_KEEP): Promise<{ lines: string[]; size: number }> {
  const current = await tailFile(path, n);
  let lines = current.lines;
  for (let i = 1; i <= keep && lines.length < n; i++) {
    const older = await tailFile(rotatedPath(path, i), n - lines.length);
    lines = [...older.lines, ...lines];
  }
  return { lines, size: current.size };
}

/** What the process wrote since the supervisor's last marker (its current run), last `n` lines. */
export async function tailSinceMarker(path: string, n: number): Promise<string[]> {
  const { lines } = await tailFile(path, Math.max(n, 200));
  const marker = lines.findLastIndex((l) => l.startsWith(MARKER_PREFIX));
  const own = marker >= 0 ? lines.slice(marker + 1) : lines;
  return own.slice(Math.max(0, own.length - n));
}

export interface LogSource {
  version: string;
  /** The file name without `.log`: the instance id. */
  instance: string;
  path: string;
}

/** Every current instance log under `dir` (`<dir>/<version>/<instance>.log`), versions and instances in natural order. */
export async function listLogSources(dir: string, filter: { version?: string; instance?: string } = {}): Promise<LogSource[]> {
  const versions = filter.version !== undefined ? [filter.version] : await listNames(dir, true);
  const sources: LogSource[] = [];
  for (const version of versions.sort(naturalOrder)) {
    const files = (await listNames(join(dir, version), false)).filter((f) => f.endsWith(LOG_SUFFIX)).sort(naturalOrder);
    for (const f of files) {
      const instance = f.slice(0, -LOG_SUFFIX.length);
      if (filter.instance === undefined || filter.instance === instance) sources.push({ version, instance, path: join(dir, version, f) });
    }
  }
  return sources;
}

async function listNames(dir: string, directories: boolean): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((e) => (directories ? e.isDirectory() : e.isFile())).map((e) => e.name);
  } catch (err) {
    ignoreMissing(err as NodeJS.ErrnoException);
    return [];
  }
}

/** `v1#2` before `v1#10`. */
export function naturalOrder(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/**
 * Reads what is appended to one log, poll by poll. Rotation is noticed when the
 * file is shorter than what was already read: the rest of the old content is
 * then in `.1`, read from the same offset before starting the file again at 0.
 * Bytes are decoded across reads (a read may end inside a multi-byte character)
 * and split by a {@link LineSplitter}: a huge line without a newline costs linear
 * time and bounded memory, not a copy of everything so far on every poll.
 */
export class LogFollower {
  private readonly decoder = new StringDecoder('utf8');
  private lines: string[] = [];
  private readonly splitter = new LineSplitter((line) => this.lines.push(line));

  constructor(
    readonly source: LogSource,
    private offset: number,
  ) {}

  /** Complete new lines since the last poll. */
  async poll(): Promise<string[]> {
    const size = await fileSize(this.source.path);
    if (size === null) return [];
    if (size < this.offset) {
      this.feed(await readRange(rotatedPath(this.source.path, 1), this.offset));
      this.offset = 0;
    }
    const fresh = await readRange(this.source.path, this.offset, size);
    this.offset += fresh.length;
    this.feed(fresh);
    return this.lines.splice(0);
  }

  private feed(bytes: Buffer): void {
    if (bytes.length > 0) this.splitter.push(this.decoder.write(bytes));
  }
}

/** Bytes `[from, to)` of a file (to its end without `to`); empty when it is missing. */
async function readRange(path: string, from: number, to?: number): Promise<Buffer> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    ignoreMissing(err as NodeJS.ErrnoException);
    return Buffer.alloc(0);
  }
  try {
    const end = to ?? (await handle.stat()).size;
    if (end <= from) return Buffer.alloc(0);
    const buf = Buffer.alloc(end - from);
    const { bytesRead } = await handle.read(buf, 0, buf.length, from);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
