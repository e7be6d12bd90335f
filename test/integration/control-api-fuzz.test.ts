/**
 * The control API of a real agent process against malformed requests: a list
 * of named nasty cases and random ones built by breaking a valid body. Each
 * gets a 4xx with a JSON error that names the field; afterwards the same
 * process still answers, a valid request still works, the dead-man switch and
 * the warm timers still fire, and a client that never finished its body was
 * cut off.
 */
import { mkdirSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type AgentProcess, type Reply } from '../support/agent-process.js';
import { eventually, freePort } from '../support/local-project.js';
import { APP } from './supervisor-harness.js';

const MAX_TIMER_MS = 2 ** 31 - 1;
const DAY_MS = 86_400_000;
const JSON_TYPE = { 'content-type': 'application/json' };

let agent: AgentProcess;
let releaseDir: string;
let stalled: { socket: Socket; answer: Promise<string> };

/** A connection that sends half a body and then nothing: the agent must cut it off, not wait for ever. */
async function stallBody(): Promise<{ socket: Socket; answer: Promise<string> }> {
  const socket = await agent.raw();
  let out = '';
  const answer = new Promise<string>((resolve) => {
    socket.on('data', (d: Buffer) => (out += d.toString()));
    socket.on('close', () => resolve(out));
    socket.on('error', () => undefined);
  });
  socket.write('POST /v1/weights HTTP/1.1\r\nHost: agent\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"weights":');
  return { socket, answer };
}

beforeAll(async () => {
  agent = await startAgent();
  releaseDir = join(agent.tmp.path, 'release');
  mkdirSync(releaseDir);
  stalled = await stallBody();
});
afterAll(async () => {
  stalled?.socket.destroy();
  await agent?.dispose();
});

/** A valid spec; the malformed ones never start anything, so their release folder need not exist. */
function spec(version: string, dir = '/srv/fuzz/release') {
  return {
    version,
    releaseDir: dir,
    argv: [process.execPath, APP],
    env: {},
    readiness: { path: '/health', intervalMs: 100, timeoutMs: 1000, graceMs: 10_000 },
    stopTimeoutMs: 1000,
  };
}

const ROUTER = { stickyCookie: false, versionHeader: true, bodyLimit: 1024, retry: true, ejectAfter: 5, maxConnections: 100 };

/** A request as [method, path, body text or undefined, extra headers]. */
type Req = [string, string, string | Buffer | undefined, Record<string, string>?];

function post(path: string, body: unknown, headers: Record<string, string> = JSON_TYPE): Req {
  return ['POST', path, typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body), headers];
}

function ensureWith(change: (s: Record<string, unknown>) => void, count = 1): Req {
  const s = spec('v9') as unknown as Record<string, unknown>;
  s.readiness = { ...(s.readiness as object) };
  change(s);
  return post('/v1/versions/ensure', { spec: s, count });
}

const readiness = (patch: Record<string, unknown>) => (s: Record<string, unknown>) => (s.readiness = { ...(s.readiness as object), ...patch });

