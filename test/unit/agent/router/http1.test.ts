/**
 * The strict HTTP/1.x head parsers the raw-socket router frames messages with:
 * what they accept (and how they read it), and every head they refuse, with
 * the status the router answers and the reason its body names.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRequestHead, parseResponseHead, type HeadError, type RequestHead, type ResponseHead } from '../../../../src/agent/router/http1.js';

/** A head from its lines (the parsers get the text before the blank line). */
function head(...lines: string[]): string {
  return lines.join('\r\n');
}

function request(...lines: string[]): RequestHead {
  const r = parseRequestHead(head(...lines));
  if (r.error) throw new Error(`refused: ${r.status} ${r.reason}`);
  return r;
}

function response(...lines: string[]): ResponseHead {
  const r = parseResponseHead(head(...lines));
  if (r.error) throw new Error(`refused: ${r.status} ${r.reason}`);
  return r;
}

function refusedRequest(...lines: string[]): HeadError {
  const r = parseRequestHead(head(...lines));
  if (!r.error) throw new Error(`accepted: ${JSON.stringify(r)}`);
  return r;
}

function refusedResponse(...lines: string[]): HeadError {
  const r = parseResponseHead(head(...lines));
  if (!r.error) throw new Error(`accepted: ${JSON.stringify(r)}`);
  return r;
}

describe('parseRequestHead: accepted heads', () => {
  it('reads method, target, version and the headers in order, values trimmed, names as sent', () => {
    const r = request('GET /a/b?c=1&d=%20 HTTP/1.1', 'Host: app.test', 'X-Custom:   spaced value \t', 'accept:*/*', 'X-Empty:', 'x-custom: second');
    expect(r).toEqual({
      error: false,
      method: 'GET',
      target: '/a/b?c=1&d=%20',
      minor: 1,
      headers: ['Host', 'app.test', 'X-Custom', 'spaced value', 'accept', '*/*', 'X-Empty', '', 'x-custom', 'second'],
      contentLength: -1,
      chunked: false,
      keepAlive: true,
      upgrade: false,
      expectContinue: false,
    });
  });

  it('keeps a tab or spaces inside a value and any token method', () => {
    const r = request('M-SEARCH /s HTTP/1.1', 'Host: h', 'X-A: a \t b');
    expect([r.method, r.target, r.headers[3]]).toEqual(['M-SEARCH', '/s', 'a \t b']);
    expect(request("x!#$%&'*+.^_`|~9 /p HTTP/1.1", 'Host: h').method).toBe("x!#$%&'*+.^_`|~9");
  });

  it('accepts non-ASCII bytes in the target', () => {
    expect(request('GET /caf\xe9 HTTP/1.1', 'Host: h').target).toBe('/caf\xe9');
  });

  it('reads Content-Length', () => {
    expect(request('POST / HTTP/1.1', 'Host: h', 'Content-Length: 42').contentLength).toBe(42);
    expect(request('POST / HTTP/1.1', 'Host: h', 'content-length:0').contentLength).toBe(0);
    expect(request('POST / HTTP/1.1', 'Host: h', 'Content-Length:  007  ').contentLength).toBe(7);
    expect(request('POST / HTTP/1.1', 'Host: h', 'Content-Length: 999999999999999').contentLength).toBe(999_999_999_999_999);
    expect(request('GET / HTTP/1.1', 'Host: h').contentLength).toBe(-1);
  });

  it('reads Transfer-Encoding: chunked, in any case', () => {
    const r = request('POST / HTTP/1.1', 'Host: h', 'Transfer-Encoding: chunked');
    expect([r.chunked, r.contentLength]).toEqual([true, -1]);
    expect(request('POST / HTTP/1.1', 'Host: h', 'transfer-encoding: Chunked').chunked).toBe(true);
    expect(request('POST / HTTP/1.1', 'Host: h').chunked).toBe(false);
  });

  it('keeps HTTP/1.1 connections unless Connection says close', () => {
    expect(request('GET / HTTP/1.1', 'Host: h').keepAlive).toBe(true);
    expect(request('GET / HTTP/1.1', 'Host: h', 'Connection: keep-alive').keepAlive).toBe(true);
    expect(request('GET / HTTP/1.1', 'Host: h', 'Connection: close').keepAlive).toBe(false);
    expect(request('GET / HTTP/1.1', 'Host: h', 'Connection: x-a, CLOSE').keepAlive).toBe(false);
    expect(request('GET / HTTP/1.1', 'Host: h', 'Connection: x-a', 'Connection: close').keepAlive).toBe(false);
  });

  it('keeps HTTP/1.0 connections only when Connection says keep-alive; Host is optional', () => {
    const plain = request('GET / HTTP/1.0');
    expect([plain.minor, plain.keepAlive]).toEqual([0, false]);
    expect(request('GET / HTTP/1.0', 'Connection: keep-alive').keepAlive).toBe(true);
    expect(request('GET / HTTP/1.0', 'Host: h', 'Connection: Keep-Alive, x-a').keepAlive).toBe(true);
    expect(request('GET / HTTP/1.0', 'Connection: close').keepAlive).toBe(false);
    expect(request('GET / HTTP/1.0', 'Connection: x-keep-alive').keepAlive).toBe(false);
  });

  it('sees an upgrade only with both Connection: upgrade and an Upgrade header', () => {
    expect(request('GET /ws HTTP/1.1', 'Host: h', 'Connection: Upgrade', 'Upgrade: websocket').upgrade).toBe(true);
    expect(request('GET /ws HTTP/1.1', 'Host: h', 'Connection: keep-alive, upgrade', 'upgrade: websocket').upgrade).toBe(true);
    expect(request('GET /ws HTTP/1.1', 'Host: h', 'Upgrade: websocket').upgrade).toBe(false);
    expect(request('GET /ws HTTP/1.1', 'Host: h', 'Connection: upgrade').upgrade).toBe(false);
  });

  it('reads Expect: 100-continue (HTTP/1.1 only; HTTP/1.0 ignores it)', () => {
    expect(request('PUT / HTTP/1.1', 'Host: h', 'Content-Length: 3', 'Expect: 100-continue').expectContinue).toBe(true);
    expect(request('PUT / HTTP/1.1', 'Host: h', 'Content-Length: 3', 'expect: 100-Continue').expectContinue).toBe(true);
    expect(request('PUT / HTTP/1.0', 'Content-Length: 3', 'Expect: 100-continue').expectContinue).toBe(false);
    expect(request('PUT / HTTP/1.1', 'Host: h', 'Content-Length: 3').expectContinue).toBe(false);
  });

  it('accepts a head with no header at all on HTTP/1.0', () => {
    expect(request('GET / HTTP/1.0').headers).toEqual([]);
  });
});

