import { afterEach, describe, expect, it } from 'vitest';
import { createRouter } from '../../src/agent/router/index.js';
import { backendOf, listenLocal, send, startUpstream } from '../support/upstream.js';

/** Changed settings apply to a running router (the agent's configure), without a restart. */
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('router.setOptions', () => {
  it('applies a new body limit and version-header setting to the next requests', async () => {
    const app = await startUpstream({ id: 'a' });
    const router = createRouter({ stickyCookie: false, versionHeader: true, bodyLimit: 1024, retry: true });
    cleanups.push(() => app.close(), () => router.close());
    router.setTable({ weights: { v1: 100 }, backends: [backendOf(app, 'v1')] });
    const url = await listenLocal(router.server);
    const body = 'x'.repeat(100);
    expect((await send(`${url}/`, { method: 'POST', body })).status).toBe(200);
    expect((await send(`${url}/`, { headers: { 'x-shipgate-version': 'v2' } })).status).toBe(503);

    router.setOptions({ stickyCookie: false, versionHeader: false, bodyLimit: 10, retry: true });
    expect((await send(`${url}/`, { method: 'POST', body })).status).toBe(413);
    // With the header override off, the header is ignored and the weights decide.
    expect((await send(`${url}/`, { headers: { 'x-shipgate-version': 'v2' } })).status).toBe(200);
  });
});
