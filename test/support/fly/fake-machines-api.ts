import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadFlySpec, type FlySpec, type SpecOperation } from './openapi.js';
import { startFakeEdgeProxy, type FakeEdgeOptions, type FakeEdgeProxy } from './fake-edge-proxy.js';

/**
 * A fake Fly.io Machines API (node:http on 127.0.0.1, a random port), built from the published
 * OpenAPI description (test/fixtures/fly-machines-openapi.yaml) plus what flyctl's deploy code
 * relies on that the spec leaves out:
 *
 * - every request body (and declared query parameter) is checked against the spec's schema for
 *   its operation: an invalid one answers 400 naming what is wrong and is kept in `rejected`, so
 *   a test can assert the provider sent only requests that pass the spec;
 * - `Authorization: Bearer <token>` (401 otherwise); unknown paths 404, unknown methods 405;
 * - machine states change in time, driven by timers: created → starting → started,
 *   stopping → stopped, destroying → destroyed (`delays`);
 * - leases: a second holder gets 409; once leased, a mutation needs `fly-machine-lease-nonce`;
 * - `wait?state=&timeout=` blocks until the state or answers 408;
 * - a machine with `auto_destroy: true` and `restart.policy: "no"` (how flyctl runs a
 *   `release_command`) runs, exits with `exitCode()` (an `exit` event), and destroys itself;
 * - checks per machine (`config.checks` and the services' checks) pass or fail as the test says;
 * - faults: machines that never start, checks going critical, 5xx, a 429 burst with Retry-After,
 *   connections closed without an answer.
 *
 * Where the spec and flyctl's client disagree the fake follows the spec (e.g. a lease is
 * answered as the flat `Lease` object).
 */

export type MachineState = 'created' | 'starting' | 'started' | 'stopping' | 'stopped' | 'replacing' | 'destroying' | 'destroyed';
export type CheckStatusValue = 'passing' | 'warning' | 'critical';

export interface FakeMachineEvent {
  id: string;
  type: string;
  status: string;
  source: string;
  timestamp: number;
  request?: Record<string, unknown>;
}

export interface FakeMachine {
  id: string;
  app: string;
  name: string;
  region: string;
  state: MachineState;
  config: Record<string, unknown>;
  instanceId: string;
  /** Cordoned: services disabled (created with skip_service_registration, or `cordon`). */
  cordoned: boolean;
  createdAt: string;
  updatedAt: string;
  /** Newest first, as the API lists them. */
  events: FakeMachineEvent[];
  lease?: { nonce: string; owner: string; description: string; expiresAt: number; version: string };
  /** Every state it went through, with when (ms since epoch), oldest first. */
  history: { state: MachineState; at: number }[];
  /** When the machine last reached `started` (ms since epoch), for the checks' grace delay. */
  startedAt?: number;
}

/** Which machines a fault or a check rule applies to: a machine id, an image, an app, or a predicate. */
export type MachineSelector = string | { image?: string; app?: string } | ((m: FakeMachine) => boolean);

export interface FakeMachinesDelays {
  /** created → starting. @default 10 */
  create?: number;
  /** starting → started. @default 30 */
  start?: number;
  /** stopping → stopped (and replacing, before the new config starts). @default 20 */
  stop?: number;
  /** destroying → destroyed. @default 20 */
  destroy?: number;
  /** After `started`, checks report `warning` this long before their configured status. @default 30 */
  checks?: number;
  /** How long a run-to-completion (release_command) machine runs before it exits. @default 30 */
  run?: number;
}

export interface FakeMachinesOptions {
  /** The token requests must carry as `Authorization: Bearer <token>`. @default "fake-fly-token" */
  token?: string;
  delays?: FakeMachinesDelays;
  /** How many ms one second of the API's `timeout` parameters lasts (wait). @default 1000 */
  secondMs?: number;
  /** Reject body properties the spec does not list (see openapi.ts). @default true */
  strictUnknownFields?: boolean;
  /** The org slug apps belong to. @default "personal" */
  org?: string;
  /**
   * The clock of the times the API reports for machines (`created_at`, `updated_at`), so a test can
   * age a preview app; state changes still run on real timers. @default Date.now
   */
  now?: () => number;
}

