import type { Clock } from '../../runtime/clock.js';
import { displayUrl, HttpError, type HttpClient, type HttpResponse } from '../../runtime/http.js';
import { networkRetryDelay, retryDelay } from './retry.js';

/** The header that proves a mutation comes from the lease holder. */
export const LEASE_NONCE_HEADER = 'fly-machine-lease-nonce';
/** The API's own limit on one wait. */
export const MAX_WAIT_SECONDS = 60;
const REQUEST_TIMEOUT_MS = 30_000;

export type FlyMachineState = 'created' | 'starting' | 'started' | 'stopping' | 'stopped' | 'replacing' | 'destroying' | 'destroyed' | string;

export interface FlyCheck {
  name: string;
  status: 'passing' | 'warning' | 'critical' | string;
  output?: string;
}

/** A machine as the API shows it (the spec's `Machine`), the fields shipgate reads. */
export interface FlyMachine {
  id: string;
  name?: string;
  state: FlyMachineState;
  region?: string;
  instance_id?: string;
  config: FlyMachineConfig;
  checks?: FlyCheck[];
  created_at?: string;
  updated_at?: string;
}

/** An app as Apps_list shows it (the spec's `ListApp`). */
export interface FlyAppSummary {
  id?: string;
  name: string;
  machine_count?: number;
}

/** The spec's `api.MachineConfig`, loosely: shipgate builds and keeps it whole. */
export type FlyMachineConfig = Record<string, unknown> & { image: string; metadata?: Record<string, string> };

export interface FlyEvent {
  type: string;
  status: string;
  timestamp: number;
  request?: { exit_event?: { exit_code?: number } };
}

export interface FlyLease {
  nonce: string;
  owner?: string;
  description?: string;
  expires_at?: number;
}

/** A Machines API answer that is not a success, after retries. Never carries the token. */
export class FlyApiError extends Error {
  constructor(
    readonly status: number,
    readonly operation: string,
    detail: string,
  ) {
    super(status === 0 ? `Fly.io Machines API: ${operation}: ${detail}` : `Fly.io Machines API: ${operation} answered ${status}${detail ? `: ${detail}` : ''}`);
  }
}

export interface FlyClientOptions {
  /** e.g. https://api.machines.dev (the client adds `/v1`). */
  apiUrl: string;
  app: string;
  token: string;
  http: HttpClient;
  clock: Clock;
  signal?: AbortSignal;
  /** Told of each retry (for the journal): what, the status (0: no answer, `error` says why), and how long the wait is. */
  onRetry?: (operation: string, status: number, waitMs: number, error?: string) => void | Promise<void>;
}

interface Call {
  method: string;
  path: string;
  body?: unknown;
  nonce?: string;
  query?: Record<string, string>;
  /** Statuses that are answers, not failures (e.g. 404 for "no lease", 408 for a wait that timed out). */
  accept?: number[];
  /** The path is under `/v1`, not under the app (the Apps operations). */
  root?: boolean;
}

/** The Machines API of one app: each method is one operation of the published spec. */
export class FlyClient {
  private readonly root: string;
  private readonly base: string;

  constructor(private readonly opts: FlyClientOptions) {
    this.root = `${opts.apiUrl.replace(/\/+$/, '')}/v1`;
    this.base = `${this.root}/apps/${encodeURIComponent(opts.app)}`;
  }

  get app(): string {
    return this.opts.app;
  }

  /** Whether the app exists (Apps_show). */
  async hasApp(): Promise<boolean> {
    const res = await this.request({ method: 'GET', path: '', accept: [404] });
    return res.status !== 404;
  }

  /** Creates the app in an organization (Apps_create). */
  async createApp(org: string): Promise<void> {
    await this.json({ method: 'POST', path: '/apps', root: true, body: { app_name: this.opts.app, org_slug: org } });
  }

  /** Deletes the app and its machines (Apps_delete); an app already gone is no error. */
  async deleteApp(): Promise<void> {
    await this.json({ method: 'DELETE', path: '', accept: [404] });
  }

  /** The apps of an organization (Apps_list: `org_slug` is required; the spec pages nothing). */
  async listApps(org: string): Promise<FlyAppSummary[]> {
    return (await this.json<{ apps?: FlyAppSummary[] }>({ method: 'GET', path: '/apps', root: true, query: { org_slug: org } }))?.apps ?? [];
  }

  async list(): Promise<FlyMachine[]> {
    return (await this.json<FlyMachine[]>({ method: 'GET', path: '/machines' })) ?? [];
  }

  async get(id: string): Promise<FlyMachine> {
    return (await this.json<FlyMachine>({ method: 'GET', path: `/machines/${id}` }))!;
  }

  async create(body: { config: FlyMachineConfig; region?: string; name?: string; skip_service_registration?: boolean; lease_ttl?: number }): Promise<FlyMachine & { nonce?: string }> {
    return (await this.json<FlyMachine & { nonce?: string }>({ method: 'POST', path: '/machines', body }))!;
  }

  async update(id: string, body: { config: FlyMachineConfig; skip_service_registration?: boolean; skip_launch?: boolean }, nonce?: string): Promise<FlyMachine> {
    return (await this.json<FlyMachine>({ method: 'POST', path: `/machines/${id}`, body, nonce }))!;
  }

  async start(id: string, nonce?: string): Promise<void> {
    await this.json({ method: 'POST', path: `/machines/${id}/start`, nonce });
  }

  async stop(id: string, nonce?: string): Promise<void> {
    await this.json({ method: 'POST', path: `/machines/${id}/stop`, body: {}, nonce });
  }