/** [name, request, expected status, the field the error must name]. */
const NASTY: [string, Req, number, string][] = [
  // The two of the issue.
  ['keep-warm until 9e15 (an invalid Date)', post('/v1/versions/keep-warm', { version: 'v1', untilMs: 9e15 }), 400, 'untilMs'],
  ['weights {} (all traffic to 503)', post('/v1/weights', { weights: {} }), 400, 'weights'],
  // The wire.
  ['text/plain', post('/v1/weights', { weights: { v1: 100 } }, { 'content-type': 'text/plain' }), 415, 'content-type'],
  ['no content type', post('/v1/weights', { weights: { v1: 100 } }, {}), 415, 'content-type'],
  ['JSON in latin1', post('/v1/weights', { weights: { v1: 100 } }, { 'content-type': 'application/json; charset=latin1' }), 415, 'content-type'],
  ['form data', post('/v1/weights', 'weights[v1]=100', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'content-type'],
  ['not JSON', post('/v1/weights', '{"weights":'), 400, 'body'],
  ['JSON with a trailing comma', post('/v1/weights', '{"weights":{"v1":100},}'), 400, 'body'],
  ['a byte-order mark and garbage', post('/v1/weights', '\ufeff{]'), 400, 'body'],
  ['invalid UTF-8', post('/v1/weights', Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d])), 400, 'body'],
  ['a list', post('/v1/weights', []), 400, 'body'],
  ['a string', post('/v1/weights', '"weights"'), 400, 'body'],
  ['a number', post('/v1/weights', '100'), 400, 'body'],
  ['null', post('/v1/weights', 'null'), 400, 'body'],
  ['true', post('/v1/versions/stop', 'true'), 400, 'body'],
  ['a key given twice, the last one empty', post('/v1/weights', '{"weights":{"v1":100},"weights":{}}'), 400, 'weights'],
  ['a version given twice', post('/v1/weights', '{"weights":{"v1":0,"v1":100}}'), 400, 'weights.v1'],
  ['__proto__', post('/v1/weights', '{"weights":{"v1":100},"__proto__":{"polluted":true}}'), 400, '__proto__'],
  // (Only the head is sent: the agent answers before the body, and a client still writing it would see the connection close.)
  ['2 MiB declared', ['POST', '/v1/weights', undefined, { ...JSON_TYPE, 'content-length': String(2 * 1024 * 1024) }], 413, 'body'],
  ['a chunked body over 1 MiB', ['POST', '/v1/weights', `{"reason":"${'x'.repeat(1024 * 1024 + 10)}"}`, { ...JSON_TYPE, 'transfer-encoding': 'chunked' }], 413, 'body'],
  ['a body on a GET', ['GET', '/v1/status', '{}', JSON_TYPE], 400, 'body'],
  ['an unknown endpoint', ['GET', '/v1/secrets', undefined], 404, 'GET /v1/secrets'],
  ['a path with ..', ['GET', '/v1/../v1/status/..', undefined], 404, 'GET /v1/'],
  ['DELETE', ['DELETE', '/v1/weights', undefined], 405, 'DELETE /v1/weights'],
  ['PUT on status', ['PUT', '/v1/status', '{}', JSON_TYPE], 405, 'PUT /v1/status'],
  ['GET on a POST endpoint', ['GET', '/v1/versions/ensure', undefined], 405, 'GET /v1/versions/ensure'],
  // Queries.
  ['an unknown query parameter', ['GET', '/v1/status?debug=1', undefined], 400, 'debug'],
  ['stats: version twice', ['GET', '/v1/stats?version=v1&version=v2', undefined], 400, 'version'],
  ['stats: no version', ['GET', '/v1/stats', undefined], 400, 'version'],
  ['stats: a path as version', ['GET', '/v1/stats?version=..%2F..%2Fetc', undefined], 400, 'version'],
  ['stats: windowMs 1e3', ['GET', '/v1/stats?version=v1&windowMs=1e3', undefined], 400, 'windowMs'],
  ['stats: windowMs negative', ['GET', '/v1/stats?version=v1&windowMs=-5000', undefined], 400, 'windowMs'],
  ['stats: windowMs huge', ['GET', '/v1/stats?version=v1&windowMs=99999999999', undefined], 400, 'windowMs'],
  ['probe: viaHeader yes', ['GET', '/v1/probe?version=v1&viaHeader=yes', undefined], 400, 'viaHeader'],
  ['instances: NUL in version', ['GET', '/v1/instances?version=v1%00', undefined], 400, 'version'],
  // keep-warm.
  ['keep-warm: negative', post('/v1/versions/keep-warm', { version: 'v1', untilMs: -1 }), 400, 'untilMs'],
  ['keep-warm: fraction', post('/v1/versions/keep-warm', { version: 'v1', untilMs: Date.now() + 0.5 }), 400, 'untilMs'],
  ['keep-warm: 1e300', post('/v1/versions/keep-warm', '{"version":"v1","untilMs":1e300}'), 400, 'untilMs'],
  ['keep-warm: infinity', post('/v1/versions/keep-warm', '{"version":"v1","untilMs":1e400}'), 400, 'untilMs'],
  ['keep-warm: ten years ahead', post('/v1/versions/keep-warm', { version: 'v1', untilMs: Date.now() + 3650 * DAY_MS }), 400, 'untilMs'],
  ['keep-warm: a string', post('/v1/versions/keep-warm', { version: 'v1', untilMs: 'tomorrow' }), 400, 'untilMs'],
  ['keep-warm: no version', post('/v1/versions/keep-warm', { untilMs: Date.now() }), 400, 'version'],
  // weights.
  ['weights: 99 in all', post('/v1/weights', { weights: { v1: 60, v2: 39 } }), 400, 'weights'],
  ['weights: 101', post('/v1/weights', { weights: { v1: 101 } }), 400, 'weights.v1'],
  ['weights: negative', post('/v1/weights', { weights: { v1: 100, v2: -10 } }), 400, 'weights.v2'],
  ['weights: fractions', post('/v1/weights', { weights: { v1: 50.5, v2: 49.5 } }), 400, 'weights.v1'],
  ['weights: a string percent', post('/v1/weights', { weights: { v1: '100' } }), 400, 'weights.v1'],
  ['weights: a version the agent does not run', post('/v1/weights', { weights: { ghost: 100 } }), 409, 'weights.ghost'],
  ['weights: a 65-character version', post('/v1/weights', { weights: { [`v${'1'.repeat(64)}`]: 100 } }), 400, 'weights'],
  ['weights: a reason with a newline', post('/v1/weights', { weights: { v1: 100 }, reason: 'ok\n2026 [agent 1] forged line' }), 400, 'reason'],
  ['weights: a 201-character reason', post('/v1/weights', { weights: { v1: 100 }, reason: 'r'.repeat(201) }), 400, 'reason'],
  ['weights: null', post('/v1/weights', { weights: null }), 400, 'weights'],
  ['weights: a list', post('/v1/weights', { weights: [100] }), 400, 'weights'],
  // ensure.
  ['ensure: no spec', post('/v1/versions/ensure', { count: 1 }), 400, 'spec'],
  ['ensure: 65 instances', ensureWith(() => undefined, 65), 400, 'count'],
  ['ensure: -1 instances', ensureWith(() => undefined, -1), 400, 'count'],
  ['ensure: 1.5 instances', ensureWith(() => undefined, 1.5), 400, 'count'],
  ['ensure: empty argv', ensureWith((s) => (s.argv = [])), 400, 'spec.argv'],
  ['ensure: empty program', ensureWith((s) => (s.argv = [''])), 400, 'spec.argv'],
  ['ensure: NUL in an argument', ensureWith((s) => (s.argv = ['node', 'a\0b'])), 400, 'spec.argv[1]'],
  ['ensure: a number as argument', ensureWith((s) => (s.argv = ['node', 1])), 400, 'spec.argv[1]'],
  ['ensure: argv as a shell string', ensureWith((s) => (s.argv = 'node server.js')), 400, 'spec.argv'],
  ['ensure: an env name with =', ensureWith((s) => (s.env = { 'A=B': 'x' })), 400, 'spec.env'],
  ['ensure: an env value that is a number', ensureWith((s) => (s.env = { PORT: 80 })), 400, 'spec.env.PORT'],
  ['ensure: NUL in an env value', ensureWith((s) => (s.env = { TOKEN: 'se\0cret' })), 400, 'spec.env.TOKEN'],
  ['ensure: a relative release folder', ensureWith((s) => (s.releaseDir = 'releases/v9')), 400, 'spec.releaseDir'],
  ['ensure: .. in the release folder', ensureWith((s) => (s.releaseDir = '/tmp/../etc')), 400, 'spec.releaseDir'],
  ['ensure: NUL in the release folder', ensureWith((s) => (s.releaseDir = '/tmp/a\0b')), 400, 'spec.releaseDir'],
  ['ensure: a readiness path without /', ensureWith(readiness({ path: 'health' })), 400, 'spec.readiness.path'],
  ['ensure: a readiness path with a space', ensureWith(readiness({ path: '/a b' })), 400, 'spec.readiness.path'],
  ['ensure: a probe interval of 0', ensureWith(readiness({ intervalMs: 0 })), 400, 'spec.readiness.intervalMs'],
  ['ensure: a probe timeout past what a timer holds', ensureWith(readiness({ timeoutMs: MAX_TIMER_MS + 1 })), 400, 'spec.readiness.timeoutMs'],
  ['ensure: an infinite grace', ['POST', '/v1/versions/ensure', JSON.stringify({ spec: spec('v9'), count: 1 }).replace('"graceMs":10000', '"graceMs":1e400'), JSON_TYPE], 400, 'spec.readiness.graceMs'],
  ['ensure: a status of 99', ensureWith(readiness({ expect: [99] })), 400, 'spec.readiness.expect[0]'],
  ['ensure: a stop timeout of 1e10', ensureWith((s) => (s.stopTimeoutMs = 1e10)), 400, 'spec.stopTimeoutMs'],
  ['ensure: an unknown key in the spec', ensureWith((s) => (s.user = 'root')), 400, 'spec.user'],
  // configure.
  ['configure: nowhere', post('/v1/configure', { app: 'fuzz', listen: 'nowhere', router: ROUTER }), 400, 'listen'],
  ['configure: port 70000', post('/v1/configure', { app: 'fuzz', listen: '127.0.0.1:70000', router: ROUTER }), 400, 'listen'],
  ['configure: no router', post('/v1/configure', { app: 'fuzz', listen: '127.0.0.1:3000' }), 400, 'router'],
  ['configure: a negative body limit', post('/v1/configure', { app: 'fuzz', listen: '127.0.0.1:3000', router: { ...ROUTER, bodyLimit: -1 } }), 400, 'router.bodyLimit'],
  ['configure: a cookie name with a space', post('/v1/configure', { app: 'fuzz', listen: '127.0.0.1:3000', router: { ...ROUTER, stickyCookie: 'a b' } }), 400, 'router.stickyCookie'],
  ['configure: maxConnections 0', post('/v1/configure', { app: 'fuzz', listen: '127.0.0.1:3000', router: { ...ROUTER, maxConnections: 0 } }), 400, 'router.maxConnections'],
  ['configure: an empty app', post('/v1/configure', { app: '', listen: '127.0.0.1:3000', router: ROUTER }), 400, 'app'],
  // rollout.
  ['begin: a dead-man time of 10 ms', post('/v1/rollout/begin', { id: 'r1', stable: null, candidate: 'v2', deadmanMs: 10 }), 400, 'deadmanMs'],
  ['begin: a dead-man time of 1e12', post('/v1/rollout/begin', { id: 'r1', stable: null, candidate: 'v2', deadmanMs: 1e12 }), 400, 'deadmanMs'],
  ['begin: an id with a newline', post('/v1/rollout/begin', { id: 'r1\nforged', stable: null, candidate: 'v2', deadmanMs: 30_000 }), 400, 'id'],
  ['begin: an 81-character id', post('/v1/rollout/begin', { id: 'r'.repeat(81), stable: null, candidate: 'v2', deadmanMs: 30_000 }), 400, 'id'],
  ['begin: a candidate with a slash', post('/v1/rollout/begin', { id: 'r1', stable: null, candidate: 'v2/..', deadmanMs: 30_000 }), 400, 'candidate'],
  ['begin: a stable the agent does not run', post('/v1/rollout/begin', { id: 'r1', stable: 'ghost', candidate: 'v2', deadmanMs: 30_000 }), 409, 'stable'],
  ['heartbeat: no id', post('/v1/rollout/heartbeat', {}), 400, 'id'],
  ['command: reboot', post('/v1/rollout/command', { command: 'reboot' }), 400, 'command'],
  // lifecycle.
  ['stop: "yes"', post('/v1/stop', { stopInstances: 'yes' }), 400, 'stopInstances'],
  ['stop: no body', ['POST', '/v1/stop', undefined], 400, 'stopInstances'],
  ['restart with an unknown key', post('/v1/restart', { now: true }), 400, 'now'],
];