export interface RecordedFlyRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Parsed JSON body (the raw text when it is not JSON; undefined when empty). */
  body: unknown;
  /** Request headers without `authorization`. */
  headers: IncomingHttpHeaders;
  operationId?: string;
  status: number;
}

export interface RejectedFlyRequest {
  method: string;
  path: string;
  operationId: string;
  body: unknown;
  problems: string[];
}

export interface FakeMachinesApi {
  /** Base URL including `/v1`, e.g. `http://127.0.0.1:54321/v1`. */
  readonly url: string;
  readonly token: string;
  /** Every request, in order. */
  readonly requests: RecordedFlyRequest[];
  /** Requests whose body or query did not pass the spec's schema. A provider's tests assert it is empty. */
  readonly rejected: RejectedFlyRequest[];
  readonly spec: FlySpec;
  /** Creates an app directly (not through the API), in `org` (default: the fake's `org`). */
  addApp(name: string, org?: string): void;
  apps(): string[];
  /** Machines of an app, destroyed ones included only when asked. */
  machines(app: string, opts?: { includeDestroyed?: boolean }): FakeMachine[];
  machine(id: string): FakeMachine | undefined;
  /** The JSON the API answers for a machine (the spec's `Machine`). */
  machineJson(m: FakeMachine): Record<string, unknown>;
  /** Checks as the API reports them now. */
  checksOf(m: FakeMachine): { name: string; status: CheckStatusValue; output: string; updated_at: string }[];
  /** Sets what the checks of the selected machines report, now or `afterMs` from now; later rules win. */
  setChecks(selector: MachineSelector, status: CheckStatusValue, opts?: { afterMs?: number; output?: string }): void;
  /** Selected machines stay in `starting` forever (until `clearNeverStart`). */
  neverStart(selector: MachineSelector): void;
  clearNeverStart(): void;
  /** Exit code of run-to-completion (release_command) machines that match; later rules win. @default 0 */
  setExitCode(code: number, selector?: MachineSelector): void;
  /** The next `count` requests (after auth) get `status` (5xx) with the API's error body. */
  failNext(count: number, status?: number, match?: { method?: string; path?: RegExp }): void;
  /** The next `count` matching requests (after auth) get no answer: the connection is closed (recorded with status 0). */
  dropNext(count: number, match?: { method?: string; path?: RegExp }): void;
  /** The next `count` requests (after auth) get 429 with `Retry-After: retryAfterSeconds`. */
  rateLimit(count: number, retryAfterSeconds?: number): void;
  /** Called for every request once it is answered (a hook for faults "at a chosen moment"). */
  onRequest(listener: (r: RecordedFlyRequest) => void): void;
  /** The app's public proxy (its `https://<app>.fly.dev`, with `fly-force-instance-id`): started on first call, closed with the fake. See fake-edge-proxy.ts. */
  edge(app: string, opts?: FakeEdgeOptions): Promise<FakeEdgeProxy>;
  close(): Promise<void>;
}

const DEFAULT_DELAYS: Required<FakeMachinesDelays> = { create: 10, start: 30, stop: 20, destroy: 20, checks: 30, run: 30 };
const DEFAULT_TOKEN = 'fake-fly-token';
const DEFAULT_LEASE_TTL_S = 30;
const MAX_WAIT_S = 60;
const NONCE_HEADER = 'fly-machine-lease-nonce';
/** Compiling the spec's schemas takes a few hundred ms: once per process and strictness. */
const specs = new Map<boolean, FlySpec>();

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');
const iso = (ms: number = Date.now()): string => new Date(ms).toISOString();

function matches(selector: MachineSelector, m: FakeMachine): boolean {
  if (typeof selector === 'string') return m.id === selector;
  if (typeof selector === 'function') return selector(m);
  if (selector.image !== undefined && m.config.image !== selector.image) return false;
  if (selector.app !== undefined && m.app !== selector.app) return false;
  return true;
}

/** flyctl's release_command machines: run once, no restart, destroyed when done. */
function runsToCompletion(m: FakeMachine): boolean {
  const restart = m.config.restart as { policy?: string } | undefined;
  return m.config.auto_destroy === true && restart?.policy === 'no';
}

