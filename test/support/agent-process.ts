/**
 * A real agent process (dist/agent/daemon/entry.js) on a temp state folder,
 * and raw requests to its control API over the unix socket: the body, the
 * headers and the framing are the test's to choose, byte for byte.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { eventually } from './local-project.js';
import { REPO_ROOT } from './project.js';
import { makeTempDir, type TempDir } from './tmp.js';

export const AGENT_ENTRY_JS = join(REPO_ROOT, 'dist/agent/daemon/entry.js');

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface AgentProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly tmp: TempDir;
  readonly stateDir: string;
  readonly socket: string;
  /** One request over the control socket; `body` is sent as given (no content-type unless in `headers`). */
  request(method: string, path: string, opts?: { body?: string | Buffer; headers?: Record<string, string> }): Promise<Reply>;
  /** A JSON request as the CLI sends it; resolves with the parsed answer, rejects on a status of 400 or more. */
  call<T = unknown>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T>;
  /** Opens a raw connection to the control socket. */
  raw(): Promise<Socket>;
  alive(): boolean;
  /** What the agent printed so far. */
  output(): string;
  /** Stops the agent and its instances, then removes the folder. */
  dispose(): Promise<void>;
}

/** Whether `pid` exists (a signal 0 reaches it). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function requestOver(socketPath: string, method: string, path: string, opts: { body?: string | Buffer; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers = { ...(opts.headers ?? {}) };
    if (opts.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'transfer-encoding')) headers['content-length'] = String(Buffer.byteLength(opts.body));
    const req = request({ socketPath, method, path, headers, agent: false, timeout: 20_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within 20s`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

export interface StartAgentOptions {
  /** Extra arguments for entry.js (e.g. --control-listen). */
  args?: string[];
  env?: Record<string, string>;
  /** Runs the agent under `ulimit -n` of this many open files. */
  fdLimit?: number;
}

/** argv that runs entry.js with `args`, under an open-file limit when given. */
function agentArgv(stateDir: string, args: string[], fdLimit?: number): [string, string[]] {
  const node = [AGENT_ENTRY_JS, '--state-dir', stateDir, ...args];
  if (fdLimit === undefined) return [process.execPath, node];
  return ['/bin/sh', ['-c', `ulimit -n ${fdLimit} && exec "$0" "$@"`, process.execPath, ...node]];
}

/** Spawns an agent and resolves once its control socket answers. */
export async function startAgent(opts: StartAgentOptions = {}): Promise<AgentProcess> {
  const tmp = await makeTempDir('shipgate-agent-');
  const stateDir = join(tmp.path, 'agent');
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const socket = join(stateDir, 'agent.sock');
  let out = '';
  const [program, argv] = agentArgv(stateDir, opts.args ?? [], opts.fdLimit);
  const child = spawn(program, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const pid = child.pid!;
  const agent: AgentProcess = {
    child,
    pid,
    tmp,
    stateDir,
    socket,
    request: (method, path, o) => requestOver(socket, method, path, o),
    async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
      const r = await requestOver(socket, method, path, body === undefined ? { headers: { 'content-type': 'application/json' } } : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
      if (r.status >= 400) throw new Error(`${method} ${path}: ${r.status} ${r.body}`);
      return JSON.parse(r.body) as T;
    },
    async raw() {
      const s = connect(socket);
      await once(s, 'connect');
      return s;
    },
    alive: () => child.exitCode === null && child.signalCode === null && isAlive(pid),
    output: () => out,
    async dispose() {
      if (agent.alive()) {
        await agent.call('POST', '/v1/stop', { stopInstances: true }).catch(() => undefined);
        await eventually(async () => (agent.alive() ? undefined : true), 'the agent to exit', 20_000).catch(() => child.kill('SIGKILL'));
      }
      await tmp.cleanup();
    },
  };
  try {
    await eventually(async () => ((await agent.request('GET', '/v1/status')).status === 200 ? true : undefined), 'the agent to answer', 15_000);
  } catch (err) {
    child.kill('SIGKILL');
    await tmp.cleanup();
    throw new Error(`${(err as Error).message}\nagent output:\n${out}`);
  }
  return agent;
}

/** Runs an agent that is expected to refuse to start: resolves with its exit code and output. */
export async function agentThatExits(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  const tmp = await makeTempDir('shipgate-agent-');
  try {
    const [program, argv] = agentArgv(join(tmp.path, 'agent'), args);
    const child = spawn(program, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const [code] = (await once(child, 'exit')) as [number | null];
    clearTimeout(timer);
    return { code, output: out };
  } finally {
    await tmp.cleanup();
  }
}
