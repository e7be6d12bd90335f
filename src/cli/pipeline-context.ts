import type { LoadedConfig } from '../config/load.js';
import { commitTimeArgv, givenCommitAt, normalizeCommitAt } from '../pipeline/commit-time.js';
import { processRunner, type Runner } from '../runtime/process.js';
import { noteConfigFile } from './context.js';
import type { GlobalOptions, Output } from './output.js';

/** Full config for commands that act (deploy, rollback, gates check...). */
export async function fullConfig(opts: GlobalOptions, out: Output): Promise<LoadedConfig> {
  // Loaded on demand: the schema (zod) is the largest part of start-up, and read-only commands skip it.
  const { loadConfig } = await import('../config/load.js');
  const loaded = loadConfig({ configPath: opts.config, environment: opts.env });
  out.masker = loaded.masker;
  noteConfigFile(loaded.path, opts, out);
  return loaded;
}

async function git(run: Runner, root: string, args: string[]): Promise<string | null> {
  let out = '';
  const r = await run({ argv: ['git', ...args], cwd: root, timeoutMs: 5000, onLine: (l, s) => void (s === 'stdout' && (out += l)) });
  return r.exitCode === 0 && out.trim() ? out.trim() : null;
}

/** The commit and ref being deployed: flags, then CI variables, then the git checkout (`tagOnHead` when already known). */
export async function gitFacts(root: string, flags: { sha?: string; ref?: string }, env: NodeJS.ProcessEnv = process.env, run: Runner = processRunner, tagOnHead?: string | null): Promise<{ gitSha: string | null; gitRef: string | null }> {
  const gitSha = flags.sha ?? env.GITHUB_SHA ?? (await git(run, root, ['rev-parse', 'HEAD']));
  const tag = tagOnHead !== undefined ? tagOnHead : await git(run, root, ['describe', '--tags', '--exact-match', 'HEAD']);
  const gitRef = flags.ref ?? env.GITHUB_REF ?? tag ?? (await git(run, root, ['symbolic-ref', '-q', '--short', 'HEAD']));
  return { gitSha, gitRef };
}

/** When the deployed commit was made: --commit-at, $SHIPGATE_COMMIT_AT, else git's commit time of `gitSha`; null when unknown. */
export async function commitTime(root: string, flag: string | undefined, gitSha: string | null, env: NodeJS.ProcessEnv = process.env, run: Runner = processRunner): Promise<string | null> {
  const given = givenCommitAt(flag, env);
  if (given !== null || !gitSha) return given;
  const argv = commitTimeArgv(gitSha);
  if (!argv) return null;
  const out = await git(run, root, argv.slice(1)).catch(() => null);
  return out === null ? null : normalizeCommitAt(out);
}

/** With no version given: the tag CI is building, or the tag on HEAD. */
export async function inferVersion(root: string, env: NodeJS.ProcessEnv = process.env, run: Runner = processRunner): Promise<string | null> {
  if (env.GITHUB_REF_TYPE === 'tag' && env.GITHUB_REF_NAME) return env.GITHUB_REF_NAME;
  if (env.GITHUB_REF?.startsWith('refs/tags/')) return env.GITHUB_REF.slice('refs/tags/'.length);
  return git(run, root, ['describe', '--tags', '--exact-match', 'HEAD']);
}