function send([method, path, body, headers]: Req): Promise<Reply> {
  return agent.request(method, path, { ...(body === undefined ? {} : { body }), headers: headers ?? {} });
}

function errorOf(r: Reply): string {
  expect(r.headers['content-type']).toBe('application/json');
  const { error } = JSON.parse(r.body) as { error?: unknown };
  expect(typeof error).toBe('string');
  return error as string;
}

describe('the control API of a real agent process', () => {
  it('has a list of at least 50 named nasty requests', () => {
    expect(NASTY.length).toBeGreaterThanOrEqual(50);
  });

  it.each(NASTY)('refuses %s', async (_name, req, status, field) => {
    const r = await send(req);
    expect(r.status, r.body).toBe(status);
    // The field itself, or a part of it (`weights.v1`, `spec.args[0]`), not a longer name that starts the same.
    expect(errorOf(r)).toMatch(new RegExp(`^${field.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(: |[.[])`));
    expect(errorOf(r)).not.toContain('se\0cret');
    expect(errorOf(r)).not.toMatch(/\n\s+at /); // no stack
  });

  it('refuses random malformed bodies and queries with a 4xx that names a field', async () => {
    const checked = await fc.assert(
      fc.asyncProperty(malformed(), async (req) => {
        const r = await send(req);
        if (r.status < 400 || r.status > 499) throw new Error(`${r.status} for ${req[0]} ${req[1]} ${String(req[2]).slice(0, 300)}: ${r.body}`);
        expect(errorOf(r)).toMatch(/^\S.*: \S/);
      }),
      { numRuns: 400 },
    );
    expect(checked).toBeUndefined();
    expect(agent.alive()).toBe(true);
  });

  it('cut off the client that never finished its body, with a 408, while serving everyone else', async () => {
    const answer = await Promise.race([stalled.answer, new Promise<string>((_, reject) => setTimeout(() => reject(new Error('the stalled connection is still open')), 20_000))]);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer).toMatch(/"error":"body: expected the whole body within 10 s \(got 11 bytes\)"/);
  });

  it('is the same process afterwards, and everything still works: status, routing, the dead-man switch, warm timers', async () => {
    expect(agent.alive()).toBe(true);
    const status = await agent.call<{ pid: number; weights: Record<string, number>; versions: unknown[]; rollout: unknown }>('GET', '/v1/status');
    expect(status).toMatchObject({ pid: agent.pid, weights: {}, versions: [], rollout: null });
    const port = await freePort();
    await agent.call('POST', '/v1/configure', { app: 'fuzz', listen: `127.0.0.1:${port}`, router: ROUTER });
    await agent.call('POST', '/v1/versions/ensure', { spec: spec('v1', releaseDir), count: 1 });
    await agent.call('POST', '/v1/weights', { weights: { v1: 100 } });
    const res = await fetch(`http://127.0.0.1:${port}/`);
    expect(await res.text()).toMatch(/^hello from v1 on \d+$/);
    // The dead-man switch: a rollout whose driver never beats gets its traffic back on stable.
    await agent.call('POST', '/v1/versions/ensure', { spec: spec('v2', releaseDir), count: 1 });
    // Weights first: on a loaded machine the dead-man's second can pass between two calls.
    await agent.call('POST', '/v1/weights', { weights: { v1: 50, v2: 50 } });
    await agent.call('POST', '/v1/rollout/begin', { id: 'fuzz-1', stable: 'v1', candidate: 'v2', deadmanMs: 1000 });
    const aborted = await eventually(async () => {
      const s = await agent.call<{ weights: Record<string, number>; rollout: { state: string } }>('GET', '/v1/status');
      return s.rollout.state === 'aborted_by_deadman' ? s : undefined;
    }, 'the dead-man switch');
    expect(aborted.weights).toEqual({ v1: 100 });
    // A warm timer: v2, without traffic, stops when its time is up.
    await agent.call('POST', '/v1/versions/keep-warm', { version: 'v2', untilMs: Date.now() + 300 });
    await eventually(async () => {
      const s = await agent.call<{ versions: { version: string }[] }>('GET', '/v1/status');
      return s.versions.some((v) => v.version === 'v2') ? undefined : true;
    }, 'v2 to stop when its warm time is up');
    expect(agent.alive()).toBe(true);
    expect((await agent.call<{ pid: number }>('GET', '/v1/status')).pid).toBe(agent.pid);
  });
});