describe('parseRequestHead: request-target forms (RFC 9112 3.2)', () => {
  it('turns an absolute-form target into origin-form, and its authority replaces Host', () => {
    const r = request('GET http://evil.test/x?y=1 HTTP/1.1', 'Host: good.test', 'X-A: 1');
    expect([r.target, r.headers]).toEqual(['/x?y=1', ['Host', 'evil.test', 'X-A', '1']]);
    expect(request('GET HTTPS://App.Test:8443/a HTTP/1.1', 'Host: app.test').headers).toEqual(['Host', 'App.Test:8443']);
    expect(request('GET http://[::1]:80/ HTTP/1.1', 'Host: x').headers).toEqual(['Host', '[::1]:80']);
  });

  it('gives an absolute-form target without a path the path /, or * for OPTIONS (3.2.4)', () => {
    expect(request('GET http://a.test HTTP/1.1', 'Host: a.test').target).toBe('/');
    expect(request('GET http://a.test?q=1 HTTP/1.1', 'Host: a.test').target).toBe('/?q=1');
    expect(request('OPTIONS http://a.test HTTP/1.1', 'Host: a.test').target).toBe('*');
    expect(request('OPTIONS http://a.test/p HTTP/1.1', 'Host: a.test').target).toBe('/p');
  });

  it('adds the Host an HTTP/1.0 absolute-form request did not send', () => {
    expect(request('GET http://a.test/x HTTP/1.0').headers).toEqual(['Host', 'a.test']);
  });

  it('keeps origin-form and OPTIONS * as sent', () => {
    expect(request('GET /x HTTP/1.1', 'Host: h').target).toBe('/x');
    expect(request('OPTIONS * HTTP/1.1', 'Host: h').target).toBe('*');
  });

  const refused: [string, string, RegExp][] = [
    ['GET *', 'GET * HTTP/1.1', /^a request target of \* with GET \(only OPTIONS may use it\)$/],
    ['POST *', 'POST * HTTP/1.1', /only OPTIONS/],
    ['a bare word', 'GET index.html HTTP/1.1', /^a malformed request target "index\.html"$/],
    ['authority-form outside CONNECT', 'GET evil.test:80 HTTP/1.1', /malformed request target/],
    ['a scheme other than http(s)', 'GET ftp://a.test/x HTTP/1.1', /^a request target with the scheme "ftp" \(only http and https\)$/],
    ['a scheme without //', 'GET http:/x HTTP/1.1', /malformed request target/],
    ['user information', 'GET http://user:pw@a.test/ HTTP/1.1', /^a request target with user information$/],
    ['an empty host', 'GET http:///x HTTP/1.1', /invalid host ""/],
    ['a port over 65535', 'GET http://a.test:70000/ HTTP/1.1', /invalid host "a\.test:70000"/],
    ['a malformed IPv6 host', 'GET http://[::1/x HTTP/1.1', /invalid host/],
    ['a fragment', 'GET http://a.test/x#y HTTP/1.1', /malformed request target/],
  ];

  it.each(refused)('refuses %s with 400', (_name, line, reason) => {
    const r = refusedRequest(line, 'Host: h');
    expect(r.status).toBe(400);
    expect(r.reason).toMatch(reason);
  });

  it('refuses TRACE with 405 (it would echo cookies and credentials back)', () => {
    expect(refusedRequest('TRACE / HTTP/1.1', 'Host: h')).toEqual({ error: true, status: 405, reason: 'TRACE is not supported' });
    expect(refusedRequest('TRACE * HTTP/1.1', 'Host: h').status).toBe(405);
  });

  it('an accepted target is always origin-form or OPTIONS *, and Host is never two things', () => {
    const target = fc.oneof(
      fc.constantFrom('*', '/', '/a?b', 'http://h', 'http://h/p', 'https://x.test:1/q?r', 'HTTP://H?q', 'ws://h/', 'a', 'h:1'),
      fc.string({ unit: fc.constantFrom(...'htps:/?*[]@.1aX-#'), minLength: 1, maxLength: 24 }),
    );
    fc.assert(
      fc.property(fc.constantFrom('GET', 'OPTIONS', 'POST', 'HEAD'), target, (method, t) => {
        const r = parseRequestHead(head(`${method} ${t} HTTP/1.1`, 'Host: good'));
        if (r.error) return;
        expect(r.target === '*' ? method : r.target[0]).toBe(r.target === '*' ? 'OPTIONS' : '/');
        expect(r.headers.filter((_, i) => i % 2 === 0 && r.headers[i]!.toLowerCase() === 'host')).toHaveLength(1);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('parseRequestHead: refused heads', () => {
  const cases: [string, string, number, RegExp][] = [
    ['a bare LF', 'GET / HTTP/1.1\nHost: h', 400, /bare CR\/LF/],
    ['a bare LF between headers', 'GET / HTTP/1.1\r\nHost: h\nX-A: 1', 400, /bare CR\/LF/],
    ['a bare CR', 'GET / HTTP/1.1\r\nHost: h\rX-A: 1', 400, /bare CR\/LF/],
    ['a CR before CRLF', 'GET / HTTP/1.1\r\nHost: h\r\r\nX-A: 1', 400, /bare CR\/LF/],
    ['a NUL in a value', 'GET / HTTP/1.1\r\nHost: h\0', 400, /control character/],
    ['a NUL in the target', 'GET /a\0b HTTP/1.1\r\nHost: h', 400, /control character/],
    ['an ESC in a value', 'GET / HTTP/1.1\r\nHost: h\r\nX-A: \x1b[31m', 400, /control character/],
    ['a DEL in a name', 'GET / HTTP/1.1\r\nHost: h\r\nX\x7fA: 1', 400, /control character/],
    ['obs-fold with a space', 'GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n  continued', 400, /colon|folding/],
    ['obs-fold with a tab', 'GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n\tcontinued', 400, /colon|folding/],
    ['obs-fold of a header with a colon', 'GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n X-B: 2', 400, /whitespace or folding/],
    ['whitespace before the colon', 'GET / HTTP/1.1\r\nHost: h\r\nContent-Length : 5', 400, /whitespace or folding/],
    ['a tab before the colon', 'GET / HTTP/1.1\r\nHost\t: h', 400, /whitespace or folding/],
    ['a line without a colon', 'GET / HTTP/1.1\r\nHost: h\r\nno colon here', 400, /without a colon/],
    ['an empty header line', 'GET / HTTP/1.1\r\nHost: h\r\n\r\nX-A: 1', 400, /without a colon/],
    ['an empty header name', 'GET / HTTP/1.1\r\nHost: h\r\n: value', 400, /whitespace or folding/],
    ['a header name with a slash', 'GET / HTTP/1.1\r\nHost: h\r\nX/A: 1', 400, /invalid header name "X\/A"/],
    ['a header name with a quote', 'GET / HTTP/1.1\r\nHost: h\r\nX"A: 1', 400, /invalid header name/],
    ['a lower-case version', 'GET / http/1.1\r\nHost: h', 400, /malformed request line/],
    ['two spaces in the request line', 'GET  / HTTP/1.1\r\nHost: h', 400, /malformed request line/],
    ['a trailing space in the request line', 'GET / HTTP/1.1 \r\nHost: h', 400, /malformed request line/],
    ['no version', 'GET /\r\nHost: h', 400, /malformed request line/],
    ['no target', 'GET HTTP/1.1\r\nHost: h', 400, /malformed request line/],
    ['a space in the target', 'GET /a b HTTP/1.1\r\nHost: h', 400, /malformed request line/],
    ['an invalid method', 'G(T / HTTP/1.1\r\nHost: h', 400, /malformed request line/],
    ['an empty head', '', 400, /malformed request line/],
    ['HTTP/2.0', 'GET / HTTP/2.0\r\nHost: h', 505, /only HTTP\/1\.0 and HTTP\/1\.1/],
    ['HTTP/1.2', 'GET / HTTP/1.2\r\nHost: h', 505, /only HTTP\/1\.0 and HTTP\/1\.1/],
    ['HTTP/0.9-style version', 'GET / HTTP/0.9', 505, /only HTTP\/1\.0 and HTTP\/1\.1/],
    ['HTTP/3', 'GET / HTTP/3', 505, /only HTTP\/1\.0 and HTTP\/1\.1/],
    ['no Host on HTTP/1.1', 'GET / HTTP/1.1\r\nX-A: 1', 400, /^no Host header$/],
    ['two Host headers', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b', 400, /^more than one Host header$/],
    ['two equal Host headers', 'GET / HTTP/1.1\r\nHost: a\r\nhost: a', 400, /^more than one Host header$/],
    ['two Host headers on HTTP/1.0', 'GET / HTTP/1.0\r\nHost: a\r\nHost: b', 400, /^more than one Host header$/],
    ['two Content-Length', 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2', 400, /^more than one Content-Length$/],
    ['two equal Content-Length', 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\ncontent-length: 5', 400, /^more than one Content-Length$/],
    ['a Content-Length list', 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5', 400, /invalid Content-Length "5, 5"/],
    ['a negative Content-Length', 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1', 400, /invalid Content-Length "-1"/],
    ['a signed Content-Length', 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +1', 400, /invalid Content-Length/],
    ['a hex Content-Length', 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x10', 400, /invalid Content-Length/],
    ['a fractional Content-Length', 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1.0', 400, /invalid Content-Length/],
    ['an empty Content-Length', 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length:', 400, /invalid Content-Length ""/],
    ['a Content-Length with a space inside', 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1 2', 400, /invalid Content-Length/],
    ['a Content-Length of 16 digits', 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1234567890123456', 400, /invalid Content-Length/],
    ['Transfer-Encoding and Content-Length', 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked', 400, /^both Content-Length and Transfer-Encoding$/],
    ['Content-Length after Transfer-Encoding', 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 3', 400, /^both Content-Length and Transfer-Encoding$/],
    ['Transfer-Encoding on HTTP/1.0', 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked', 400, /^Transfer-Encoding on an HTTP\/1\.0 request$/],
    ['Transfer-Encoding: gzip', 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip', 501, /Transfer-Encoding "gzip" is not supported/],
    ['Transfer-Encoding: gzip, chunked', 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked', 501, /Transfer-Encoding "gzip, chunked" is not supported/],
    ['Transfer-Encoding: chunked, chunked', 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked', 501, /not supported \(only chunked\)/],
    ['Transfer-Encoding: xchunked', 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: xchunked', 501, /not supported/],
    ['two Transfer-Encoding headers', 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked', 400, /^more than one Transfer-Encoding$/],
    ['Expect other than 100-continue', 'PUT / HTTP/1.1\r\nHost: h\r\nExpect: 200-ok', 417, /Expect "200-ok" is not supported/],
    ['two Expect headers', 'PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nExpect: 100-continue', 417, /not supported/],
    ['CONNECT', 'CONNECT app.test:443 HTTP/1.1\r\nHost: app.test:443', 405, /^CONNECT is not supported$/],
  ];

  it.each(cases)('refuses %s', (_name, text, status, reason) => {
    const r = parseRequestHead(text);
    expect(r.error).toBe(true);
    if (!r.error) return;
    expect(r.status).toBe(status);
    expect(r.reason).toMatch(reason);
  });

  it('quotes a long value in the reason cut to a readable length', () => {
    const r = refusedRequest('POST / HTTP/1.1', 'Host: h', `Content-Length: ${'9'.repeat(200)}`);
    expect(r.reason).toBe(`an invalid Content-Length "${'9'.repeat(64)}..."`);
  });

  it('refuses obs-fold even when the folded line looks harmless', () => {
    expect(refusedRequest('GET / HTTP/1.1', 'Host: h', 'X-A: 1', ' ').status).toBe(400);
  });
});

describe('parseResponseHead', () => {
  it('reads status, reason, version and headers', () => {
    const r = response('HTTP/1.1 200 OK', 'Content-Type: text/plain', 'Content-Length: 5', 'X-A:  a b ');
    expect(r).toEqual({
      error: false,
      status: 200,
      reason: 'OK',
      minor: 1,
      headers: ['Content-Type', 'text/plain', 'Content-Length', '5', 'X-A', 'a b'],
      contentLength: 5,
      chunked: false,
      otherCoding: false,
      keepAlive: true,
      keepAliveHintMs: -1,
    });
  });

  it('allows an empty or missing reason, and a reason with spaces', () => {
    expect(response('HTTP/1.1 204').reason).toBe('');
    expect(response('HTTP/1.1 204 ').reason).toBe('');
    expect(response('HTTP/1.1 404 Not Found Here').reason).toBe('Not Found Here');
    expect(response('HTTP/1.0 418 I\tam a teapot').reason).toBe('I\tam a teapot');
  });

  it('keeps HTTP/1.1 connections unless Connection says close; HTTP/1.0 ones only with keep-alive', () => {
    expect(response('HTTP/1.1 200 OK').keepAlive).toBe(true);
    expect(response('HTTP/1.1 200 OK', 'Connection: close').keepAlive).toBe(false);
    expect(response('HTTP/1.1 200 OK', 'Connection: x-a, Close').keepAlive).toBe(false);
    expect(response('HTTP/1.1 200 OK', 'Connection: keep-alive').keepAlive).toBe(true);
    expect(response('HTTP/1.0 200 OK').keepAlive).toBe(false);
    expect(response('HTTP/1.0 200 OK', 'Connection: keep-alive').keepAlive).toBe(true);
    expect(response('HTTP/1.0 200 OK', 'Connection: Keep-Alive, x-a').keepAlive).toBe(true);
    expect(response('HTTP/1.0 200 OK', 'Connection: close').keepAlive).toBe(false);
  });

  it('reads the keep-alive timeout hint in milliseconds', () => {
    expect(response('HTTP/1.1 200 OK', 'Keep-Alive: timeout=5, max=100').keepAliveHintMs).toBe(5000);
    expect(response('HTTP/1.1 200 OK', 'keep-alive: max=100, timeout=30').keepAliveHintMs).toBe(30_000);
    expect(response('HTTP/1.1 200 OK', 'Keep-Alive: TIMEOUT = 2').keepAliveHintMs).toBe(2000);
    expect(response('HTTP/1.1 200 OK', 'Keep-Alive: timeout=0').keepAliveHintMs).toBe(0);
    expect(response('HTTP/1.1 200 OK', 'Keep-Alive: max=100').keepAliveHintMs).toBe(-1);
    expect(response('HTTP/1.1 200 OK', 'Keep-Alive: xtimeout=5').keepAliveHintMs).toBe(-1);
    expect(response('HTTP/1.1 200 OK', 'Keep-Alive: timeout=soon').keepAliveHintMs).toBe(-1);
  });

  it('frames a chunked body, another coding (close-delimited), and ignores Content-Length beside Transfer-Encoding', () => {
    const chunked = response('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked');
    expect([chunked.chunked, chunked.otherCoding, chunked.contentLength]).toEqual([true, false, -1]);
    const gzipChunked = response('HTTP/1.1 200 OK', 'Transfer-Encoding: gzip, Chunked');
    expect([gzipChunked.chunked, gzipChunked.otherCoding]).toEqual([true, false]);
    const gzip = response('HTTP/1.1 200 OK', 'Transfer-Encoding: gzip');
    expect([gzip.chunked, gzip.otherCoding, gzip.contentLength]).toEqual([false, true, -1]);
    const chunkedGzip = response('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked, gzip');
    expect([chunkedGzip.chunked, chunkedGzip.otherCoding]).toEqual([false, true]);
    const both = response('HTTP/1.1 200 OK', 'Content-Length: 10', 'Transfer-Encoding: chunked');
    expect([both.chunked, both.contentLength]).toEqual([true, -1]);
    const none = response('HTTP/1.1 200 OK');
    expect([none.chunked, none.otherCoding, none.contentLength]).toEqual([false, false, -1]);
  });

  it('reads interim answers', () => {
    expect(response('HTTP/1.1 100 Continue').status).toBe(100);
    expect(response('HTTP/1.1 103 Early Hints', 'Link: </a.css>; rel=preload').headers).toEqual(['Link', '</a.css>; rel=preload']);
  });

  const refused: [string, string, RegExp][] = [
    ['garbage', 'garbage', /malformed status line/],
    ['no status', 'HTTP/1.1', /malformed status line/],
    ['a two-digit status', 'HTTP/1.1 20 OK', /malformed status line/],
    ['a four-digit status', 'HTTP/1.1 2000 OK', /malformed status line/],
    ['a word status', 'HTTP/1.1 OK', /malformed status line/],
    ['HTTP/2', 'HTTP/2 200 OK', /malformed status line/],
    ['HTTP/1.2', 'HTTP/1.2 200 OK', /malformed status line/],
    ['a lower-case version', 'http/1.1 200 OK', /malformed status line/],
    ['a leading space', ' HTTP/1.1 200 OK', /malformed status line/],
    ['a bare LF', 'HTTP/1.1 200 OK\nContent-Length: 1', /bare CR\/LF/],
    ['a bare CR', 'HTTP/1.1 200 OK\r\nX-A: 1\rContent-Length: 1', /bare CR\/LF/],
    ['a NUL', 'HTTP/1.1 200 OK\r\nX-A: \0', /control character/],
    ['obs-fold', 'HTTP/1.1 200 OK\r\nX-A: 1\r\n 2', /colon|folding/],
    ['whitespace before a colon', 'HTTP/1.1 200 OK\r\nContent-Length : 1', /whitespace or folding/],
    ['an invalid header name', 'HTTP/1.1 200 OK\r\nX@A: 1', /invalid header name/],
    ['two Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1', /more than one Content-Length/],
    ['an invalid Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 1,1', /invalid Content-Length/],
    ['two Transfer-Encoding', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked', /more than one Transfer-Encoding/],
  ];

  it.each(refused)('refuses %s with 502', (_name, text, reason) => {
    const r = refusedResponse(text);
    expect(r.status).toBe(502);
    expect(r.reason).toMatch(reason);
  });
});

describe('http1 parsers: properties', () => {
  const PIECES = ['GET', 'POST', ' ', '/', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/1.1 200 OK', '\r\n', '\n', '\r', 'Host: a', 'Content-Length: 1', 'Transfer-Encoding: chunked', ':', '\t', '\0', 'Connection: close', 'x'];
  const pieces = fc.array(fc.constantFrom(...PIECES), { maxLength: 40 }).map((p) => p.join(''));
  const anyText = fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: 'binary-ascii', maxLength: 200 }), fc.string({ maxLength: 200 }), pieces);

  function checkShape(r: RequestHead | ResponseHead | HeadError): void {
    if (r.error) {
      expect(Object.keys(r).sort()).toEqual(['error', 'reason', 'status']);
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThanOrEqual(599);
      expect(r.reason.length).toBeGreaterThan(0);
    } else {
      expect(r.error).toBe(false);
      expect(r.headers.length % 2).toBe(0);
    }
  }

  it('never throw, and answer either a head or an error with a 4xx/5xx status', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        checkShape(parseRequestHead(text));
        checkShape(parseResponseHead(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('a request head they accept has no CR or LF in a header name or value, and a framing that is one of none, length, chunked', () => {
    const validish = fc
      .tuple(fc.constantFrom('GET / HTTP/1.1', 'POST /p HTTP/1.1', 'GET / HTTP/1.0'), fc.array(fc.constantFrom(...PIECES.slice(2)), { maxLength: 30 }))
      .map(([line, rest]) => `${line}\r\nHost: h\r\n${rest.join('')}`);
    let accepted = 0;
    fc.assert(
      fc.property(fc.oneof(anyText, validish), (text) => {
        const r = parseRequestHead(text);
        if (r.error) return;
        accepted++;
        for (const part of r.headers) expect(part).not.toMatch(/[\r\n]/);
        expect(r.method).toMatch(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/);
        expect([...r.target].filter((ch) => ch <= ' ' || ch === '\x7f')).toEqual([]);
        expect(r.chunked && r.contentLength >= 0).toBe(false);
      }),
      { numRuns: 3000 },
    );
    expect(accepted).toBeGreaterThan(0);
  });

  it('a response head they accept has no CR or LF in a header name or value', () => {
    const statusish = fc.array(fc.constantFrom(...PIECES.slice(5)), { maxLength: 30 }).map((rest) => `HTTP/1.1 200 OK\r\n${rest.join('')}`);
    let accepted = 0;
    fc.assert(
      fc.property(fc.oneof(anyText, statusish), (text) => {
        const r = parseResponseHead(text);
        if (r.error) return;
        accepted++;
        for (const part of r.headers) expect(part).not.toMatch(/[\r\n]/);
        expect(r.reason).not.toMatch(/[\r\n]/);
      }),
      { numRuns: 3000 },
    );
    expect(accepted).toBeGreaterThan(0);
  });

  it('reads back any well-formed request head it is given', () => {
    const token = fc.string({ unit: fc.constantFrom(...'abcXYZ019-_!~'), minLength: 1, maxLength: 10 });
    const value = fc.string({ unit: fc.constantFrom(...'abc XYZ019;=,/"\t'), maxLength: 20 }).map((v) => v.trim());
    fc.assert(
      fc.property(token, fc.array(fc.tuple(token.map((n) => `x-${n}`), value), { maxLength: 8 }), (method, fields) => {
        const text = [`${method} /t HTTP/1.1`, 'Host: h', ...fields.map(([n, v]) => `${n}: ${v}`)].join('\r\n');
        const r = parseRequestHead(text);
        if (r.error) throw new Error(`refused ${JSON.stringify(text)}: ${r.reason}`);
        expect(r.method).toBe(method);
        expect(r.headers).toEqual(['Host', 'h', ...fields.flat()]);
      }),
      { numRuns: 500 },
    );
  });
});
