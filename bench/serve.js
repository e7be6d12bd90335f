#!/usr/bin/env node
// @ts-check
/**
 * serve: p95 of the monitoring API over 100,000 deployments, next to a bare SELECT count(*).
 *
 * How: a store (SQLite, and PostgreSQL when it answers) gets 100,000 deployments of one
 * app in two environments (bench/lib/deployments.js) and the stage events of the newest
 * 2,000; `shipgate serve` (built dist/) runs in this process on a loopback port. Each round
 * asks, in turn: a bare `SELECT COUNT(*)` through the store driver (the floor), GET
 * /api/health (the HTTP floor), stats, metrics?format=csv and /metrics, each checked
 * against the rows inserted. p95 (nearest rank) over N rounds after a warm-up.
 * Then 100 SSE clients listen on /api/events while 50 events are journaled: each
 * client must get every event once, in order; the delivery latency (append to
 * receipt) is reported. Target: p95 <= 50 ms for stats, csv and /metrics.
 *
 *   npm run bench -- serve [--json] [--runs N]
 */
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { TextDecoderStream } from 'node:stream/web';
import { makeDeployments } from './lib/deployments.js';
import { check, distModule, log, makeTempDir, onCleanup, runBench } from './lib/harness.js';
import { createBenchDatabase } from './lib/pg.js';
import { formatTable, passText } from './lib/table.js';

/** @typedef {import('../dist/store/index.js').NewDeployment} NewDeployment */
/** @typedef {import('../dist/store/index.js').SqlStore} SqlStore */

const DEFAULT_RUNS = 200;
const TARGET_P95_MS = 50;
const APP = 'bench';
const ENVIRONMENTS = ['production', 'staging'];
const ROWS = 100_000;
const EVENTS_OF_NEWEST = 2_000;
const CSV_LIMIT = 100;
const SSE_CLIENTS = 100;
const SSE_EVENTS = 50;
const TOKEN = 'bench-serve-token-0123456789abcdef';

/** Nearest-rank percentile, rounded to 0.1 ms. */
function pct(/** @type {number[]} */ samples, /** @type {number} */ q) {
  const sorted = [...samples].sort((a, b) => a - b);
  return Math.round(/** @type {number} */ (sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]) * 10) / 10;
}