// ---------------------------------------------------------------- random malformed requests

/** What the spec says is valid (written apart from the agent's schemas, so the property can catch them being too lax). */
const isVersion = (v: unknown) => typeof v === 'string' && /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/.test(v);
const isWholeIn = (min: number, max: number) => (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

/** JSON values for which `valid` is false (after a JSON round trip, which is what the agent sees). */
function invalid(valid: (v: unknown) => boolean): fc.Arbitrary<unknown> {
  const any = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: -1e6, max: 1e16 }), fc.string({ maxLength: 80 }), fc.constantFrom('', '..', '/etc/passwd', 'v1\n', 'a'.repeat(70), -1, 0, 1.5, 2 ** 31, 1e300));
  return any.filter((v) => v !== undefined && !valid(JSON.parse(JSON.stringify(v)) as unknown));
}

type Body = Record<string, unknown>;

/** A valid body of an endpoint and its fields, each with what makes it invalid. */
interface Target {
  path: string;
  base: () => Body;
  fields: [string[], fc.Arbitrary<unknown>][];
}

const TARGETS: Target[] = [
  {
    path: '/v1/weights',
    base: () => ({ weights: { v1: 100 }, reason: 'rollout' }),
    fields: [
      [['weights', 'v1'], invalid(isWholeIn(0, 100))],
      [['weights'], invalid((v) => v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0)],
      [['reason'], invalid((v) => typeof v === 'string' && v.length <= 200 && [...v].every((ch) => ch >= ' ' && ch !== '\x7f'))],
    ],
  },
  {
    path: '/v1/versions/keep-warm',
    base: () => ({ version: 'v1', untilMs: Date.now() + 60_000 }),
    fields: [
      [['version'], invalid(isVersion)],
      [['untilMs'], invalid((v) => typeof v === 'number' && Number.isInteger(v) && Math.abs(v - Date.now()) < 365 * DAY_MS)],
    ],
  },
  {
    path: '/v1/versions/ensure',
    base: () => ({ spec: spec('v9'), count: 1 }),
    fields: [
      [['count'], invalid(isWholeIn(0, 64))],
      [['spec', 'version'], invalid(isVersion)],
      [['spec', 'releaseDir'], invalid((v) => typeof v === 'string' && v.startsWith('/') && !/\/\.\.?(\/|$)|\/\/|\0/.test(v) && (v === '/' || !v.endsWith('/.')))],
      [['spec', 'argv'], invalid((v) => Array.isArray(v) && v.length > 0 && v.every((a) => typeof a === 'string' && !a.includes('\0')) && v[0] !== '')],
      [['spec', 'env'], invalid((v) => v !== null && typeof v === 'object' && !Array.isArray(v) && Object.entries(v).every(([k, x]) => /^[A-Za-z_]\w*$/.test(k) && typeof x === 'string'))],
      [['spec', 'readiness', 'intervalMs'], invalid(isWholeIn(10, MAX_TIMER_MS))],
      [['spec', 'readiness', 'timeoutMs'], invalid(isWholeIn(1, MAX_TIMER_MS))],
      [['spec', 'readiness', 'path'], invalid((v) => typeof v === 'string' && /^\/[!-~]*$/.test(v) && v.length <= 2048)],
      [['spec', 'stopTimeoutMs'], invalid(isWholeIn(1, MAX_TIMER_MS))],
    ],
  },
  {
    path: '/v1/rollout/begin',
    base: () => ({ id: 'dep_1', stable: null, candidate: 'v2', deadmanMs: 30_000 }),
    fields: [
      [['id'], invalid((v) => typeof v === 'string' && /^[A-Za-z0-9][A-Za-z0-9._:-]{0,79}$/.test(v))],
      [['candidate'], invalid(isVersion)],
      [['deadmanMs'], invalid(isWholeIn(1000, MAX_TIMER_MS))],
    ],
  },
  {
    path: '/v1/configure',
    base: () => ({ app: 'fuzz', listen: '127.0.0.1:1', router: { ...ROUTER } }),
    fields: [
      [['listen'], invalid((v) => typeof v === 'string' && /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):(\d{1,5})$/.test(v) && Number(v.split(':').pop()) >= 1 && Number(v.split(':').pop()) <= 65535)],
      [['router', 'bodyLimit'], invalid(isWholeIn(1, Number.MAX_SAFE_INTEGER))],
      [['router', 'maxConnections'], invalid(isWholeIn(1, 1_000_000))],
      [['router', 'ejectAfter'], invalid((v) => v === false || isWholeIn(1, 1000)(v))],
    ],
  },
];