  async destroy(id: string, nonce?: string): Promise<void> {
    await this.json({ method: 'DELETE', path: `/machines/${id}`, nonce, query: { force: 'true' }, accept: [404] });
  }

  async cordon(id: string, nonce?: string): Promise<void> {
    await this.json({ method: 'POST', path: `/machines/${id}/cordon`, nonce });
  }

  async uncordon(id: string, nonce?: string): Promise<void> {
    await this.json({ method: 'POST', path: `/machines/${id}/uncordon`, nonce });
  }

  async setMetadata(id: string, key: string, value: string, nonce?: string): Promise<void> {
    await this.json({ method: 'POST', path: `/machines/${id}/metadata/${encodeURIComponent(key)}`, body: { value }, nonce });
  }

  async deleteMetadata(id: string, key: string, nonce?: string): Promise<void> {
    await this.json({ method: 'DELETE', path: `/machines/${id}/metadata/${encodeURIComponent(key)}`, nonce, accept: [404] });
  }

  async events(id: string): Promise<FlyEvent[]> {
    return (await this.json<FlyEvent[]>({ method: 'GET', path: `/machines/${id}/events` })) ?? [];
  }

  /** Acquires (or, with the holder's nonce, refreshes) a lease; 409 when another holds it. */
  async lease(id: string, ttlSeconds: number, description: string, nonce?: string): Promise<FlyLease> {
    const answer = await this.json<FlyLease & { data?: FlyLease }>({ method: 'POST', path: `/machines/${id}/lease`, body: { ttl: ttlSeconds, description }, nonce });
    // The spec answers the flat Lease; the live API wraps it in `data`.
    return answer?.data ?? answer!;
  }

  /** The lease held on a machine, or null when there is none. */
  async showLease(id: string): Promise<FlyLease | null> {
    const answer = await this.json<FlyLease & { data?: FlyLease }>({ method: 'GET', path: `/machines/${id}/lease`, accept: [404] });
    if (answer === undefined) return null;
    return answer.data ?? answer;
  }

  async releaseLease(id: string, nonce: string): Promise<void> {
    await this.json({ method: 'DELETE', path: `/machines/${id}/lease`, nonce, accept: [404] });
  }

  /** Waits (at most MAX_WAIT_SECONDS per call) for a state; false when the API says the wait timed out. */
  async wait(id: string, state: 'started' | 'stopped' | 'destroyed', timeoutSeconds: number, instanceId?: string): Promise<boolean> {
    const query: Record<string, string> = { state, timeout: String(Math.max(1, Math.min(MAX_WAIT_SECONDS, Math.ceil(timeoutSeconds)))) };
    if (instanceId) query.instance_id = instanceId;
    const res = await this.request({ method: 'GET', path: `/machines/${id}/wait`, query, accept: [408] });
    return res.status !== 408;
  }

  private async json<T>(call: Call): Promise<T | undefined> {
    const res = await this.request(call);
    if (call.accept?.includes(res.status) || res.body.trim() === '') return undefined;
    return JSON.parse(res.body) as T;
  }

  /** One operation, retried on 429 (after Retry-After), 5xx and network errors (with backoff; see retry.ts). */
  private async request(call: Call): Promise<HttpResponse> {
    const { http, clock, signal } = this.opts;
    const operation = operationName(call, this.opts.app);
    const qs = call.query ? `?${new URLSearchParams(call.query).toString()}` : '';
    const headers: Record<string, string> = { authorization: `Bearer ${this.opts.token}`, accept: 'application/json' };
    if (call.body !== undefined) headers['content-type'] = 'application/json';
    if (call.nonce) headers[LEASE_NONCE_HEADER] = call.nonce;
    for (let attempt = 1; ; attempt++) {
      const waitS = call.query?.timeout ? Number(call.query.timeout) : 0;
      let res: HttpResponse;
      try {
        res = await http({ method: call.method, url: (call.root ? this.root : this.base) + call.path + qs, headers, body: call.body === undefined ? undefined : JSON.stringify(call.body), timeoutMs: REQUEST_TIMEOUT_MS + waitS * 1000, signal });
      } catch (err) {
        if (!(err instanceof HttpError) || err.kind === 'aborted') throw err;
        const delay = networkRetryDelay(call.method, err.message, attempt);
        if (delay === null) throw new FlyApiError(0, operation, `no answer from ${displayUrl(this.opts.apiUrl)} (${err.message})`);
        await this.opts.onRetry?.(operation, 0, delay, err.message);
        await clock.sleep(delay, signal);
        continue;
      }
      if ((res.status >= 200 && res.status < 300) || call.accept?.includes(res.status)) return res;
      const delay = retryDelay(res.status, res.headers['retry-after'], attempt, clock.now());
      if (delay === null) throw new FlyApiError(res.status, operation, errorText(res.body));
      await this.opts.onRetry?.(operation, res.status, delay);
      await clock.sleep(delay, signal);
    }
  }
}

/** What a request is called in errors and the journal: `POST /machines/{id}/stop`, `DELETE /apps/<app>`. */
function operationName(call: Call, app: string): string {
  if (call.root) return `${call.method} ${call.path}`;
  if (call.path === '') return `${call.method} /apps/${app}`;
  return `${call.method} ${call.path.replace(/\/machines\/[^/]+/, '/machines/{id}')}`;
}

function errorText(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    return typeof parsed.error === 'string' ? parsed.error.slice(0, 500) : '';
  } catch {
    return body.slice(0, 200);
  }
}