/** @param {SqlStore} store @param {NewDeployment[]} rows */
async function populate(store, rows) {
  const started = performance.now();
  await store.insertDeployments(rows);
  for (const r of rows.slice(-EVENTS_OF_NEWEST)) {
    for (const stage of ['build', 'migrate', 'deploy']) {
      await store.appendEvent({ deploymentId: r.id, at: r.startedAt, type: 'stage:finished', stage, step: null, data: { deploymentId: r.id, stage, durationMs: 1000 + (r.id.charCodeAt(25) % 50) * 100 } });
    }
  }
  log(`  ${store.dialect}: ${ROWS.toLocaleString('en')} deployments and ${(EVENTS_OF_NEWEST * 3).toLocaleString('en')} events in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/**
 * The timed requests, each checked against the inserted rows.
 * @param {string} base @param {SqlStore} store @param {NewDeployment[]} rows
 * @returns {{ key: string, label: string, target: number | null, once: () => Promise<void> }[]}
 */
function measures(base, store, rows) {
  const headers = { authorization: `Bearer ${TOKEN}` };
  const prod = rows.filter((r) => r.environment === 'production');
  const ok = prod.filter((r) => r.status === 'succeeded').length;
  const newest = /** @type {NewDeployment} */ (prod[prod.length - 1]);
  const get = async (/** @type {string} */ path) => {
    const res = await fetch(`${base}${path}`, { headers });
    check(res.status === 200, `GET ${path} answered ${res.status}`);
    return res.text();
  };
  return [
    { key: 'select_count', label: 'bare SELECT count(*) (driver)', target: null, once: async () => check((await store.countDeployments(APP)) === ROWS, 'count(*) is wrong') },
    { key: 'health', label: 'GET /api/health (HTTP floor)', target: null, once: async () => void (await get('/api/health')) },
    {
      key: 'stats', label: 'stats (environment=production)', target: TARGET_P95_MS,
      once: async () => {
        const data = JSON.parse(await get('/api/monitoring/deployment?action=stats&environment=production')).data;
        check(data.deploymentCount === prod.length && data.successfulDeployments === ok, `stats: ${data.deploymentCount}/${data.successfulDeployments}, expected ${prod.length}/${ok}`);
      },
    },
    {
      key: 'metrics_csv', label: `metrics?format=csv (limit ${CSV_LIMIT})`, target: TARGET_P95_MS,
      once: async () => {
        const lines = (await get(`/api/monitoring/deployment?action=metrics&format=csv&environment=production&limit=${CSV_LIMIT}`)).trimEnd().split('\r\n');
        check(lines.length === CSV_LIMIT + 1 && lines[1]?.includes(newest.id), `metrics csv: ${lines.length} lines, first row ${lines[1]}`);
      },
    },
    {
      key: 'prometheus', label: '/metrics (with DORA)', target: TARGET_P95_MS,
      once: async () => {
        const text = await get('/metrics');
        const total = [...text.matchAll(/^shipgate_deployments_total\{[^}]*\} (\d+)$/gm)].reduce((s, m) => s + Number(m[1]), 0);
        check(total === ROWS && text.includes('shipgate_dora_change_failure_ratio{environment="production"}'), `/metrics: deployments_total sums to ${total}`);
      },
    },
  ];
}

/**
 * 100 SSE clients; SSE_EVENTS events appended one by one; every client must get each once, in order.
 * @param {string} base @param {SqlStore} store @param {NewDeployment} target
 */
async function sseDelivery(base, store, target) {
  const controller = new AbortController();
  /** @type {Map<number, number>} seq -> when appended */
  const appended = new Map();
  /** @type {number[]} */
  const latencies = [];
  /** @type {Promise<number[]>[]} */
  const clients = [];
  let ready = 0;
  for (let i = 0; i < SSE_CLIENTS; i++) {
    const res = await fetch(`${base}/api/events`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: controller.signal });
    const reader = /** @type {ReadableStream<Uint8Array>} */ (res.body).pipeThrough(new TextDecoderStream()).getReader();
    ready++;
    clients.push((async () => {
      /** @type {number[]} */
      const seqs = [];
      let buffer = '';
      while (seqs.length < SSE_EVENTS) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        for (let cut = buffer.indexOf('\n\n'); cut >= 0; cut = buffer.indexOf('\n\n')) {
          const m = /^id: (\d+)$/m.exec(buffer.slice(0, cut));
          buffer = buffer.slice(cut + 2);
          if (!m) continue;
          seqs.push(Number(m[1]));
          latencies.push(performance.now() - /** @type {number} */ (appended.get(Number(m[1]))));
        }
      }
      return seqs;
    })());
  }
  check(ready === SSE_CLIENTS, 'not every SSE client connected');
  for (let i = 0; i < SSE_EVENTS; i++) {
    const at = performance.now();
    const seq = await store.appendEvent({ deploymentId: target.id, at: new Date().toISOString(), type: 'deploy:warning', stage: null, step: null, data: { deploymentId: target.id, message: `bench ${i}` } });
    appended.set(seq, at);
    await new Promise((r) => setTimeout(r, 20));
  }
  const got = await Promise.all(clients);
  controller.abort();
  const want = [...appended.keys()];
  const complete = got.filter((seqs) => JSON.stringify(seqs) === JSON.stringify(want)).length;
  check(complete === SSE_CLIENTS, `SSE: ${complete} of ${SSE_CLIENTS} clients got every event once, in order`);
  return { clients: SSE_CLIENTS, events: SSE_EVENTS, deliveries: latencies.length, p50: pct(latencies, 0.5), p95: pct(latencies, 0.95), max: pct(latencies, 1) };
}

/** @param {string} url @param {string} label @param {number} runs */
async function benchStore(url, label, runs) {
  const dir = makeTempDir(`serve-${label}`);
  const { openSqlStore } = /** @type {typeof import('../dist/store/index.js')} */ (await import(distModule('store/index.js')));
  const { newDeploymentId } = /** @type {typeof import('../dist/pipeline/ids.js')} */ (await import(distModule('pipeline/ids.js')));
  const { createServer } = /** @type {typeof import('../dist/serve/server.js')} */ (await import(distModule('serve/server.js')));
  const { Masker } = /** @type {typeof import('../dist/runtime/secrets.js')} */ (await import(distModule('runtime/secrets.js')));
  const rows = makeDeployments({ app: APP, environments: ENVIRONMENTS, count: ROWS, endMs: Date.now() - 3_600_000, newId: newDeploymentId });
  const store = await openSqlStore(url, { root: dir });
  onCleanup(() => store.close());
  await populate(store, rows);
  const started = performance.now();
  const server = await createServer({ store, app: APP, token: TOKEN, masker: new Masker(), rollbackWindowMs: 3_600_000, version: 'bench' });
  log(`  ${label}: server up (journal read) in ${Math.round(performance.now() - started)} ms`);
  onCleanup(() => server.close());
  const base = await server.http.listen({ host: '127.0.0.1', port: 0 });
  const list = measures(base, store, rows);
  for (const m of list) await m.once(); // warm-up, and every answer checked once before timing
  /** @type {Map<string, number[]>} */
  const samples = new Map(list.map((m) => [m.key, []]));
  for (let round = 0; round < runs; round++) {
    for (const m of list) {
      const t = performance.now();
      await m.once();
      /** @type {number[]} */ (samples.get(m.key)).push(performance.now() - t);
    }
  }
  const sse = await sseDelivery(base, store, /** @type {NewDeployment} */ (rows[rows.length - 1]));
  return { label, rows: list.map((m) => ({ key: m.key, label: m.label, target: m.target, p50: pct(samples.get(m.key) ?? [], 0.5), p95: pct(samples.get(m.key) ?? [], 0.95) })), sse };
}

/** @type {boolean} */
let missedAny = false;

await runBench('serve', DEFAULT_RUNS, async ({ json, runs }) => {
  log(`bench serve: ${runs} rounds, ${ROWS.toLocaleString('en')} deployments, node ${process.version}, ${cpus().length} CPUs, load ${loadavg()[0]?.toFixed(2)}`);
  const stores = [{ label: 'sqlite', url: `sqlite:${join(makeTempDir('serve-store'), 'state.db')}` }];
  const pg = await createBenchDatabase();
  if ('url' in pg) stores.push({ label: 'postgres', url: pg.url });
  else log(`  postgres: skipped (${pg.skipped})`);
  const results = [];
  for (const s of stores) results.push(await benchStore(s.url, s.label, runs));
  const missed = results.flatMap((r) => r.rows.filter((x) => x.target !== null && x.p95 > x.target).map((x) => `${r.label} ${x.key}`));
  missedAny = missed.length > 0;
  if (json) {
    console.log(JSON.stringify({ bench: 'serve', node: process.version, runs, deployments: ROWS, target_p95_ms: TARGET_P95_MS, results, missed, all_pass: !missedAny }));
    return;
  }
  for (const r of results) {
    console.log(`\n${r.label}: ${ROWS.toLocaleString('en')} deployments, ${runs} rounds`);
    for (const line of formatTable(['request', 'p50 ms', 'p95 ms', 'target', 'verdict'], r.rows.map((x) => [x.label, x.p50.toFixed(1), x.p95.toFixed(1), x.target === null ? '-' : `<= ${x.target}`, x.target === null ? '' : passText(x.p95 <= x.target)]))) console.log(line);
    console.log(`SSE: ${r.sse.clients} clients x ${r.sse.events} events = ${r.sse.deliveries} deliveries, all complete and in order; latency p50 ${r.sse.p50} ms, p95 ${r.sse.p95} ms, max ${r.sse.max} ms (journal read every 250 ms)`);
  }
}, { options: {}, usage: '' });

if (process.exitCode === 0 && missedAny) process.exitCode = 1;
