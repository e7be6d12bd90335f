import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { loadStoreSettings, type StoreSettings } from '../config/light.js';
import { EventBus } from '../pipeline/events.js';
import type { PipelineDeps } from '../pipeline/deps.js';
import { systemClock } from '../runtime/clock.js';
import { fetchHttp } from '../runtime/http.js';
import { execaRunner, type Runner } from '../runtime/process.js';
import { currentIdentity } from '../runtime/process-identity.js';
import type { Store } from '../store/contract.js';
import { openStore } from '../store/index.js';
import type { GlobalOptions, Output } from './output.js';

/** Full config for commands that act (deploy, rollback, gates check...). */
export function fullConfig(opts: GlobalOptions, out: Output): LoadedConfig {
  const loaded = loadConfig({ configPath: opts.config, environment: opts.env });
  out.masker = loaded.masker;
  return loaded;
}

/** Only `app` and `store`: read-only commands start fast and need no deploy secrets. */
export function lightConfig(opts: GlobalOptions, out: Output): StoreSettings {
  const settings = loadStoreSettings({ configPath: opts.config, environment: opts.env });
  out.masker = settings.masker;
  return settings;
}

export async function openStoreFor(url: string, root: string): Promise<Store> {
  return openStore(url, { root });
}

/** Read-only use that must change nothing (dry run): null when the SQLite file does not exist yet. */
export async function openStoreIfExists(url: string, root: string): Promise<Store | null> {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (path !== ':memory:' && !existsSync(isAbsolute(path) ? path : resolve(root, path))) return null;
  }
  return openStore(url, { root });
}

export function pipelineDeps(store: Store, env: NodeJS.ProcessEnv = process.env): PipelineDeps {
  return { store, clock: systemClock, http: fetchHttp, run: execaRunner, bus: new EventBus(), identity: currentIdentity(), env };
}

/** Who is acting: --actor, then SHIPGATE_ACTOR, GITHUB_ACTOR, USER, the OS user. */
export function resolveActor(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const name = flag ?? env.SHIPGATE_ACTOR ?? env.GITHUB_ACTOR ?? env.USER ?? safeUser();
  return name.trim() || 'unknown';
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

async function git(run: Runner, root: string, args: string[]): Promise<string | null> {
  let out = '';
  const r = await run({ argv: ['git', ...args], cwd: root, timeoutMs: 5000, onLine: (l, s) => void (s === 'stdout' && (out += l)) });
  return r.exitCode === 0 && out.trim() ? out.trim() : null;
}

/** The commit and ref being deployed: flags, then CI variables, then the git checkout. */
export async function gitFacts(root: string, flags: { sha?: string; ref?: string }, env: NodeJS.ProcessEnv = process.env, run: Runner = execaRunner): Promise<{ gitSha: string | null; gitRef: string | null }> {
  const gitSha = flags.sha ?? env.GITHUB_SHA ?? (await git(run, root, ['rev-parse', 'HEAD']));
  const gitRef = flags.ref ?? env.GITHUB_REF ?? (await git(run, root, ['describe', '--tags', '--exact-match', 'HEAD'])) ?? (await git(run, root, ['symbolic-ref', '-q', '--short', 'HEAD']));
  return { gitSha, gitRef };
}

/** With no version given: the tag CI is building, or the tag on HEAD. */
export async function inferVersion(root: string, env: NodeJS.ProcessEnv = process.env, run: Runner = execaRunner): Promise<string | null> {
  if (env.GITHUB_REF_TYPE === 'tag' && env.GITHUB_REF_NAME) return env.GITHUB_REF_NAME;
  if (env.GITHUB_REF?.startsWith('refs/tags/')) return env.GITHUB_REF.slice('refs/tags/'.length);
  return git(run, root, ['describe', '--tags', '--exact-match', 'HEAD']);
}