export async function startFakeMachinesApi(opts: FakeMachinesOptions = {}): Promise<FakeMachinesApi> {
  const token = opts.token ?? DEFAULT_TOKEN;
  const delays = { ...DEFAULT_DELAYS, ...opts.delays };
  const secondMs = opts.secondMs ?? 1000;
  const org = opts.org ?? 'personal';
  const strict = opts.strictUnknownFields ?? true;
  const spec = specs.get(strict) ?? loadFlySpec({ strictUnknownFields: strict });
  specs.set(strict, spec);

  const apps = new Map<string, { id: string; org: string }>();
  const stamp = (): string => iso(opts.now?.() ?? Date.now());
  const machines = new Map<string, FakeMachine>();
  const requests: RecordedFlyRequest[] = [];
  const rejected: RejectedFlyRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const waiters = new Set<{ check: () => boolean; resolve: (ok: boolean) => void; timer: NodeJS.Timeout }>();
  const checkRules: { selector: MachineSelector; status: CheckStatusValue; output?: string; from: number }[] = [];
  const neverStartRules: MachineSelector[] = [];
  const exitRules: { selector: MachineSelector; code: number }[] = [];
  const failures: { status: number; method?: string; path?: RegExp }[] = [];
  let limited = { count: 0, retryAfter: 1 };
  const listeners: ((r: RecordedFlyRequest) => void)[] = [];
  const edges = new Map<string, Promise<FakeEdgeProxy>>();

  const later = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  const notify = (): void => {
    for (const w of [...waiters]) {
      if (w.check()) {
        clearTimeout(w.timer);
        waiters.delete(w);
        w.resolve(true);
      }
    }
  };
  const event = (m: FakeMachine, type: string, status: string, request?: Record<string, unknown>): void => {
    m.events.unshift({ id: hex(13).toUpperCase(), type, status, source: type === 'exit' ? 'flyd' : 'user', timestamp: Date.now(), ...(request ? { request } : {}) });
  };
  const setState = (m: FakeMachine, state: MachineState): void => {
    m.state = state;
    m.updatedAt = stamp();
    m.history.push({ state, at: Date.now() });
    if (state === 'started') m.startedAt = Date.now();
    notify();
  };

  // Each transition carries the instance it was scheduled for: an update or a stop in between supersedes it.
  const boot = (m: FakeMachine): void => {
    const instance = m.instanceId;
    const current = (): boolean => m.instanceId === instance && m.state !== 'destroying' && m.state !== 'destroyed';
    later(m.state === 'created' ? delays.create : 0, () => {
      if (!current()) return;
      setState(m, 'starting');
      if (neverStartRules.some((s) => matches(s, m))) return;
      later(delays.start, () => {
        if (!current() || m.state !== 'starting') return;
        setState(m, 'started');
        event(m, 'start', 'started');
        if (runsToCompletion(m)) later(delays.run, () => current() && m.state === 'started' && exit(m));
      });
    });
  };
  const exit = (m: FakeMachine): void => {
    const code = [...exitRules].reverse().find((r) => matches(r.selector, m))?.code ?? 0;
    event(m, 'exit', 'stopped', {
      exit_event: { exit_code: code, guest_exit_code: code, guest_signal: -1, signal: -1, oom_killed: false, requested_stop: false, restarting: false, exited_at: iso() },
    });
    setState(m, 'stopped');
    destroy(m);
  };
  const stop = (m: FakeMachine, then?: () => void): void => {
    const instance = m.instanceId;
    setState(m, 'stopping');
    later(delays.stop, () => {
      if (m.instanceId !== instance || m.state !== 'stopping') return;
      setState(m, 'stopped');
      event(m, 'stop', 'stopped');
      then?.();
    });
  };
  const destroy = (m: FakeMachine): void => {
    setState(m, 'destroying');
    later(delays.destroy, () => {
      setState(m, 'destroyed');
      event(m, 'destroy', 'destroyed');
      if (m.lease) delete m.lease;
    });
  };

  const checksOf = (m: FakeMachine): { name: string; status: CheckStatusValue; output: string; updated_at: string }[] => {
    const names = Object.keys((m.config.checks ?? {}) as Record<string, unknown>);
    const services = (m.config.services ?? []) as { checks?: { type?: string; port?: number }[]; internal_port?: number }[];
    services.forEach((s, i) => (s.checks ?? []).forEach((c, j) => names.push(`servicecheck-${String(i).padStart(2, '0')}-${j}-${c.type ?? 'tcp'}-${c.port ?? s.internal_port ?? 0}`)));
    const now = Date.now();
    let status: CheckStatusValue;
    let output: string;
    if (m.state !== 'started' || m.startedAt === undefined) {
      status = 'critical';
      output = `machine is ${m.state}`;
    } else if (now - m.startedAt < delays.checks) {
      status = 'warning';
      output = 'waiting for the first check';
    } else {
      const rule = [...checkRules].reverse().find((r) => r.from <= now && matches(r.selector, m));
      status = rule?.status ?? 'passing';
      output = rule?.output ?? (status === 'passing' ? 'HTTP GET: 200 OK' : 'HTTP GET: 500 Internal Server Error');
    }
    return names.map((name) => ({ name, status, output, updated_at: iso() }));
  };

  const machineJson = (m: FakeMachine): Record<string, unknown> => {
    const image = String(m.config.image ?? '');
    const [repository = image, tag = 'latest'] = image.split(/:(?=[^/:]+$)/);
    return {
      id: m.id,
      name: m.name,
      state: m.state,
      region: m.region,
      instance_id: m.instanceId,
      private_ip: `fdaa:0:1:a7b:1::${m.id.slice(0, 4)}`,
      config: m.config,
      image_ref: { registry: 'registry.fly.io', repository, tag, digest: `sha256:${hex(32)}`, labels: {} },
      created_at: m.createdAt,
      updated_at: m.updatedAt,
      events: m.events,
      checks: checksOf(m),
    };
  };

  const leaseActive = (m: FakeMachine): boolean => m.lease !== undefined && m.lease.expiresAt > Date.now();
  const requireLease = (m: FakeMachine, headers: IncomingHttpHeaders): void => {
    if (!leaseActive(m) || !m.lease) return;
    const nonce = headers[NONCE_HEADER];
    if (nonce !== m.lease.nonce) {
      throw new HttpError(409, nonce === undefined ? `machine ${m.id} is leased; send its nonce in ${NONCE_HEADER}` : `lease nonce does not match the lease held on machine ${m.id}`);
    }
  };
  const newLease = (m: FakeMachine, ttl: number, description: string): FakeMachine['lease'] & object => {
    m.lease = { nonce: hex(6), owner: 'fake@fly.test', description, expiresAt: Date.now() + ttl * 1000, version: m.instanceId };
    return m.lease;
  };
  const leaseJson = (l: NonNullable<FakeMachine['lease']>): Record<string, unknown> => ({
    nonce: l.nonce,
    owner: l.owner,
    description: l.description,
    expires_at: Math.floor(l.expiresAt / 1000),
    version: l.version,
  });

  const app = (name: string | undefined): string => {
    if (name === undefined || !apps.has(name)) throw new HttpError(404, `app not found: ${name ?? ''}`);
    return name;
  };
  const machineOf = (appName: string | undefined, id: string | undefined): FakeMachine => {
    const a = app(appName);
    const m = id === undefined ? undefined : machines.get(id);
    if (!m || m.app !== a) throw new HttpError(404, `machine not found: ${id ?? ''}`);
    return m;
  };

  type Reply = { status: number; body?: unknown; headers?: Record<string, string> };
  const handle = async (op: SpecOperation, p: Record<string, string>, query: URLSearchParams, body: unknown, headers: IncomingHttpHeaders): Promise<Reply> => {
    const b = (body ?? {}) as Record<string, unknown>;
    switch (op.operationId) {
      case 'Apps_list': {
        // The spec requires org_slug (checked above); only that org's apps are listed.
        const list = [...apps.entries()].filter(([, a]) => a.org === query.get('org_slug')).map(([name, a]) => ({ id: a.id, name, machine_count: [...machines.values()].filter((m) => m.app === name && m.state !== 'destroyed').length, network: {} }));
        return { status: 200, body: { total_apps: list.length, apps: list } };
      }
      case 'Apps_create': {
        const name = typeof b.app_name === 'string' ? b.app_name : '';
        if (!name) throw new HttpError(400, 'app_name is required');
        if (apps.has(name)) throw new HttpError(409, `app ${name} already exists`);
        apps.set(name, { id: hex(8), org: typeof b.org_slug === 'string' ? b.org_slug : org });
        return { status: 201, body: {} };
      }
      case 'Apps_show': {
        const name = app(p.app_name);
        const slug = apps.get(name)?.org ?? org;
        return { status: 200, body: { id: apps.get(name)?.id, name, organization: { name: slug, slug }, status: 'deployed' } };
      }
      case 'Apps_delete': {
        const name = app(p.app_name);
        apps.delete(name);
        for (const m of machines.values()) if (m.app === name && m.state !== 'destroyed') destroy(m);
        return { status: 202, body: {} };
      }
      case 'Machines_list': {
        const all = query.get('include_deleted') === 'true';
        const region = query.get('region');
        return { status: 200, body: api.machines(app(p.app_name), { includeDestroyed: all }).filter((m) => region === null || m.region === region).map(machineJson) };
      }
      case 'Machines_create': {
        const a = app(p.app_name);
        const config = (b.config ?? {}) as Record<string, unknown>;
        if (typeof config.image !== 'string' || config.image === '') throw new HttpError(400, 'config.image is required');
        const id = hex(7);
        const m: FakeMachine = {
          id,
          app: a,
          name: typeof b.name === 'string' ? b.name : `machine-${id.slice(0, 6)}`,
          region: typeof b.region === 'string' ? b.region : 'ams',
          state: 'created',
          config,
          instanceId: hex(13).toUpperCase(),
          cordoned: b.skip_service_registration === true,
          createdAt: stamp(),
          updatedAt: stamp(),
          events: [],
          history: [{ state: 'created', at: Date.now() }],
        };
        machines.set(id, m);
        event(m, 'launch', 'created');
        const lease = typeof b.lease_ttl === 'number' ? newLease(m, b.lease_ttl, 'created with a lease') : undefined;
        if (b.skip_launch !== true) boot(m);
        return { status: 200, body: { ...machineJson(m), ...(lease ? { nonce: lease.nonce } : {}) } };
      }
      case 'Machines_show':
        return { status: 200, body: machineJson(machineOf(p.app_name, p.machine_id)) };
      case 'Machines_update': {
        const m = machineOf(p.app_name, p.machine_id);
        requireLease(m, headers);
        if (m.state === 'destroying' || m.state === 'destroyed') throw new HttpError(412, `machine ${m.id} is ${m.state}`);
        const config = (b.config ?? m.config) as Record<string, unknown>;
        if (typeof config.image !== 'string' || config.image === '') throw new HttpError(400, 'config.image is required');
        const wasRunning = m.state === 'started' || m.state === 'starting';
        m.config = config;
        m.instanceId = hex(13).toUpperCase();
        if (m.lease) m.lease.version = m.instanceId;
        if (typeof b.skip_service_registration === 'boolean') m.cordoned = b.skip_service_registration;
        event(m, 'update', 'replacing');
        setState(m, 'replacing');
        const instance = m.instanceId;
        later(wasRunning ? delays.stop : 0, () => {
          if (m.instanceId !== instance || m.state !== 'replacing') return;
          if (b.skip_launch === true) setState(m, 'stopped');
          else {
            setState(m, 'created');
            boot(m);
          }
        });
        return { status: 200, body: machineJson(m) };
      }
      case 'Machines_start': {
        const m = machineOf(p.app_name, p.machine_id);
        requireLease(m, headers);
        if (m.state !== 'stopped' && m.state !== 'created') throw new HttpError(412, `unable to start machine from current state: '${m.state}'`);
        boot(m);
        return { status: 200, body: {} };
      }
      case 'Machines_stop': {
        const m = machineOf(p.app_name, p.machine_id);
        requireLease(m, headers);
        if (m.state === 'started' || m.state === 'starting') stop(m);
        else if (m.state !== 'stopped' && m.state !== 'stopping' && m.state !== 'created') throw new HttpError(412, `unable to stop machine from current state: '${m.state}'`);
        return { status: 200, body: {} };
      }
      case 'Machines_restart': {
        const m = machineOf(p.app_name, p.machine_id);
        requireLease(m, headers);
        stop(m, () => boot(m));
        return { status: 200, body: {} };
      }
      case 'Machines_delete': {
        const m = machineOf(p.app_name, p.machine_id);
        requireLease(m, headers);
        const force = query.get('force') === 'true' || query.get('kill') === 'true';
        if (m.state === 'destroyed' || m.state === 'destroying') return { status: 200, body: {} };
        if ((m.state === 'started' || m.state === 'starting') && !force) throw new HttpError(412, 'failed_precondition: machine still active, refusing to delete');
        destroy(m);
        return { status: 200, body: {} };
      }
      case 'Machines_cordon':
      case 'Machines_uncordon': {
        const m = machineOf(p.app_name, p.machine_id);
        requireLease(m, headers);
        m.cordoned = op.operationId === 'Machines_cordon';
        return { status: 200, body: {} };
      }
      case 'Machines_show_metadata': {
        const m = machineOf(p.app_name, p.machine_id);
        return { status: 200, body: (m.config.metadata ?? {}) as Record<string, string> };
      }
      case 'Machines_update_metadata':
      case 'Machines_delete_metadata': {
        const m = machineOf(p.app_name, p.machine_id);
        requireLease(m, headers);
        const metadata = { ...((m.config.metadata ?? {}) as Record<string, string>) };
        if (op.operationId === 'Machines_update_metadata') metadata[p.key ?? ''] = String(b.value);
        else delete metadata[p.key ?? ''];
        m.config = { ...m.config, metadata };
        return { status: 204 };
      }
      case 'Machines_list_events':
        return { status: 200, body: machineOf(p.app_name, p.machine_id).events };
      case 'Machines_show_lease': {
        const m = machineOf(p.app_name, p.machine_id);
        if (!leaseActive(m) || !m.lease) throw new HttpError(404, `no lease on machine ${m.id}`);
        return { status: 200, body: leaseJson(m.lease) };
      }
      case 'Machines_create_lease': {
        const m = machineOf(p.app_name, p.machine_id);
        const ttl = typeof b.ttl === 'number' ? b.ttl : DEFAULT_LEASE_TTL_S;
        const description = typeof b.description === 'string' ? b.description : '';
        if (leaseActive(m) && m.lease) {
          // The holder (who knows the nonce) refreshes it; anyone else is refused.
          if (headers[NONCE_HEADER] !== m.lease.nonce) throw new HttpError(409, `lease currently held by ${m.lease.owner}: ${m.lease.description}`);
          m.lease.expiresAt = Date.now() + ttl * 1000;
          return { status: 200, body: leaseJson(m.lease) };
        }
        return { status: 200, body: leaseJson(newLease(m, ttl, description)) };
      }
      case 'Machines_release_lease': {
        const m = machineOf(p.app_name, p.machine_id);
        if (!leaseActive(m)) return { status: 200, body: {} };
        requireLease(m, headers);
        delete m.lease;
        return { status: 200, body: {} };
      }
      case 'Machines_wait': {
        const m = machineOf(p.app_name, p.machine_id);
        const state = query.get('state') ?? 'started';
        const instance = query.get('instance_id');
        const timeoutS = Math.min(Number(query.get('timeout') ?? MAX_WAIT_S), MAX_WAIT_S);
        const check = (): boolean => m.state === state && (instance === null || instance === m.instanceId);
        if (check()) return { status: 200, body: {} };
        const ok = await new Promise<boolean>((resolve) => {
          const w = { check, resolve, timer: setTimeout(() => (waiters.delete(w), resolve(false)), timeoutS * secondMs) };
          waiters.add(w);
        });
        if (!ok) throw new HttpError(408, `deadline_exceeded: machine ${m.id} did not reach ${state} within ${timeoutS}s (it is ${m.state})`);
        return { status: 200, body: {} };
      }
      default:
        throw new HttpError(501, `the fake does not implement ${op.operationId}`);
    }
  };

  const readBody = (req: IncomingMessage): Promise<string> =>
    new Promise((resolve, reject) => {
      let text = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (text += c));
      req.on('end', () => resolve(text));
      req.on('error', reject);
    });

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const u = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const text = await readBody(req);
    let body: unknown;
    let parseError: string | undefined;
    if (text.trim() !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
        parseError = 'body: not valid JSON';
      }
    }
    const { authorization: _auth, ...headers } = req.headers;
    const record: RecordedFlyRequest = { method, path: u.pathname, query: Object.fromEntries(u.searchParams), body, headers, status: 0 };
    requests.push(record);
    const send = (reply: Reply): void => {
      record.status = reply.status;
      const text = reply.body === undefined ? '' : JSON.stringify(reply.body);
      res.writeHead(reply.status, { ...(text ? { 'content-type': 'application/json; charset=utf-8' } : {}), 'content-length': Buffer.byteLength(text), ...reply.headers });
      res.end(text);
      for (const l of listeners) l(record);
    };
    const error = (status: number, message: string, extra?: Record<string, string>): void => send({ status, body: { error: message }, ...(extra ? { headers: extra } : {}) });

    if (req.headers.authorization !== `Bearer ${token}`) return error(401, 'Authenticate: token validation error');
    if (!u.pathname.startsWith('/v1/')) return error(404, `not found: ${u.pathname}`);
    const route = spec.route(method, u.pathname.slice(3));
    if (route.kind === 'no-path') return error(404, `not found: ${u.pathname}`);
    if (route.kind === 'no-method') return error(405, `method ${method} not allowed on ${u.pathname}`, { allow: route.allow.join(', ') });
    const op = route.operation;
    record.operationId = op.operationId;
    const problems = parseError ? [parseError] : [...spec.checkBody(op, body), ...spec.checkQuery(op, u.searchParams)];
    if (problems.length > 0) rejected.push({ method, path: u.pathname, operationId: op.operationId, body, problems });

    if (limited.count > 0) {
      limited.count -= 1;
      return error(429, 'rate limit exceeded', { 'retry-after': String(limited.retryAfter) });
    }
    const failure = failures.findIndex((f) => (f.method === undefined || f.method === method) && (f.path === undefined || f.path.test(u.pathname)));
    if (failure >= 0) {
      const [f] = failures.splice(failure, 1);
      if (f?.status === 0) {
        record.status = 0;
        req.socket.destroy();
        for (const l of listeners) l(record);
        return;
      }
      return error(f?.status ?? 500, 'internal error (injected by the test)');
    }
    if (problems.length > 0) return error(400, `invalid request for ${op.operationId}: ${problems.join('; ')}`);
    try {
      send(await handle(op, route.params, u.searchParams, body, req.headers));
    } catch (e) {
      if (e instanceof HttpError) return error(e.status, e.message);
      return error(500, `fake failure: ${e instanceof Error ? e.message : String(e)}`);
    }
  };

  const server: Server = createServer((req, res) => {
    serve(req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(e));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;

  const api: FakeMachinesApi = {
    url,
    token,
    requests,
    rejected,
    spec,
    addApp(name, appOrg = org) {
      apps.set(name, { id: hex(8), org: appOrg });
    },
    apps: () => [...apps.keys()],
    machines(appName, o = {}) {
      return [...machines.values()].filter((m) => m.app === appName && (o.includeDestroyed === true || m.state !== 'destroyed'));
    },
    machine: (id) => machines.get(id),
    machineJson,
    checksOf,
    setChecks(selector, status, o = {}) {
      checkRules.push({ selector, status, from: Date.now() + (o.afterMs ?? 0), ...(o.output !== undefined ? { output: o.output } : {}) });
    },
    neverStart(selector) {
      neverStartRules.push(selector);
    },
    clearNeverStart() {
      neverStartRules.length = 0;
    },
    setExitCode(code, selector = () => true) {
      exitRules.push({ selector, code });
    },
    failNext(count, status = 500, match = {}) {
      for (let i = 0; i < count; i++) failures.push({ status, ...match });
    },
    dropNext(count, match = {}) {
      for (let i = 0; i < count; i++) failures.push({ status: 0, ...match });
    },
    rateLimit(count, retryAfterSeconds = 1) {
      limited = { count, retryAfter: retryAfterSeconds };
    },
    onRequest(listener) {
      listeners.push(listener);
    },
    edge(appName, o) {
      const running = edges.get(appName) ?? startFakeEdgeProxy(api, appName, o);
      edges.set(appName, running);
      return running;
    },
    async close() {
      for (const e of edges.values()) await (await e).close();
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const w of waiters) {
        clearTimeout(w.timer);
        w.resolve(false);
      }
      waiters.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return api;
}