function setPath(body: Body, path: string[], value: unknown): Body {
  const copy = structuredClone(body);
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Body;
  node[path[path.length - 1]!] = value;
  return copy;
}

function deletePath(body: Body, path: string[]): Body {
  const copy = structuredClone(body);
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Body;
  delete node[path[path.length - 1]!];
  return copy;
}

/** Breaks a valid body one way: a field gets a bad value, a required field goes, an unknown key comes, or the body is no object at all. */
function malformedBody(t: Target): fc.Arbitrary<Req> {
  // `reason` is optional, and the router settings have defaults (as in the config file).
  const required = t.fields.filter(([path]) => path[0] !== 'reason' && path[0] !== 'router');
  return fc.oneof(
    fc.constantFrom(...t.fields).chain(([path, bad]) => bad.map((v) => post(t.path, setPath(t.base(), path, v)))),
    fc.constantFrom(...required).map(([path]) => post(t.path, deletePath(t.base(), path))),
    fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !(k in t.base())).map((k) => post(t.path, { ...t.base(), [k]: 1 })),
    fc.oneof(fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }), fc.string(), fc.integer(), fc.constant(null)).map((v) => post(t.path, JSON.stringify(v))),
  );
}

function malformedQuery(): fc.Arbitrary<Req> {
  const bad = fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('', '1e3', '-1', '0x10', '9'.repeat(12), ' 1000'));
  return fc.oneof(
    bad.filter((w) => !/^\d{1,6}$/.test(w) || Number(w) < 1000 || Number(w) > 300_000).map((w): Req => ['GET', `/v1/stats?version=v1&windowMs=${encodeURIComponent(w)}`, undefined]),
    bad.filter((v) => !isVersion(v)).map((v): Req => ['GET', `/v1/probe?version=${encodeURIComponent(v)}`, undefined]),
    fc.constantFrom('/v1/status', '/v1/weights', '/v1/instances').chain((p) => fc.string({ minLength: 1, maxLength: 8 }).filter((k) => k !== 'version').map((k): Req => ['GET', `${p}?${encodeURIComponent(k)}=1`, undefined])),
  );
}

function malformed(): fc.Arbitrary<Req> {
  return fc.oneof(...TARGETS.map(malformedBody), malformedQuery());
}
