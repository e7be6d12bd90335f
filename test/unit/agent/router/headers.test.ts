import { describe, expect, it } from 'vitest';
import { cookieValue, headerLines, pushForwarded, readRequestHeaders, responseHeaderLines, type RequestHeaderInfo } from '../../../../src/agent/router/headers.js';

function info(): RequestHeaderInfo {
  return { headers: [], host: '', forwardedFor: '', cookie: '', version: '' };
}

describe('readRequestHeaders', () => {
  it('drops hop-by-hop headers and the ones Connection names, keeps the rest (the chunked framing too) in order and case', () => {
    const out = info();
    readRequestHeaders(
      ['Host', 'app.test', 'Connection', 'keep-alive, X-Private', 'X-Private', 'secret', 'Keep-Alive', 'timeout=5', 'TE', 'trailers', 'Trailer', 'X-T', 'Proxy-Authorization', 'Basic x', 'Proxy-Connection', 'keep-alive', 'Upgrade', 'h2c', 'Expect', '100-continue', 'Accept', '*/*', 'X-Custom', '1'],
      out,
      false,
    );
    expect(out.headers).toEqual(['Host', 'app.test', 'Trailer', 'X-T', 'Accept', '*/*', 'X-Custom', '1']);
    expect(out.host).toBe('app.test');
  });

  it('keeps Connection and Upgrade for upgrade requests', () => {
    const out = info();
    readRequestHeaders(['Host', 'h', 'Connection', 'Upgrade', 'Upgrade', 'websocket', 'Sec-WebSocket-Key', 'k'], out, true);
    expect(out.headers).toEqual(['Host', 'h', 'Connection', 'Upgrade', 'Upgrade', 'websocket', 'Sec-WebSocket-Key', 'k']);
  });

  it('picks out cookies, the version header and incoming forwarding headers; keeps the body framing', () => {
    const out = info();
    readRequestHeaders(
      ['cookie', 'a=1', 'Cookie', 'sg=v2', 'X-Shipgate-Version', 'v1.2.3', 'Transfer-Encoding', 'chunked', 'X-Forwarded-For', '10.0.0.1', 'x-forwarded-for', '10.0.0.2', 'X-Forwarded-Proto', 'https', 'X-Forwarded-Host', 'evil'],
      out,
      false,
    );
    expect(out).toMatchObject({ cookie: 'a=1; sg=v2', version: 'v1.2.3', forwardedFor: '10.0.0.1, 10.0.0.2' });
    expect(out.headers).toEqual(['cookie', 'a=1', 'Cookie', 'sg=v2', 'X-Shipgate-Version', 'v1.2.3', 'Transfer-Encoding', 'chunked']);
  });

  it('never lets a Connection header remove the framing of a body that passes through', () => {
    const out = info();
    readRequestHeaders(['Host', 'h', 'Connection', 'Content-Length, Transfer-Encoding, Host, X-A', 'Content-Length', '3', 'X-A', '1'], out, false);
    expect(out.headers).toEqual(['Host', 'h', 'Content-Length', '3']);
  });

  it('appends this hop to X-Forwarded-For and sets Proto and Host', () => {
    const out = info();
    readRequestHeaders(['Host', 'shop.test:8080', 'X-Forwarded-For', '203.0.113.7'], out, false);
    pushForwarded(out, '127.0.0.1', 'http');
    expect(out.headers).toEqual(['Host', 'shop.test:8080', 'x-forwarded-for', '203.0.113.7, 127.0.0.1', 'x-forwarded-proto', 'http', 'x-forwarded-host', 'shop.test:8080']);
  });
});

describe('responseHeaderLines', () => {
  it('drops hop-by-hop headers and the ones Connection names; keeps the framing, which passes through unchanged', () => {
    const lines = responseHeaderLines(
      ['Content-Type', 'text/plain', 'Connection', 'keep-alive, X-Secret', 'X-Secret', '1', 'Keep-Alive', 'timeout=5', 'Transfer-Encoding', 'chunked', 'Upgrade', 'h2c', 'Proxy-Connection', 'x', 'Trailer', 'X-Sum', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2'],
      false,
    );
    expect(lines).toBe('Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n');
  });

  it('drops Content-Length when Transfer-Encoding frames the body', () => {
    expect(responseHeaderLines(['Content-Length', '2', 'X-A', '1'], false)).toBe('Content-Length: 2\r\nX-A: 1\r\n');
    expect(responseHeaderLines(['Content-Length', '2', 'Transfer-Encoding', 'chunked'], true)).toBe('Transfer-Encoding: chunked\r\n');
  });
});

describe('headerLines', () => {
  it('writes each pair as a header line', () => {
    expect(headerLines(['Host', 'a', 'X-B', 'b c'])).toBe('Host: a\r\nX-B: b c\r\n');
    expect(headerLines([])).toBe('');
  });
});

describe('cookieValue', () => {
  it('finds a cookie by exact name among others', () => {
    expect(cookieValue('a=1; sg=v1.2.3; b=2', 'sg')).toBe('v1.2.3');
    expect(cookieValue('sg=v1', 'sg')).toBe('v1');
    expect(cookieValue('xsg=v9; sg=v1', 'sg')).toBe('v1');
    expect(cookieValue('sgx=v9', 'sg')).toBe('');
    expect(cookieValue('', 'sg')).toBe('');
    expect(cookieValue('a=sg=v9', 'sg')).toBe('');
  });
});
