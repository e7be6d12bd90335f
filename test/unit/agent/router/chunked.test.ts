/**
 * ChunkedScanner finds where a chunked body ends without decoding it: the
 * index just past the last CRLF, the payload announced so far, and a readable
 * reason for any framing it refuses. Fed whole or in any pieces, it must find
 * the same end.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BROKEN, ChunkedScanner, MAX_CHUNK_LINE, MAX_TRAILERS, NEED_MORE } from '../../../../src/agent/router/chunked.js';

const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');

/** Scans `text` whole with a fresh scanner. */
function scanWhole(text: string | Buffer): { end: number; scanner: ChunkedScanner } {
  const buf = typeof text === 'string' ? bytes(text) : text;
  const scanner = new ChunkedScanner();
  return { end: scanner.scan(buf, 0, buf.length), scanner };
}

/** Scans `text` whole and expects it refused; returns the reason. */
function brokenBy(text: string | Buffer): string {
  const { end, scanner } = scanWhole(text);
  expect(end).toBe(BROKEN);
  expect(scanner.done).toBe(false);
  expect(scanner.error).not.toBe('');
  return scanner.error;
}

/**
 * Feeds `buf` to a fresh scanner as separate copies cut at `cuts`; returns the
 * absolute end (or NEED_MORE / BROKEN) and the scanner.
 */
function scanInPieces(buf: Buffer, cuts: number[]): { end: number; scanner: ChunkedScanner } {
  const scanner = new ChunkedScanner();
  const points = [...new Set(cuts.map((c) => Math.min(c, buf.length)))].sort((a, b) => a - b);
  let start = 0;
  for (const stop of [...points, buf.length]) {
    if (stop <= start && stop !== buf.length) continue;
    const piece = Buffer.from(buf.subarray(start, stop));
    const r = scanner.scan(piece, 0, piece.length);
    if (r === BROKEN) return { end: BROKEN, scanner };
    if (r !== NEED_MORE) return { end: start + r, scanner };
    start = stop;
  }
  return { end: NEED_MORE, scanner };
}

describe('ChunkedScanner: valid bodies', () => {
  it('ends just past the final CRLF of a body with extensions and trailers', () => {
    const body = '5;name=value;flag\r\nhello\r\n1a ; q="quoted; text"\r\nabcdefghijklmnopqrstuvwxyz\r\n0;last\r\nX-Checksum: abc\r\nX-Other:\t2\r\n\r\n';
    const { end, scanner } = scanWhole(body);
    expect(end).toBe(body.length);
    expect(scanner.done).toBe(true);
    expect(scanner.payload).toBe(5 + 26);
    expect(scanner.error).toBe('');
  });

  it('does not consume the bytes after the end (the next request)', () => {
    const body = '3\r\nabc\r\n0\r\n\r\n';
    const buf = bytes(`${body}GET /next HTTP/1.1\r\nHost: h\r\n\r\n`);
    const scanner = new ChunkedScanner();
    expect(scanner.scan(buf, 0, buf.length)).toBe(body.length);
    expect(scanner.done).toBe(true);
    // Scanning again after the end consumes nothing.
    expect(scanner.scan(buf, body.length, buf.length)).toBe(body.length);
  });

  it('returns absolute indexes when scanning a range of a larger buffer', () => {
    const prefix = 'HEAD BYTES ';
    const body = '2\r\nhi\r\n0\r\n\r\n';
    const buf = bytes(`${prefix}${body}tail`);
    const scanner = new ChunkedScanner();
    expect(scanner.scan(buf, prefix.length, prefix.length + 5)).toBe(NEED_MORE);
    expect(scanner.scan(buf, prefix.length + 5, buf.length)).toBe(prefix.length + body.length);
  });

  it('accepts an empty body, upper- and lower-case hex, leading zeros, and spaces after the size', () => {
    expect(scanWhole('0\r\n\r\n').end).toBe(5);
    const mixed = 'A\r\n0123456789\r\na\r\n0123456789\r\n00000000000000f\r\n0123456789abcde\r\n1 \t ;ext\r\nx\r\n0 \r\n\r\n';
    const { end, scanner } = scanWhole(mixed);
    expect(end).toBe(mixed.length);
    expect(scanner.payload).toBe(10 + 10 + 15 + 1);
  });

  it('counts the payload as each size line ends, and says NEED_MORE until the end', () => {
    const scanner = new ChunkedScanner();
    expect(scanner.scan(bytes('10'), 0, 2)).toBe(NEED_MORE);
    expect(scanner.payload).toBe(0);
    expect(scanner.scan(bytes('\r\n'), 0, 2)).toBe(NEED_MORE);
    expect(scanner.payload).toBe(16);
    expect(scanner.scan(bytes('0123456789abcdef\r\n'), 0, 18)).toBe(NEED_MORE);
    expect(scanner.scan(bytes('0\r\n'), 0, 3)).toBe(NEED_MORE);
    expect(scanner.done).toBe(false);
    expect(scanner.scan(bytes('\r\n'), 0, 2)).toBe(2);
    expect(scanner.done).toBe(true);
    expect(scanner.payload).toBe(16);
  });

  it('passes data bytes through unread: CRLF and NUL inside chunk data are payload', () => {
    const body = Buffer.concat([bytes('6\r\n'), Buffer.from([13, 10, 0, 48, 13, 10]), bytes('\r\n0\r\n\r\n')]);
    const { end, scanner } = scanWhole(body);
    expect([end, scanner.payload]).toEqual([body.length, 6]);
  });

  it('accepts 15 hex digits, and a size line of up to 4096 bytes with its CR', () => {
    const scanner = new ChunkedScanner();
    expect(scanner.scan(bytes('00000000000000f\r\n'), 0, 17)).toBe(NEED_MORE);
    expect(scanner.payload).toBe(15);
    const ext = `1;${'e'.repeat(MAX_CHUNK_LINE - 3)}\r\nx\r\n0\r\n\r\n`;
    expect(scanWhole(ext).end).toBe(ext.length);
    expect(brokenBy(`1;${'e'.repeat(MAX_CHUNK_LINE - 2)}\r\nx\r\n0\r\n\r\n`)).toBe('a chunk size line over 4096 bytes');
  });

  it('accepts trailers up to the limit', () => {
    const line = `X-T: ${'t'.repeat(100)}\r\n`;
    const count = Math.floor((MAX_TRAILERS - 2) / line.length);
    const body = `0\r\n${line.repeat(count)}\r\n`;
    expect(scanWhole(body).end).toBe(body.length);
  });
});

