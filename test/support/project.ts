/**
 * End-to-end test projects: a temp folder with a shipgate.yaml and scripts, and a
 * runner for the built CLI (a real child process).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopBackgroundSenders } from './background-senders.js';
import { makeTempDir } from './tmp.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = join(REPO_ROOT, 'bin/shipgate.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Scripts that act like a real target: `live.txt` holds what is live, `calls.log` every call. */
export const STATE_SCRIPTS: Record<string, string> = {
  'scripts/deploy.sh': `#!/bin/sh
echo "deploy $SHIPGATE_VERSION" >> calls.log
if [ -n "$SLOW_DEPLOY" ]; then sleep "$SLOW_DEPLOY"; fi
if [ -n "$HOLD_UNTIL" ]; then i=0; while [ ! -f "$HOLD_UNTIL" ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done; fi
if [ -n "$FAIL_DEPLOY" ]; then echo "deploy of $SHIPGATE_VERSION failed" >&2; exit 7; fi
echo "$SHIPGATE_VERSION" > live.txt
echo "deployed $SHIPGATE_VERSION (was $SHIPGATE_PREVIOUS_VERSION)"
`,
  'scripts/rollback.sh': `#!/bin/sh
echo "rollback $SHIPGATE_VERSION" >> calls.log
if [ -n "$FAIL_ROLLBACK" ]; then echo "rollback failed" >&2; exit 9; fi
echo "$SHIPGATE_VERSION" > live.txt
echo "restored $SHIPGATE_VERSION"
`,
  'scripts/build.sh': `#!/bin/sh
echo "build $SHIPGATE_VERSION" >> calls.log
if [ -n "$FAIL_BUILD" ]; then echo "build broke" >&2; exit 3; fi
mkdir -p dist && echo "app $SHIPGATE_VERSION" > dist/app.txt
`,
};

/** The provider block that runs {@link STATE_SCRIPTS}. */
export const SCRIPTS_PROVIDER = `provider:
  type: command
  deploy: ["./scripts/deploy.sh"]
  rollback: ["./scripts/rollback.sh"]
`;

export interface Project {
  dir: string;
  run(args: string[], opts?: { env?: Record<string, string | undefined>; timeoutMs?: number }): Promise<CliResult>;
  spawn(args: string[], opts?: { env?: Record<string, string | undefined> }): Spawned;
  write(path: string, content: string): Promise<void>;
  read(path: string): Promise<string>;
  readOr(path: string, fallback: string): Promise<string>;
  cleanup(): Promise<void>;
}

/** Environment for CLI runs: no CI variables leaking in from the machine, fixed actor, no colors. */
export function cliEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GITHUB_') && !k.startsWith('SHIPGATE_') && k !== 'CI') env[k] = v;
  Object.assign(env, { SHIPGATE_ACTOR: 'tester', NO_COLOR: '1' });
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export interface Spawned {
  child: ChildProcess;
  done: Promise<CliResult>;
  /** Resolves with the output so far once stdout or stderr contains `text` (rejects if the process ends first). */
  waitFor(text: string | RegExp): Promise<string>;
}

export function spawnCli(args: string[], cwd: string, env: Record<string, string | undefined> = {}): Spawned {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const watchers = new Set<() => void>();
  const notify = (): void => watchers.forEach((w) => w());
  child.stdout!.on('data', (d: Buffer) => ((stdout += d.toString()), notify()));
  child.stderr!.on('data', (d: Buffer) => ((stderr += d.toString()), notify()));
  const done = new Promise<CliResult>((res) => child.on('close', (code, signal) => res({ code, signal, stdout, stderr })));
  const waitFor = (text: string | RegExp): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const all = stdout + stderr;
        if (typeof text === 'string' ? all.includes(text) : text.test(all)) {
          watchers.delete(check);
          resolve(all);
        }
      };
      watchers.add(check);
      check();
      void done.then((r) => watchers.has(check) && reject(new Error(`process ended (exit ${r.code}) before printing ${String(text)}\n${r.stdout}\n${r.stderr}`)));
    });
  return { child, done, waitFor };
}

export async function makeProject(config: string, files: Record<string, string> = STATE_SCRIPTS): Promise<Project> {
  const tmp = await makeTempDir('shipgate-e2e-');
  const write = async (path: string, content: string): Promise<void> => {
    const full = join(tmp.path, path);
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, content);
    if (content.startsWith('#!')) await chmod(full, 0o755);
  };
  await write('shipgate.yaml', config);
  for (const [path, content] of Object.entries(files)) await write(path, content);
  const project: Project = {
    dir: tmp.path,
    spawn: (args, opts = {}) => spawnCli(args, tmp.path, opts.env),
    run: async (args, opts = {}) => {
      const { child, done } = spawnCli(args, tmp.path, opts.env);
      const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
      try {
        return await done;
      } finally {
        clearTimeout(timer);
      }
    },
    write,
    read: (path) => readFile(join(tmp.path, path), 'utf8'),
    readOr: (path, fallback) => readFile(join(tmp.path, path), 'utf8').catch(() => fallback),
    cleanup: async () => {
      stopBackgroundSenders(tmp.path);
      await tmp.cleanup();
    },
  };
  return project;
}

/** Parses the one JSON document a `--json` command prints. */
export function json<T = Record<string, unknown>>(r: CliResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`expected JSON on stdout (exit ${r.code})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
}
