import { request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { InstanceInfo, InstanceProbe, RolloutCommand, RolloutRegistration, RolloutSignals, VersionStats } from '../rollout/contract.js';
import { MAX_SIGNAL_WAIT_MS, type AgentRollout, type AgentStatus, type RouterOptions, type VersionSpec } from './contract.js';

/** The agent (or the router process) is not running: no socket, or nothing answers on it. */
export class AgentUnavailable extends Error {}

/** The agent answered with an error. */
export class AgentRequestFailed extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/**
 * The unix socket, or the TCP port with its token. With `ca` (PEM) the TCP
 * port speaks HTTPS, and the agent's certificate must be signed by `ca` (or be
 * it, when self-signed) and name `host`.
 */
export type AgentEndpoint = { socketPath: string } | { host: string; port: number; token: string; ca?: string | Buffer };

function send(endpoint: AgentEndpoint, options: RequestOptions, onResponse: (res: IncomingMessage) => void): ClientRequest {
  if ('socketPath' in endpoint) return httpRequest({ ...options, socketPath: endpoint.socketPath }, onResponse);
  const target = { ...options, host: endpoint.host, port: endpoint.port };
  return endpoint.ca === undefined ? httpRequest(target, onResponse) : httpsRequest({ ...target, ca: endpoint.ca }, onResponse);
}

/** An answer's JSON (`{}` when empty), or null when it is not JSON (something else answered). */
function parseAnswer<T>(text: string): (T & { error?: string }) | null {
  try {
    return text ? (JSON.parse(text) as T & { error?: string }) : ({} as T & { error?: string });
  } catch {
    return null;
  }
}

/**
 * Talks to the agent's control API (HTTP over its unix socket, or TCP with a token, over HTTPS when
 * configured); `what` names the server in errors (the router process speaks the same).
 */
export class AgentClient {
  constructor(
    private readonly endpoint: AgentEndpoint,
    private readonly what = 'agent',
  ) {}

  call<T>(method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS, signal?: AbortSignal): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { 'content-type': 'application/json', ...('token' in this.endpoint ? { authorization: `Bearer ${this.endpoint.token}` } : {}) };
    if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload));
    return new Promise<T>((resolve, reject) => {
      const req = send(this.endpoint, { method, path, headers, timeout: timeoutMs, agent: false, signal }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const status = res.statusCode ?? 500;
          const value = parseAnswer<T>(Buffer.concat(chunks).toString('utf8'));
          if (value === null) reject(new AgentRequestFailed(status, `the ${this.what} answered ${method} ${path} with ${status} and a body that is not JSON`));
          else if (status >= 400) reject(new AgentRequestFailed(status, value.error ?? `${this.what} answered ${status}`));
          else resolve(value);
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new AgentRequestFailed(504, `the ${this.what} did not answer ${method} ${path} within ${Math.round(timeoutMs / 1000)}s`)));
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err instanceof AgentRequestFailed) return reject(err);
        if (['ENOENT', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE'].includes(err.code ?? '')) reject(new AgentUnavailable(`the ${this.what} is not running (${err.code})`));
        else reject(err);
      });
      req.end(payload);
    });
  }

  status(): Promise<AgentStatus> {
    return this.call('GET', '/v1/status', undefined, 5000);
  }
  configure(app: string, listen: string, router: RouterOptions): Promise<{ created: boolean }> {
    return this.call('POST', '/v1/configure', { app, listen, router });
  }
  async ensureInstances(spec: VersionSpec, count: number, timeoutMs: number): Promise<InstanceInfo[]> {
    return (await this.call<{ instances: InstanceInfo[] }>('POST', '/v1/versions/ensure', { spec, count }, timeoutMs)).instances;
  }
  /** Sends how to run a version (with its environment) without starting anything: its instances become restartable again after an agent crash. */
  async rememberSpec(spec: VersionSpec): Promise<void> {
    await this.call('POST', '/v1/versions/spec', { spec });
  }
  async setWeights(weights: Record<string, number>, reason?: string): Promise<void> {
    await this.call('POST', '/v1/weights', { weights, ...(reason ? { reason } : {}) });
  }
  async currentWeights(): Promise<Record<string, number>> {
    return (await this.call<{ weights: Record<string, number> }>('GET', '/v1/weights')).weights;
  }
  async stopVersion(version: string, timeoutMs: number): Promise<void> {
    await this.call('POST', '/v1/versions/stop', { version }, timeoutMs);
  }
  async keepWarm(version: string, untilMs: number): Promise<void> {
    await this.call('POST', '/v1/versions/keep-warm', { version, untilMs });
  }
  async instances(version?: string): Promise<InstanceInfo[]> {
    return (await this.call<{ instances: InstanceInfo[] }>('GET', `/v1/instances${version ? `?version=${encodeURIComponent(version)}` : ''}`)).instances;
  }
  stats(version: string, windowMs: number): Promise<VersionStats> {
    return this.call('GET', `/v1/stats?version=${encodeURIComponent(version)}&windowMs=${windowMs}`);
  }
  /** Probes each instance directly, or (viaHeader) once through the router with the version header. */
  async probe(version: string, viaHeader = false): Promise<InstanceProbe[]> {
    return (await this.call<{ probes: InstanceProbe[] }>('GET', `/v1/probe?version=${encodeURIComponent(version)}${viaHeader ? '&viaHeader=1' : ''}`)).probes;
  }
  async beginRollout(r: RolloutRegistration): Promise<void> {
    await this.call('POST', '/v1/rollout/begin', r);
  }
  heartbeat(id: string): Promise<RolloutSignals> {
    return this.call('POST', '/v1/rollout/heartbeat', { id }, 5000);
  }
  /** A heartbeat the agent holds until there is a signal for the driver, or `timeoutMs`. */
  waitForSignals(id: string, timeoutMs: number, signal?: AbortSignal): Promise<RolloutSignals> {
    const waitMs = Math.min(MAX_SIGNAL_WAIT_MS, Math.max(0, Math.round(timeoutMs)));
    return this.call('POST', '/v1/rollout/wait', { id, timeoutMs: waitMs }, waitMs + 5000, signal);
  }
  async endRollout(id: string): Promise<void> {
    await this.call('POST', '/v1/rollout/end', { id });
  }
  command(command: RolloutCommand): Promise<AgentRollout> {
    return this.call('POST', '/v1/rollout/command', { command });
  }
  restart(): Promise<{ pid: number }> {
    return this.call('POST', '/v1/restart', {}, 60_000);
  }
  async stop(stopInstances: boolean): Promise<void> {
    await this.call('POST', '/v1/stop', { stopInstances });
  }
}