describe('ChunkedScanner: broken framing', () => {
  const cases: [string, string, RegExp][] = [
    ['a non-hex size', 'zz\r\n', /a chunk without a size/],
    ['a size after a hex digit', '1g\r\nx\r\n0\r\n\r\n', /a malformed chunk size/],
    ['a signed size', '+5\r\nhello\r\n0\r\n\r\n', /a chunk without a size/],
    ['a 0x prefix', '0x5\r\nhello\r\n0\r\n\r\n', /a malformed chunk size/],
    ['an empty size line', '\r\nhello\r\n0\r\n\r\n', /a chunk without a size/],
    ['a space before the size', ' 5\r\nhello\r\n0\r\n\r\n', /a chunk without a size/],
    ['16 hex digits', '0000000000000005\r\nhello\r\n0\r\n\r\n', /over 15 hex digits/],
    ['a huge size', 'ffffffffffffffffff\r\n', /over 15 hex digits/],
    ['a bare LF after the size', '5\nhello\r\n0\r\n\r\n', /a malformed chunk size/],
    ['a bare LF after size spaces', '5 \nhello\r\n0\r\n\r\n', /a malformed chunk size/],
    ['a bare CR after the size', '5\rhello\r\n0\r\n\r\n', /a bare CR in a chunk size line/],
    ['a hex digit after a space', '5 5\r\nhello\r\n0\r\n\r\n', /a malformed chunk size/],
    ['a bare LF in an extension', '5;a\nhello\r\n0\r\n\r\n', /a control character in a chunk extension/],
    ['a NUL in an extension', '5;a\0b\r\nhello\r\n0\r\n\r\n', /a control character in a chunk extension/],
    ['a DEL in an extension', '5;a\x7f\r\nhello\r\n0\r\n\r\n', /a control character in a chunk extension/],
    ['data longer than its size', '3\r\nhello\r\n0\r\n\r\n', /chunk data longer than its size/],
    ['data shorter than its size', '7\r\nhello\r\n0\r\n\r\n0\r\n\r\n', /chunk data (longer than its size|not followed by CRLF)/],
    ['a bare CR after data', '5\r\nhello\rX0\r\n\r\n', /chunk data not followed by CRLF/],
    ['a bare LF after data', '5\r\nhello\n0\r\n\r\n', /chunk data longer than its size/],
    ['no CRLF after data', '5\r\nhello0\r\n\r\n', /chunk data longer than its size/],
    ['a bare LF ending the body', '0\r\n\n', /a malformed trailer line/],
    ['a bare CR ending the body', '0\r\n\rX', /a bare CR after the last chunk/],
    ['a trailer starting with a space (obs-fold)', '0\r\nX-A: 1\r\n folded\r\n\r\n', /a malformed trailer line/],
    // obs-fold is refused in a trailer, with a space and (RWS = SP / HTAB) with a tab alike, as the head parser does.
    ['a trailer starting with a tab (obs-fold)', '0\r\nX-A: 1\r\n\tfolded\r\n\r\n', /a malformed trailer line/],
    ['a trailer starting with a control character', '0\r\n\x01X: 1\r\n\r\n', /a malformed trailer line/],
    ['a NUL in a trailer', '0\r\nX-A: a\0b\r\n\r\n', /a control character in a trailer/],
    ['a bare LF in a trailer', '0\r\nX-A: 1\nX-B: 2\r\n\r\n', /a control character in a trailer/],
    ['a bare CR in a trailer', '0\r\nX-A: 1\rX-B: 2\r\n\r\n', /a bare CR in a trailer/],
  ];

  it.each(cases)('refuses %s', (_name, text, reason) => {
    expect(brokenBy(text)).toMatch(reason);
  });

  it('refuses a size line over 4096 bytes (long extension or padding)', () => {
    expect(brokenBy(`1;${'e'.repeat(MAX_CHUNK_LINE)}\r\nx\r\n0\r\n\r\n`)).toBe('a chunk size line over 4096 bytes');
    expect(brokenBy(`1${' '.repeat(MAX_CHUNK_LINE)}\r\nx\r\n0\r\n\r\n`)).toBe('a chunk size line over 4096 bytes');
  });

  it('refuses trailers over 16 KiB', () => {
    const line = `X-T: ${'t'.repeat(1000)}\r\n`;
    expect(brokenBy(`0\r\n${line.repeat(17)}\r\n`)).toBe('trailers over 16 KiB');
  });

  it('stays broken: later bytes are refused too, with the first reason', () => {
    const scanner = new ChunkedScanner();
    expect(scanner.scan(bytes('xyz'), 0, 3)).toBe(BROKEN);
    const reason = scanner.error;
    expect(scanner.scan(bytes('0\r\n\r\n'), 0, 5)).toBe(BROKEN);
    expect(scanner.error).toBe(reason);
    expect(scanner.done).toBe(false);
  });

  it('refuses the same framing when it arrives one byte at a time', () => {
    const scanner = new ChunkedScanner();
    const buf = bytes('5;a\nhello');
    let result = NEED_MORE;
    for (let i = 0; i < buf.length && result === NEED_MORE; i++) result = scanner.scan(buf, i, i + 1);
    expect(result).toBe(BROKEN);
    expect(scanner.error).toBe('a control character in a chunk extension');
  });
});

