import { z } from 'zod';
import { type Duration } from '../duration.js';
import { duration, durationWithin } from './duration.js';
import { CommandSchema, EnvMapSchema, StatusListSchema } from './primitives.js';
import { HealthTargetSchema } from './health.js';
import { DEFAULT_EJECT_AFTER, DEFAULT_MAX_CONNECTIONS, MAX_AGENT_TIMER_MS, MIN_DEADMAN_MS, MIN_PROBE_INTERVAL_MS } from '../../agent/contract.js';

/** A time the agent sets a timer for: at least 1 ms, at most what a Node timer holds. */
const agentTime = (): ReturnType<typeof duration> => durationWithin(1, MAX_AGENT_TIMER_MS);

export const DEFAULT_LISTEN = '127.0.0.1:3000';
export const DEFAULT_INSTANCES = 2;
export const DEFAULT_STOP_TIMEOUT = '30s' as Duration;
export const DEFAULT_DEADMAN = '30s' as Duration;
export const DEFAULT_BODY_LIMIT = 10 * 1024 * 1024;

/** `host:port`, `[::1]:port` or `:port` (all interfaces). */
export const LISTEN_RE = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):(\d{1,5})$/;

export const ListenSchema = z
  .string({ error: 'expected "host:port", like "127.0.0.1:3000"' })
  .regex(LISTEN_RE, { error: 'expected "host:port", like "127.0.0.1:3000"' })
  .refine((v) => {
    const m = LISTEN_RE.exec(v);
    return !m || (Number(m[2]) >= 1 && Number(m[2]) <= 65535);
  }, { error: 'expected a port from 1 to 65535' });

export function parseListen(value: string): { host: string; port: number } {
  const m = LISTEN_RE.exec(value);
  if (!m) throw new TypeError(`not a listen address: ${value}`);
  const host = m[1]!.replace(/^\[|\]$/g, '');
  return { host: host === '' ? '0.0.0.0' : host, port: Number(m[2]) };
}

export const ReadinessSchema = z.strictObject({
  path: z
    .string()
    .max(2048, { error: 'expected a path of at most 2048 characters' })
    .regex(/^\/[!-~]*$/, { error: 'expected a path starting with "/", of visible ASCII characters' })
    .default('/health').describe('Probed on each instance directly.'),
  interval: durationWithin(MIN_PROBE_INTERVAL_MS, MAX_AGENT_TIMER_MS).default('1s' as Duration).describe('Pause between probes.'),
  timeout: agentTime().default('2s' as Duration).describe('Timeout of one probe.'),
  grace: agentTime().default('30s' as Duration).describe('How long a new instance may take to become ready before it counts as failed.'),
  expect: StatusListSchema.optional().describe('Ready statuses. Default: any 2xx or 3xx.'),
});
export type Readiness = z.infer<typeof ReadinessSchema>;

export const RouterSchema = z.strictObject({
  stickyCookie: z
    .union([z.literal(false), z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'expected a cookie name' })])
    .default(false)
    .describe('Name of a cookie that keeps a client on one version (off by default).'),
  versionHeader: z.boolean().default(true).describe('`X-Shipgate-Version: v1.2.3` reaches that version at any weight, including 0.'),
  bodyLimit: z.number().int().min(1).default(DEFAULT_BODY_LIMIT).describe('Largest request body in bytes; larger ones get 413.'),
  retry: z.boolean().default(true).describe('Retry once on another instance when the connection is refused (idempotent methods only).'),
  ejectAfter: z
    .union([z.literal(false), z.number().int().min(1).max(1000)])
    .default(DEFAULT_EJECT_AFTER)
    .describe('After this many failed answers in a row (5xx or no answer), a version with less weight than the others together (a canary) gets no weighted traffic for 10 s, and each analysis evaluation while it is out fails; `false` turns this off.'),
  maxConnections: z
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(DEFAULT_MAX_CONNECTIONS)
    .describe('Client connections the router holds open at most. At the cap, a new connection first closes the longest idle keep-alive one; when none is idle it gets a 503 (`X-Shipgate-Error: connection-limit`). Lowered to half of what the router process\'s open-file limit leaves (router.log says so), so the router keeps descriptors for its control socket.'),
});
export type RouterConfig = z.infer<typeof RouterSchema>;

export const ControlTlsSchema = z.strictObject({
  cert: z.string().min(1).describe('PEM certificate file (relative to the config file), read when the agent starts. It must name the address clients connect to.'),
  key: z.string().min(1).describe('PEM private key file of `cert` (relative to the config file).'),
  ca: z.string().min(1).optional().describe('PEM file of the CA that signed `cert`: what clients verify the agent against. Default: `cert` itself (a self-signed certificate).'),
});
export type ControlTlsConfig = z.infer<typeof ControlTlsSchema>;

export const ControlSchema = z.strictObject({
  listen: ListenSchema.describe('TCP address of the control API (the unix socket is always there). A loopback address unless `tls` is set.'),
  token: z.string().min(16, { error: 'expected a token of at least 16 characters' }).describe('Bearer token required on the TCP control API; write `${AGENT_TOKEN}`. It grants code execution as the agent\'s user.'),
  tls: ControlTlsSchema.optional().describe('Serve the TCP control API over HTTPS; required to listen on anything but a loopback address.'),
});
export type ControlConfig = z.infer<typeof ControlSchema>;

export const LocalProviderSchema = z.strictObject({
  type: z.literal('local').describe('`local`: the built-in agent runs the instances behind a weighted router.'),
  command: CommandSchema.describe('Starts one instance, in the release folder, with `PORT` and `SHIPGATE_VERSION` set.'),
  instances: z.number().int().min(1, { error: 'expected at least 1' }).max(64).default(DEFAULT_INSTANCES).describe('Instances per version.'),
  listen: ListenSchema.default(DEFAULT_LISTEN).describe('Where the router listens. Each environment has a router of its own: no two may share an address (nor a `control.listen`).'),
  readiness: ReadinessSchema.default({ path: '/health', interval: '1s' as Duration, timeout: '2s' as Duration, grace: '30s' as Duration }).describe('When an instance is ready for traffic (probed before and during its life).'),
  stopTimeout: agentTime().default(DEFAULT_STOP_TIMEOUT).describe('SIGTERM, then SIGKILL after this long.'),
  env: EnvMapSchema.optional().describe('Extra environment for the instances.'),
  deadman: durationWithin(MIN_DEADMAN_MS, MAX_AGENT_TIMER_MS).default(DEFAULT_DEADMAN).describe('If the process driving a rollout stops sending heartbeats this long, the agent returns all traffic to the stable version.'),
  router: RouterSchema.default({ stickyCookie: false, versionHeader: true, bodyLimit: DEFAULT_BODY_LIMIT, retry: true, ejectAfter: DEFAULT_EJECT_AFTER, maxConnections: DEFAULT_MAX_CONNECTIONS }).describe('The reverse proxy on `listen`.'),
  control: ControlSchema.optional().describe('Optional TCP control API (token required); the default is a unix socket with mode 0600.'),
  health: HealthTargetSchema.optional().describe('Checked through the router after the rollout.'),
});
export type LocalProviderConfig = z.infer<typeof LocalProviderSchema>;
