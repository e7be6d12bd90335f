#!/usr/bin/env node
// @ts-check
/**
 * The BUILT shipgate router (dist/agent/router) in its own process, for the
 * router benchmark: one version at weight 100 with one backend (the app at
 * UPSTREAM_PORT), default router settings. Prints `{"port":N}` once listening.
 *
 *   node bench/lib/router-proxy.js <upstream port>
 */
import { distModule } from './harness.js';

const upstreamPort = Number(process.argv[2]);
if (!Number.isInteger(upstreamPort) || upstreamPort <= 0) {
  process.stderr.write('usage: node bench/lib/router-proxy.js <upstream port>\n');
  process.exit(2);
}
const { createRouter } = /** @type {typeof import('../../dist/agent/router/index.js')} */ (await import(distModule('agent/router/index.js')));
const { DEFAULT_BODY_LIMIT } = /** @type {typeof import('../../dist/config/schema/local.js')} */ (await import(distModule('config/schema/local.js')));

const router = createRouter({ stickyCookie: false, versionHeader: true, bodyLimit: DEFAULT_BODY_LIMIT, retry: true });
router.setTable({ weights: { 'v1.0.0': 100 }, backends: [{ id: 'v1.0.0-1', version: 'v1.0.0', host: '127.0.0.1', port: upstreamPort, ready: true, draining: false }] });
router.server.listen(0, '127.0.0.1', () => {
  const address = /** @type {import('node:net').AddressInfo} */ (router.server.address());
  process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
});
process.on('SIGTERM', () => void router.close().then(() => process.exit(0)));
