import { request } from 'node:http';
import type { InstanceInfo, InstanceProbe, RolloutCommand, RolloutRegistration, RolloutSignals, VersionStats } from '../rollout/contract.js';
import type { AgentRollout, AgentStatus, RouterOptions, VersionSpec } from './contract.js';

/** The agent is not running (no socket, or nothing answers on it). */
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

export type AgentEndpoint = { socketPath: string } | { host: string; port: number; token: string };

/** Talks to the agent's control API (HTTP over its unix socket, or TCP with a token). */
export class AgentClient {
  constructor(private readonly endpoint: AgentEndpoint) {}

  call<T>(method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const target = 'socketPath' in this.endpoint ? { socketPath: this.endpoint.socketPath } : { host: this.endpoint.host, port: this.endpoint.port };
    const headers: Record<string, string> = { 'content-type': 'application/json', ...('token' in this.endpoint ? { authorization: `Bearer ${this.endpoint.token}` } : {}) };
    if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload));
    return new Promise<T>((resolve, reject) => {
      const req = request({ ...target, method, path, headers, timeout: timeoutMs, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const value = text ? (JSON.parse(text) as T & { error?: string }) : ({} as T & { error?: string });
          if ((res.statusCode ?? 500) >= 400) reject(new AgentRequestFailed(res.statusCode ?? 500, value.error ?? `agent answered ${res.statusCode}`));
          else resolve(value);
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new AgentRequestFailed(504, `the agent did not answer ${method} ${path} within ${Math.round(timeoutMs / 1000)}s`)));
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err instanceof AgentRequestFailed) return reject(err);
        if (['ENOENT', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE'].includes(err.code ?? '')) reject(new AgentUnavailable(`the agent is not running (${err.code})`));
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
