import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { displayUrl, fetchHttp, splitCredentials } from '../../../src/runtime/http.js';

const basic = (user: string, pw: string): string => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;

describe('splitCredentials', () => {
  it('leaves a URL without credentials alone', () => {
    const headers = { accept: 'application/json' };
    const r = splitCredentials('https://example.com/health?x=1', headers);
    expect(r).toEqual({ url: 'https://example.com/health?x=1', headers });
  });

  it('moves user:password into a Basic Authorization header, decoded', () => {
    expect(splitCredentials('https://ops:p%40ss%3Aw0rd@example.com:8443/health?x=1#f')).toEqual({
      url: 'https://example.com:8443/health?x=1#f',
      headers: { authorization: basic('ops', 'p@ss:w0rd') },
    });
  });

  it('handles a user name alone (a token as user) and keeps other headers', () => {
    expect(splitCredentials('https://tok_abc@example.com/', { 'x-trace': '1' })).toEqual({
      url: 'https://example.com/',
      headers: { 'x-trace': '1', authorization: basic('tok_abc', '') },
    });
  });

  it('keeps an existing Authorization header (any case) but still strips the credentials from the URL', () => {
    const headers = { Authorization: 'Bearer abc' };
    expect(splitCredentials('https://u:p@example.com/x', headers)).toEqual({ url: 'https://example.com/x', headers: { Authorization: 'Bearer abc' } });
  });

  it('returns an unparseable URL unchanged', () => {
    expect(splitCredentials('not a url', {})).toEqual({ url: 'not a url', headers: {} });
  });
});

describe('displayUrl', () => {
  it('drops credentials, query and fragment', () => {
    expect(displayUrl('https://u:p@example.com:8443/a/b?token=x#y')).toBe('https://example.com:8443/a/b');
    expect(displayUrl('garbage')).toBe('garbage');
  });
});

describe('fetchHttp', () => {
  it('a timeout longer than a Node timer holds (30 days) does not fire at once', async () => {
    const server = createServer((_req, res) => setTimeout(() => res.end('late but fine'), 200));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const res = await fetchHttp({ url: `http://127.0.0.1:${port}/`, timeoutMs: 30 * 86_400_000 });
      expect([res.status, res.body]).toEqual([200, 'late but fine']);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
