import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { capLine, cutMarker, LineSplitter } from '../../../src/runtime/line-splitter.js';

/** Lines of `chunks` as the splitter gives them. */
function split(chunks: readonly string[], max?: number): string[] {
  const lines: string[] = [];
  const s = new LineSplitter((l) => lines.push(l), max);
  for (const c of chunks) s.push(c);
  s.end();
  return lines;
}

/** `text` cut into pieces at the given positions, never inside a surrogate pair (a UTF-8 decoder never does). */
function cutAt(text: string, positions: number[]): string[] {
  const inPair = (p: number): boolean => /[\udc00-\udfff]/.test(text[p] ?? '');
  const points = [...new Set(positions.map((p) => p % (text.length + 1)).filter((p) => !inPair(p)))].sort((a, b) => a - b);
  return [0, ...points].map((from, i, all) => text.slice(from, all[i + 1] ?? text.length));
}

describe('LineSplitter', () => {
  it('gives the lines of the text whatever the chunking, \\r\\n and \\n alike (the behaviour of `split(/\\r?\\n/)`)', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'é', '😀', '\r', '\n', ' ', 'x'), maxLength: 200 });
    fc.assert(
      fc.property(text, fc.array(fc.nat(), { maxLength: 20 }), (t, positions) => {
        const expected = t.split(/\r?\n/);
        if (expected[expected.length - 1] === '') expected.pop();
        expect(split(cutAt(t, positions))).toEqual(expected);
      }),
    );
  });

  it('keeps the first maxChars characters of a long line and names the bytes cut, whatever the chunking', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', 'é', '😀'), minLength: 1, maxLength: 300 }), fc.integer({ min: 1, max: 50 }), fc.array(fc.nat(), { maxLength: 20 }), (line, max, positions) => {
        const [got] = split(cutAt(`${line}\r\n`, positions), max);
        if (line.length <= max) {
          expect(got).toBe(line);
          return;
        }
        const kept = got!.slice(0, got!.indexOf(' [… '));
        expect(line.startsWith(kept)).toBe(true);
        expect(kept.length === max || (kept.length === max - 1 && /[\ud800-\udbff]/.test(line[max - 1]!))).toBe(true);
        expect(got).toBe(kept + cutMarker(Buffer.byteLength(line) - Buffer.byteLength(kept)));
      }),
    );
  });

  it('a 200 MB line without a newline, in 64 KiB chunks, is one cut line; what follows is intact', () => {
    const chunk = 'x'.repeat(64 * 1024);
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    const chunks = (200 * 1024 * 1024) / chunk.length;
    for (let i = 0; i < chunks; i++) s.push(chunk);
    s.push('\nnext\n');
    s.end();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe('x'.repeat(1024 * 1024) + cutMarker(199 * 1024 * 1024));
    expect(lines[1]).toBe('next');
  });

  it('a last line without a newline still counts; an empty output gives no line', () => {
    expect(split(['a\nb'])).toEqual(['a', 'b']);
    expect(split(['a\n', '\n'])).toEqual(['a', '']);
    expect(split([])).toEqual([]);
    expect(split(['', ''])).toEqual([]);
  });
});

describe('capLine', () => {
  it('leaves a short line alone and cuts a long one with a marker naming the bytes cut', () => {
    expect(capLine('short', 10)).toBe('short');
    expect(capLine('ééééé', 2)).toBe(`éé${cutMarker(6)}`);
  });

  it('never ends inside a surrogate pair', () => {
    expect(capLine('a😀b', 2)).toBe(`a${cutMarker(5)}`);
  });

  it('a line the splitter already cut keeps one marker, counting both cuts', () => {
    const once = split([`${'y'.repeat(100)}\n`], 50)[0]!;
    expect(once).toBe('y'.repeat(50) + cutMarker(50));
    expect(capLine(once, 20)).toBe('y'.repeat(20) + cutMarker(80));
  });
});
