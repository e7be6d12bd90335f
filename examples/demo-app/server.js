#!/usr/bin/env node
// A tiny app for shipgate's demo, tests and benchmarks. No dependencies.
//
// Reads PORT and SHIPGATE_VERSION. Fault modes come from the environment or from
// faults.json next to this file (a release can carry its own faults):
//   errorRate    0..1   share of requests (not /health) answered 500, deterministically: every 1/rate-th
//   latencyMs    n      added to every request (not /health)
//   crashOnStart true   exit(1) before listening
//   slowStartMs  n      wait before listening
//   crashAfterMs n      exit(1) n ms after listening (every start: a crash loop)
// With DEMO_CONTROL=1, POST /__faults with a JSON body changes them at run time.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';

const version = process.env.SHIPGATE_VERSION ?? 'dev';
const port = Number(process.env.PORT ?? 3000);

function fileFaults() {
  try {
    return JSON.parse(readFileSync(new URL('./faults.json', import.meta.url), 'utf8'));
  } catch {
    return {};
  }
}

const faults = {
  errorRate: Number(process.env.ERROR_RATE ?? 0),
  latencyMs: Number(process.env.LATENCY_MS ?? 0),
  crashOnStart: process.env.CRASH_ON_START === '1',
  slowStartMs: Number(process.env.SLOW_START_MS ?? 0),
  crashAfterMs: Number(process.env.CRASH_AFTER_MS ?? 0),
  ...fileFaults(),
};

let served = 0;
function shouldFail() {
  if (!(faults.errorRate > 0)) return false;
  served += 1;
  return served % Math.max(1, Math.round(1 / faults.errorRate)) === 0;
}

function page() {
  return `<!doctype html><title>demo ${version}</title><h1>demo app</h1><p>version <b>${version}</b> on port ${port}</p>\n`;
}

function handle(req, res) {
  const headers = { 'x-demo-version': version };
  if (req.url === '/health') {
    res.writeHead(200, { ...headers, 'content-type': 'application/json' });
    return res.end(JSON.stringify({ status: 'healthy', version }));
  }
  if (req.method === 'POST' && req.url === '/__faults' && process.env.DEMO_CONTROL === '1') {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      Object.assign(faults, JSON.parse(body || '{}'));
      served = 0;
      res.writeHead(200, { ...headers, 'content-type': 'application/json' });
      res.end(JSON.stringify(faults));
    });
    return;
  }
  const answer = () => {
    if (shouldFail()) {
      res.writeHead(500, { ...headers, 'content-type': 'text/plain' });
      return res.end(`injected failure in ${version}\n`);
    }
    if (req.url?.startsWith('/api')) {
      res.writeHead(200, { ...headers, 'content-type': 'application/json' });
      return res.end(JSON.stringify({ version }));
    }
    res.writeHead(200, { ...headers, 'content-type': 'text/html' });
    res.end(page());
  };
  if (faults.latencyMs > 0) setTimeout(answer, faults.latencyMs);
  else answer();
}

if (faults.crashOnStart) {
  console.error(`demo ${version}: crashing on start (crashOnStart)`);
  process.exit(1);
}

setTimeout(() => {
  const server = createServer(handle);
  server.keepAliveTimeout = 65_000;
  server.listen(port, '127.0.0.1', () => {
    console.log(`demo ${version} listening on ${port}`);
    if (faults.crashAfterMs > 0) {
      setTimeout(() => {
        console.error(`demo ${version}: crashing ${faults.crashAfterMs}ms after listening (crashAfterMs)`);
        process.exit(1);
      }, faults.crashAfterMs);
    }
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}, faults.slowStartMs);
