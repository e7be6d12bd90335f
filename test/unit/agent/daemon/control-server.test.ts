import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createControlServer } from '../../../../src/agent/daemon/control-server.js';

/** The control API answers bad requests with a status and a message; it never crashes. */
let close: (() => Promise<void>) | null = null;
afterEach(async () => close?.());

function raw(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.end(request));
    let out = '';
    s.on('data', (d: Buffer) => (out += d.toString()));
    s.on('end', () => resolve(out));
    s.on('error', reject);
  });
}

async function start(token?: string): Promise<number> {
  const server = createControlServer({ 'GET /v1/status': () => ({ ok: true }) }, { token, log: () => undefined });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  close = () => new Promise<void>((r) => server.close(() => r()));
  return (server.address() as AddressInfo).port;
}

describe('control server', () => {
  it('answers a malformed request target with 400 and keeps serving', async () => {
    const port = await start();
    expect(await raw(port, 'GET //[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    expect(await raw(port, 'GET /v1/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 200/);
  });

  it('checks the token before anything else, also for unknown paths', async () => {
    const port = await start('a-long-enough-secret-token');
    expect(await raw(port, 'GET //[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 401/);
    expect(await raw(port, 'GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 401/);
    const ok = await raw(port, 'GET /v1/status HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a-long-enough-secret-token\r\nConnection: close\r\n\r\n');
    expect(ok).toMatch(/^HTTP\/1\.1 200/);
  });
});
