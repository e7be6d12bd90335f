import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonPositions, quickJsonDecode, quickUrlDecode, urlPositions } from '../../../src/runtime/decoded-views.js';

/** Text rich in escapes, complete and broken ones, and in characters of every UTF-8 length (lone surrogates too). */
const escapeRich = fc.string({
  unit: fc.constantFrom('a', 'F', '0', '%', '%2F', '%2f', '%e9', '%zz', '+', '\\', '\\n', '\\"', '\\u00e9', '\\u00E9', '\\uD83D', '\\u12', 'é', '€', '😀', '\ud800', '\udc00'),
  maxLength: 40,
});

describe('decoded views', () => {
  it('each decoded character maps to where it starts in the original, in order (URL: one per byte)', () => {
    fc.assert(
      fc.property(escapeRich, (text) => {
        for (const [decoded, at] of [
          [quickUrlDecode(text), urlPositions(text)],
          [quickJsonDecode(text), jsonPositions(text)],
        ] as const) {
          expect(at.length).toBe(decoded.length + 1);
          expect(at[decoded.length]).toBe(text.length);
          for (let i = 1; i < at.length; i++) expect(at[i]!).toBeGreaterThanOrEqual(at[i - 1]!);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('a run of decoded characters maps back to the text that encodes it', () => {
    const text = 'x=%41%62c+d&j="\\u00e9\\/\\\\"';
    const url = quickUrlDecode(text);
    const ua = urlPositions(text);
    const i = url.indexOf('Abc d');
    expect(text.slice(ua[i], ua[i + 5])).toBe('%41%62c+d');
    const json = quickJsonDecode(text);
    const ja = jsonPositions(text);
    const j = json.indexOf('é/\\');
    expect(text.slice(ja[j], ja[j + 3])).toBe('\\u00e9\\/\\\\');
  });
});
