import { createServer } from 'node:net';
/** A project that deploys the demo app with the local agent, for end-to-end tests. */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { agentStatus } from '../../src/agent/lifecycle.js';
import { agentPaths, agentStateDir } from '../../src/agent/paths.js';
import { allocatePort } from '../../src/agent/supervisor/ports.js';
import { json, makeProject, REPO_ROOT, type Project } from './project.js';

export interface LocalProject extends Project {
  port: number;
  /** GET through the router; resolves with the status and the app version that answered. */
  get(path?: string, headers?: Record<string, string>): Promise<{ status: number; version: string | null; body: string }>;
  /** `shipgate agent status --json` (of `environment` when the config has several). */
  agent(environment?: string): Promise<AgentView>;
  /** Stops the agents and their instances, then removes the folder. */
  dispose(): Promise<void>;
}

export interface AgentView {
  pid: number;
  weights: Record<string, number>;
  versions: { version: string; instances: { id: string; pid: number | null; port: number; state: string; restarts: number }[]; warmUntil: string | null; specMissing?: boolean }[];
  rollout: { id: string; state: string; paused: boolean } | null;
  router: { state: string; listen: string | null; error: string | null; process: { pid: number; keeperPid: number | null; weights: Record<string, number>; restarts: number } | null };
}

/** A free port on 127.0.0.1 (the supervisor's allocator). */
/**
 * A free port for a test's router, below the kernel's ephemeral range (32768 and up here): a port the OS hands out for
 * port 0 may be taken by any client connection of a parallel test before the router binds it, one picked here only by
 * another test picking the same number at random.
 */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await canBind(port)) return port;
  }
  return allocatePort(new Set());
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export function localConfig(port: number, rollout: string, extra = ''): string {
  return `
app: localtest
provider:
  type: local
  command: ["node", "dist/server.js"]
  instances: 2
  listen: 127.0.0.1:${port}
  readiness: { path: /health, interval: 100ms, timeout: 1s, grace: 15s }
  stopTimeout: 3s
  deadman: 3s
  env: { DEMO_CONTROL: "1" }
${extra}build:
  command: ["node", "build.js"]
  artifacts: [dist]
${rollout}`;
}

export function httpGet(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; version: string | null; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, version: (res.headers['x-demo-version'] as string | undefined) ?? null, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: no answer within 10s`)));
    req.on('error', reject);
    req.end();
  });
}

export async function makeLocalProject(rollout = '', extra = ''): Promise<LocalProject> {
  const port = await freePort();
  return makeDemoProject(localConfig(port, rollout, extra), port, ['production']);
}

/** A project with the demo app and `config`; `port` is the router `get` talks to; `environments` are the agents stopped at the end. */
export async function makeDemoProject(config: string, port: number, environments: string[]): Promise<LocalProject> {
  const p = await makeProject(config, {});
  for (const f of ['server.js', 'build.js', 'package.json']) await copyFile(join(REPO_ROOT, 'examples/demo-app', f), join(p.dir, f));
  const envFlag = (environment?: string): string[] => (environment ? ['--env', environment] : []);
  return Object.assign(p, {
    port,
    get: (path = '/', headers: Record<string, string> = {}) => httpGet(port, path, headers),
    // The agent's own answer, asked from here: what `agent status --json` prints while it runs (a CLI process costs
    // about 0.3 s of CPU, and the suite asks often). The CLI answers when the agent does not, or the environment is not known.
    agent: async (environment?: string) => {
      const env = environment ?? (environments.length === 1 ? environments[0] : undefined);
      const status = env === undefined ? null : await agentStatus(agentPaths(agentStateDir(p.dir, env))).catch(() => null);
      if (status !== null) return JSON.parse(JSON.stringify({ running: true, ...status })) as AgentView;
      return json<AgentView>(await p.run(['agent', 'status', '--json', ...envFlag(environment)]));
    },
    dispose: async () => {
      for (const environment of environments) await p.run(['agent', 'stop', '--env', environment]);
      killLeftovers(p.dir);
      await p.cleanup();
    },
  });
}

/** Polls `fn` until it returns a value (not undefined) or the deadline passes. */
export async function eventually<T>(fn: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Even when a test failed half-way (and `agent stop` could not reach the agent), no process of the project outlives it. */
export function killLeftovers(dir: string): void {
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readlinkSync(`/proc/${pid}/cwd`).startsWith(dir) || readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)) process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone already, or not ours to look at
    }
  }
}
