/** The encoded forms a secret takes in output, for the masking tests: each must be masked wherever it appears. */
import fc from 'fast-check';

/** `%XX` escapes in lower case: encoders differ on the case of hex digits. */
const lowerHex = (s: string): string => s.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());

/** JSON as encoders with `ensure_ascii` write it: every non-ASCII character as `\uXXXX` (`upper`: A-F in upper case), and `/` as `\/`. */
function asciiJson(s: string, upper: boolean): string {
  const escaped = JSON.stringify(s)
    .slice(1, -1)
    .replace(/\//g, '\\/')
    .replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return upper ? escaped.replace(/\\u([0-9a-f]{4})/g, (_m, h: string) => `\\u${h.toUpperCase()}`) : escaped;
}

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const b64url = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');

/**
 * Every form, by name. `prefix` and `suffix` surround the secret inside the
 * longer base64 texts (their lengths set the secret's alignment in the encoding).
 */
export function encodedForms(secret: string, prefix = 'user:', suffix = ''): Record<string, string> {
  const form = new URLSearchParams({ q: secret }).toString().slice(2);
  return {
    raw: secret,
    uri: encodeURIComponent(secret),
    uriLower: lowerHex(encodeURIComponent(secret)),
    form,
    formLower: lowerHex(form),
    json: JSON.stringify(secret).slice(1, -1),
    jsonAscii: asciiJson(secret, false),
    jsonAsciiUpper: asciiJson(secret, true),
    hex: Buffer.from(secret, 'utf8').toString('hex'),
    hexUpper: Buffer.from(secret, 'utf8').toString('hex').toUpperCase(),
    base64: b64(secret),
    base64Bare: b64(secret).replace(/=+$/, ''),
    base64url: b64url(secret),
    base64urlPadded: b64(secret).replace(/\+/g, '-').replace(/\//g, '_'),
    basicAuth: b64(`${prefix}${secret}${suffix}`),
    basicAuthUrl: b64url(`${prefix}${secret}${suffix}`),
  };
}

/**
 * Secrets of letters, digits, and the characters encoders treat specially (space,
 * quotes, backslash, `/`, `%`, `+`, control characters, non-ASCII). No `*`: the
 * mask itself is `***`, so a secret of stars could be rebuilt by masking. Without
 * `lineBreaks`, no `\n` or `\r`: output is masked line by line, so a secret
 * printed raw across two lines is two pieces that are not the secret.
 */
export function secretArbitrary(minLength: number, maxLength = 40, opts: { lineBreaks?: boolean } = {}): fc.Arbitrary<string> {
  const rare = ['\t', '\u0001', 'é', 'ß', '€', '日', '😀', ...(opts.lineBreaks === false ? [] : ['\n', '\r'])];
  const unit = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...'abcdefghijkLMNOPQRSTxyz0123456789-_.~') },
    { weight: 3, arbitrary: fc.constantFrom(' ', '"', '\\', '/', '%', '+', ':', '=', '&', '?', '#', '@', "'", '<') },
    { weight: 1, arbitrary: fc.constantFrom(...rare) },
  );
  return fc.string({ unit, minLength, maxLength });
}
