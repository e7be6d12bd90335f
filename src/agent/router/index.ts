/**
 * The local agent's weighted reverse proxy.
 *
 *   const router = createRouter({ ...config.router, clock });
 *   router.setTable({ weights: { 'v1.2.0': 95, 'v1.3.0': 5 }, backends });
 *   router.server.listen(3000, '127.0.0.1');        // or .listen(handle) from the previous agent
 *   router.stats('v1.3.0', 60_000);                 // feeds analysis and `shipgate status`
 *   await router.drain(instanceId, stopTimeoutMs);  // before stopping an instance
 *   await router.shutdown({ timeoutMs: 30_000 });   // after handing the listener to a successor
 *
 * Files: router.ts (wiring, shutdown), client.ts (a client connection),
 * exchange.ts (one request), upgrade.ts (WebSocket tunnel), http1.ts +
 * chunked.ts (message framing), choose.ts + routing.ts + weighted.ts (which
 * version and instance), table.ts + backend.ts + upstream.ts (instances,
 * connections, drain), headers.ts, errors.ts, metrics.ts + histogram.ts,
 * context.ts (timeouts, graceful shutdown).
 */
export { createRouter, DEFAULT_IDLE_GRACE_MS, type CreateRouterOptions, type Router } from './router.js';
export { DEFAULT_TIMEOUTS, type RouterTimeouts } from './context.js';
export { DEFAULT_BUCKET_MS, DEFAULT_RETENTION_MS, type MetricsOptions } from './metrics.js';
export { ERROR_HEADER, ErrorCode } from './errors.js';
export { VERSION_HEADER } from './headers.js';
