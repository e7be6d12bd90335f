import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FakeMachine, MachineSelector } from './fake-machines-api.js';

/**
 * A fake of Fly's public proxy for one app: what `https://<app>.fly.dev` is, over the fake Machines
 * API's machines (node:http on 127.0.0.1, a random port). Fly.io documents:
 *
 * - a request goes to one of the app's started machines whose services are registered (a machine
 *   cordoned, or created with `skip_service_registration`, gets none: the spec's `Machines_cordon`);
 * - `fly-force-instance-id: <machine id>` forces the request to that machine: the proxy tries it
 *   several times while it is unhealthy, and never falls back to another machine.
 *
 * What the proxy answers when a forced machine is ultimately unavailable (stopped, not found,
 * cordoned) is not documented; this fake answers 502 with a line saying why, and the code under
 * test must only rely on "not 2xx or 3xx". A machine that is still starting is waited for up to
 * `retryMs`, as the proxy's retries do.
 *
 * A started machine answers like a plain app: 200 with its id, version and image as JSON, for
 * any path. A test injects other answers per machine or per image (`answer`), e.g. a 500 or a hang,
 * at any moment; later rules win.
 */

export const FORCE_INSTANCE_HEADER = 'fly-force-instance-id';

export interface FakeEdgeAnswer {
  /** @default 200 */
  status?: number;
  /** @default the machine's id, version and image as JSON */
  body?: string;
  /** Never answer: the connection stays open until the client gives up or the fake closes. */
  hang?: boolean;
  /** Answer after this many ms. */
  delayMs?: number;
}

export interface FakeEdgeRequest {
  method: string;
  path: string;
  /** The `fly-force-instance-id` header, or null. */
  forced: string | null;
  /** The machine that answered; null when the proxy answered itself. */
  machine: string | null;
  /** 0 while unanswered (a hang). */
  status: number;
}

export interface FakeEdgeProxy {
  readonly app: string;
  /** The app's public base URL, e.g. `http://127.0.0.1:54321` (stands for `https://<app>.fly.dev`). */
  readonly url: string;
  /** Every request, in order. */
  readonly requests: FakeEdgeRequest[];
  /** What the selected machines answer from now on; later rules win. */
  answer(selector: MachineSelector, answer: FakeEdgeAnswer): void;
  clearAnswers(): void;
  close(): Promise<void>;
}

/** The machines the proxy routes to (the fake Machines API). */
export interface FakeEdgeSource {
  machines(app: string): FakeMachine[];
  machine(id: string): FakeMachine | undefined;
}

export interface FakeEdgeOptions {
  /** How long a forced machine that is starting is waited for before the proxy gives up. @default 200 */
  retryMs?: number;
}

type Route = { machine: FakeMachine } | { error: string };

// The selectors of the fake Machines API (a machine id, an image, an app, or a predicate).
function matches(selector: MachineSelector, m: FakeMachine): boolean {
  if (typeof selector === 'string') return m.id === selector;
  if (typeof selector === 'function') return selector(m);
  return (selector.image === undefined || m.config.image === selector.image) && (selector.app === undefined || m.app === selector.app);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const isBooting = (m: FakeMachine): boolean => m.state === 'created' || m.state === 'starting' || m.state === 'replacing';
const hasServices = (m: FakeMachine): boolean => Array.isArray(m.config.services) && m.config.services.length > 0;

export async function startFakeEdgeProxy(source: FakeEdgeSource, app: string, opts: FakeEdgeOptions = {}): Promise<FakeEdgeProxy> {
  const retryMs = opts.retryMs ?? 200;
  const requests: FakeEdgeRequest[] = [];
  const rules: { selector: MachineSelector; answer: FakeEdgeAnswer }[] = [];
  let turn = 0;

  const unavailable = (m: FakeMachine | undefined, id: string): string | null => {
    if (!m || m.app !== app || m.state === 'destroyed' || m.state === 'destroying') return `machine ${id} is not a machine of ${app}`;
    if (m.cordoned) return `machine ${id} is cordoned (its services are disabled)`;
    if (!hasServices(m)) return `machine ${id} has no services`;
    return m.state === 'started' ? null : `machine ${id} is ${m.state}`;
  };
  const forcedRoute = async (id: string): Promise<Route> => {
    const deadline = Date.now() + retryMs;
    while (source.machine(id) && isBooting(source.machine(id)!) && Date.now() < deadline) await sleep(10);
    const m = source.machine(id);
    const why = unavailable(m, id);
    return why === null ? { machine: m! } : { error: `${why}; ${FORCE_INSTANCE_HEADER} does not fall back to another machine` };
  };
  const balancedRoute = (): Route => {
    const ready = source.machines(app).filter((m) => unavailable(m, m.id) === null);
    if (ready.length === 0) return { error: `no started machine of ${app} with registered services` };
    return { machine: ready[turn++ % ready.length]! };
  };

  const reply = async (m: FakeMachine, res: ServerResponse, record: FakeEdgeRequest): Promise<void> => {
    const a = [...rules].reverse().find((r) => matches(r.selector, m))?.answer ?? {};
    record.machine = m.id;
    if (a.hang) return;
    if (a.delayMs) await sleep(a.delayMs);
    const metadata = (m.config.metadata ?? {}) as Record<string, string>;
    const body = a.body ?? JSON.stringify({ machine: m.id, version: metadata.shipgate_version ?? null, image: m.config.image });
    record.status = a.status ?? 200;
    res.writeHead(record.status, { 'content-type': a.body === undefined ? 'application/json' : 'text/plain', 'content-length': Buffer.byteLength(body) }).end(body);
  };

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const header = req.headers[FORCE_INSTANCE_HEADER];
    const forced = typeof header === 'string' && header !== '' ? header : null;
    const record: FakeEdgeRequest = { method: req.method ?? 'GET', path: new URL(req.url ?? '/', 'http://edge').pathname, forced, machine: null, status: 0 };
    requests.push(record);
    req.resume();
    const route = forced !== null ? await forcedRoute(forced) : balancedRoute();
    if ('machine' in route) return reply(route.machine, res, record);
    record.status = 502;
    const text = `fly-proxy (fake): ${route.error}\n`;
    res.writeHead(502, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) }).end(text);
  };

  const server: Server = createServer((req, res) => {
    serve(req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(e));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    app,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    answer(selector, answer) {
      rules.push({ selector, answer });
    },
    clearAnswers() {
      rules.length = 0;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
