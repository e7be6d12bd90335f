// @ts-check
/**
 * A Node load generator that records every response (the idea of
 * src/demo/traffic.ts, in plain JS): `connections` keep-alive connections
 * (node:http Agent), each sending one request at a time, either paced on a
 * fixed schedule so that the total is `rps` requests per second, or back to
 * back (`rps: null`). Every
 * response becomes a sample with its start and end time (Date.now(), ms), its
 * status and the app's `x-demo-version` header; a request that got no answer
 * records the socket error's kind, named like wrk's (connect, read, write, timeout).
 */
import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

const REQUEST_TIMEOUT_MS = 2000; // wrk's default --timeout
const USER_AGENT = 'shipgate-bench';
/** A paced connection that fell behind its schedule sends back to back for at most this long. */
const MAX_CATCH_UP_MS = 250;

/** @typedef {'connect' | 'read' | 'write' | 'timeout'} SocketErrorKind */
/** @typedef {{ start: number, end: number, status: number | null, version: string | null, error: SocketErrorKind | null }} Sample */
/** @typedef {{ requests: number, non2xx: number, connect: number, read: number, write: number, timeout: number, failed: number }} Counts */

/**
 * @param {{ url: string, connections: number, rps: number | null }} o
 * @returns {{ samples: Sample[], startedAt: number, stop: () => Promise<{ startedAt: number, stoppedAt: number }> }}
 */
export function startTraffic({ url, connections, rps }) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  /** @type {Sample[]} */
  const samples = [];
  const gapMs = rps === null ? 0 : (1000 * connections) / rps;
  const startedAt = Date.now();
  let running = true;
  const loop = async (/** @type {number} */ offsetMs) => {
    let next = Date.now() + offsetMs; // when this connection's next request is due
    while (running) {
      const wait = next - Date.now();
      if (wait > 0) await sleep(wait);
      if (!running) break;
      const sample = await one(url, agent);
      samples.push(sample);
      // Paced: a fixed schedule, so that a slow answer is caught up on (never by more than MAX_CATCH_UP_MS).
      next = Math.max(next + gapMs, Date.now() - MAX_CATCH_UP_MS);
      if (rps === null && sample.error === 'connect') await sleep(1); // nothing listens: do not spin
    }
  };
  const loops = Array.from({ length: connections }, (_, i) => loop((gapMs / connections) * i));
  return {
    samples,
    startedAt,
    stop: async () => {
      running = false;
      const stoppedAt = Date.now();
      await Promise.all(loops);
      agent.destroy();
      return { startedAt, stoppedAt };
    },
  };
}

/**
 * One GET; never rejects.
 * @param {string} url
 * @param {Agent} agent
 * @returns {Promise<Sample>}
 */
function one(url, agent) {
  const start = Date.now();
  return new Promise((resolve) => {
    let sent = false;
    const req = request(url, { agent, headers: { 'user-agent': USER_AGENT }, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      res.resume();
      res.on('end', () => resolve({ start, end: Date.now(), status: res.statusCode ?? 0, version: /** @type {string | undefined} */ (res.headers['x-demo-version']) ?? null, error: null }));
      res.on('error', () => resolve({ start, end: Date.now(), status: null, version: null, error: 'read' }));
    });
    req.on('finish', () => (sent = true));
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (err) => resolve({ start, end: Date.now(), status: null, version: null, error: errorKind(/** @type {NodeJS.ErrnoException} */ (err), sent) }));
    req.end();
  });
}

/** @param {NodeJS.ErrnoException} err @param {boolean} sent @returns {SocketErrorKind} */
function errorKind(err, sent) {
  if (err.code === 'ETIMEDOUT') return 'timeout';
  if (err.code === 'ECONNREFUSED' || err.code === 'EADDRNOTAVAIL') return 'connect';
  if (err.code === 'EPIPE' || !sent) return 'write';
  return 'read';
}

/** A sample is a success when it got a 2xx or 3xx answer. @param {Sample} s */
export function isOk(s) {
  return s.status !== null && s.status >= 200 && s.status < 400;
}

/**
 * Counts of the samples that started in [from, to] (all by default), as wrk
 * counts them: `requests` are answers of any status; a request without an
 * answer is a socket error of its kind; `failed` = non-2xx/3xx + socket errors.
 * @param {readonly Sample[]} samples
 * @param {number} [from]
 * @param {number} [to]
 * @returns {Counts}
 */
export function countSamples(samples, from = -Infinity, to = Infinity) {
  /** @type {Counts} */
  const c = { requests: 0, non2xx: 0, connect: 0, read: 0, write: 0, timeout: 0, failed: 0 };
  for (const s of samples) {
    if (s.start < from || s.start > to) continue;
    if (s.error) c[s.error]++;
    else c.requests++;
    if (!s.error && !isOk(s)) c.non2xx++;
  }
  c.failed = c.non2xx + c.connect + c.read + c.write + c.timeout;
  return c;
}
