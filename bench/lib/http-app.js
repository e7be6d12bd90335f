#!/usr/bin/env node
// @ts-check
/**
 * The app the router benchmark measures against: a minimal Node HTTP server
 * answering every request with a small 200 body, keep-alive on. Run as its own
 * process; prints `{"port":N}` once listening on 127.0.0.1 (port 0 = any).
 *
 *   node bench/lib/http-app.js [port]
 */
import { createServer } from 'node:http';

const BODY = Buffer.from('hello from the app\n');
const HEADERS = { 'content-type': 'text/plain', 'content-length': String(BODY.length) };

const server = createServer((_req, res) => {
  res.writeHead(200, HEADERS);
  res.end(BODY);
});
// Longer than any run: the load generator and proxies keep their connections.
server.keepAliveTimeout = 120_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
