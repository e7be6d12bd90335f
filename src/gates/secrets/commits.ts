import type { Runner } from '../../runtime/process.js';
import type { KnownSecret } from '../contract.js';
import { findKnownSecrets, type Finding } from './findings.js';
import { lintTarget } from './secretlint.js';

/** How long `git log -p` of the range may take. */
export const DEFAULT_GIT_LOG_TIMEOUT_MS = 120_000;

/** `git log -p` of `from..to`: every commit's added lines, no context, no renames folded into edits, no colors or external diff tools. */
export function gitLogArgv(from: string, to: string): string[] {
  return ['git', '-c', 'core.quotePath=false', 'log', '-p', '--no-color', '--no-ext-diff', '--no-renames', '--unified=0', '--format=commit %H', `${from}..${to}`, '--'];
}

/** The lines one commit added to one file, at their line numbers in the new file. */
export interface AddedText {
  commit: string;
  file: string;
  /** Index i holds line i+1 when the commit added it, else "". */
  lines: string[];
}

const HUNK_RE = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/;

/** Pure: `git log -p --unified=0` output (as lines) -> the added lines per commit and file. Deleted files and binary diffs add nothing. */
export function parseGitLog(lines: readonly string[]): AddedText[] {
  const out: AddedText[] = [];
  let commit = '';
  let current: AddedText | null = null;
  let next = 0;
  let inHunk = false;
  for (const line of lines) {
    if (line.startsWith('commit ') && /^commit [0-9a-f]{40,64}$/.test(line)) {
      commit = line.slice('commit '.length);
      current = null;
      inHunk = false;
    } else if (line.startsWith('diff --git ')) {
      current = null;
      inHunk = false;
    } else if (!inHunk && line.startsWith('+++ ')) {
      const path = line.slice(4);
      current = path.startsWith('b/') ? { commit, file: path.slice(2), lines: [] } : null;
      if (current) out.push(current);
    } else if (HUNK_RE.test(line)) {
      next = Number(HUNK_RE.exec(line)![1]);
      inHunk = current !== null;
    } else if (inHunk && current && line.startsWith('+')) {
      current.lines[next - 1] = line.slice(1);
      next++;
    } else if (inHunk && line.startsWith(' ')) {
      next++;
    }
  }
  for (const t of out) t.lines = Array.from(t.lines, (l) => l ?? '');
  return out.filter((t) => t.lines.length > 0);
}

export interface CommitScan {
  commits: number;
  findings: Finding[];
}

/** Scans what the commits of `from..to` added. Throws with git's last words when the range cannot be read. */
export async function scanCommits(root: string, from: string, to: string, known: readonly KnownSecret[], run: Runner, signal?: AbortSignal): Promise<CommitScan> {
  const lines: string[] = [];
  const errors: string[] = [];
  const result = await run({ argv: gitLogArgv(from, to), cwd: root, timeoutMs: DEFAULT_GIT_LOG_TIMEOUT_MS, signal, onLine: (l, s) => void (s === 'stdout' ? lines.push(l) : errors.push(l)) });
  if (result.exitCode !== 0) {
    const why = result.spawnError ?? (result.timedOut ? `timed out after ${DEFAULT_GIT_LOG_TIMEOUT_MS / 1000}s` : errors.slice(-2).join(' | ') || `exit ${result.exitCode}`);
    throw new Error(`could not read the commits ${from.slice(0, 7)}..${to.slice(0, 7)} with git: ${why}`);
  }
  const findings: Finding[] = [];
  const added = parseGitLog(lines);
  for (const t of added) {
    const text = t.lines.join('\n');
    const found = [...(await lintTarget({ file: t.file, physicalPath: null, text })), ...findKnownSecrets(t.file, Buffer.from(text, 'utf8'), known)];
    findings.push(...found.map((f) => ({ ...f, commit: t.commit })));
  }
  return { commits: new Set(lines.filter((l) => /^commit [0-9a-f]{40,64}$/.test(l))).size, findings };
}