describe('ChunkedScanner: properties', () => {
  /** A chunk-size line for `size`: random case, maybe leading zeros, maybe spaces, maybe extensions. */
  const sizeLine = (size: number): fc.Arbitrary<string> =>
    fc
      .record({
        upper: fc.boolean(),
        zeros: fc.integer({ min: 0, max: 3 }),
        spaces: fc.constantFrom('', ' ', '\t', ' \t '),
        ext: fc.array(
          fc.tuple(fc.string({ unit: fc.constantFrom(...'abc-_!~019'), minLength: 1, maxLength: 6 }), fc.option(fc.string({ unit: fc.constantFrom(...'abc "=\t,019'), maxLength: 8 }))),
          { maxLength: 3 },
        ),
      })
      .map(({ upper, zeros, spaces, ext }) => {
        const hex = size.toString(16);
        const digits = '0'.repeat(Math.min(zeros, 15 - hex.length)) + (upper ? hex.toUpperCase() : hex);
        const extensions = ext.map(([n, v]) => (v === null ? `;${n}` : `;${n}=${v}`)).join('');
        return `${digits}${spaces}${extensions}\r\n`;
      });

  const chunk = fc.integer({ min: 1, max: 300 }).chain((size) =>
    fc.tuple(sizeLine(size), fc.uint8Array({ minLength: size, maxLength: size })).map(([line, data]) => ({ size, raw: Buffer.concat([bytes(line), Buffer.from(data), bytes('\r\n')]) })),
  );
  const trailer = fc
    .tuple(fc.string({ unit: fc.constantFrom(...'abcXYZ-_019'), minLength: 1, maxLength: 10 }), fc.string({ unit: fc.constantFrom(...'abc \t:;=,019\x80\xff'), maxLength: 20 }))
    .map(([n, v]) => `${n}:${v}\r\n`);

  const body = fc.tuple(fc.array(chunk, { maxLength: 8 }), sizeLine(0), fc.array(trailer, { maxLength: 4 })).map(([chunks, last, trailers]) => ({
    buf: Buffer.concat([...chunks.map((c) => c.raw), bytes(last), bytes(trailers.join('')), bytes('\r\n')]),
    payload: chunks.reduce((sum, c) => sum + c.size, 0),
  }));

  it('finds the true end of a valid body and its payload, fed whole or cut anywhere, and leaves what follows', () => {
    fc.assert(
      fc.property(body, fc.uint8Array({ maxLength: 64 }), fc.array(fc.nat(), { maxLength: 12 }), ({ buf, payload }, tail, rawCuts) => {
        const all = Buffer.concat([buf, Buffer.from(tail)]);
        const whole = scanWhole(all);
        expect(whole.scanner.error).toBe('');
        expect(whole.end).toBe(buf.length);
        expect(whole.scanner.payload).toBe(payload);
        const cuts = rawCuts.map((c) => c % (all.length + 1));
        const pieces = scanInPieces(all, cuts);
        expect(pieces.scanner.error).toBe('');
        expect(pieces.end).toBe(whole.end);
        expect(pieces.scanner.payload).toBe(whole.scanner.payload);
        expect(pieces.scanner.done).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('finds the same end fed one byte at a time as ranges of one buffer', () => {
    fc.assert(
      fc.property(body, fc.uint8Array({ maxLength: 16 }), ({ buf, payload }, tail) => {
        const all = Buffer.concat([buf, Buffer.from(tail)]);
        const scanner = new ChunkedScanner();
        let end = NEED_MORE;
        for (let i = 0; i < all.length && end === NEED_MORE; i++) end = scanner.scan(all, i, i + 1);
        expect([end, scanner.payload]).toEqual([buf.length, payload]);
      }),
      { numRuns: 200 },
    );
  });

  it('a prefix of a valid body needs more, never ends early or breaks', () => {
    fc.assert(
      fc.property(body, fc.nat(), ({ buf }, cut) => {
        const at = cut % buf.length;
        const scanner = new ChunkedScanner();
        expect(scanner.scan(buf, 0, at)).toBe(NEED_MORE);
        expect(scanner.scan(buf, at, buf.length)).toBe(buf.length);
      }),
      { numRuns: 500 },
    );
  });

  it('random bytes never throw: the answer is an end inside the input, NEED_MORE, or BROKEN with a reason', () => {
    const noise = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.array(fc.constantFrom('0', '1', 'a', 'F', 'g', ';', ' ', '\t', '\r', '\n', '\r\n', 'x=y', '\0', ':', '0\r\n\r\n'), { maxLength: 60 }).map((p) => bytes(p.join(''))),
    );
    fc.assert(
      fc.property(noise, fc.array(fc.nat(), { maxLength: 6 }), (data, rawCuts) => {
        const buf = Buffer.from(data);
        const whole = scanWhole(buf);
        if (whole.end === BROKEN) expect(whole.scanner.error).toMatch(/^[a-z].+/);
        else if (whole.end === NEED_MORE) expect(whole.scanner.done).toBe(false);
        else {
          expect(whole.end).toBeGreaterThan(0);
          expect(whole.end).toBeLessThanOrEqual(buf.length);
          expect(whole.scanner.done).toBe(true);
        }
        const pieces = scanInPieces(buf, rawCuts.map((c) => c % (buf.length + 1)));
        expect(pieces.end).toBe(whole.end);
        expect(pieces.scanner.error).toBe(whole.scanner.error);
        if (whole.end !== BROKEN) expect(pieces.scanner.payload).toBe(whole.scanner.payload);
      }),
      { numRuns: 2000 },
    );
  });
});
