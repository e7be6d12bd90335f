/**
 * Text as a decoder would read it, for finding a secret however it was escaped
 * (any mix of escaped and plain characters, any case of hex digits). The decoders
 * are one native `replace` each; the map from a decoded text back to positions in
 * the original costs a pass per character, so it is built only when a secret was
 * found in the decoded text.
 */

/** A decoded text and, for each of its characters (plus one past the end), where it starts in the original. */
export interface View {
  text: string;
  at: ArrayLike<number>;
}

/** Whether the text holds anything URL decoding changes. */
export const URL_ESCAPE_RE = /%[0-9A-Fa-f]{2}|\+/;
const URL_ESCAPES_RE = /%([0-9A-Fa-f]{2})|\+/g;
const JSON_ESCAPES_RE = /\\(?:u([0-9a-fA-F]{4})|(["\\/bfnrt]))/g;
const JSON_ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** The bytes the text stands for when URL-decoded, one Latin-1 character per byte (`%XX` a byte, `+` a space). */
export function quickUrlDecode(text: string): string {
  return Buffer.from(text, 'utf8')
    .toString('latin1')
    .replace(URL_ESCAPES_RE, (_m, hex: string | undefined) => (hex ? String.fromCharCode(parseInt(hex, 16)) : ' '));
}

/** The text with JSON string escapes decoded (`\uXXXX` as one UTF-16 unit, so escaped pairs decode too). */
export function quickJsonDecode(text: string): string {
  return text.replace(JSON_ESCAPES_RE, (_m, hex: string | undefined, c: string | undefined) => (hex ? String.fromCharCode(parseInt(hex, 16)) : JSON_ESCAPES[c!]!));
}

/**
 * Where each byte of {@link quickUrlDecode}'s text starts in `text`: a `%XX` is
 * one byte, `+` and any other ASCII character one, other characters their UTF-8
 * length (a lone surrogate 3, as Buffer encodes it).
 */
export function urlPositions(text: string): Int32Array {
  const at = new Int32Array(Buffer.byteLength(text, 'utf8') + 1);
  let k = 0;
  for (let i = 0; i < text.length; ) {
    const c = text.charCodeAt(i);
    let width = 1;
    let bytes = 1;
    if (c === 0x25 && isHex(text.charCodeAt(i + 1)) && isHex(text.charCodeAt(i + 2))) width = 3;
    else if (c >= 0x80) [width, bytes] = utf8Width(c, text.charCodeAt(i + 1));
    for (let b = 0; b < bytes; b++) at[k++] = i;
    i += width;
  }
  at[k] = text.length;
  return at.subarray(0, k + 1);
}

/** Where each character of {@link quickJsonDecode}'s text starts in `text`. */
export function jsonPositions(text: string): Int32Array {
  const at = new Int32Array(text.length + 1);
  let k = 0;
  for (let i = 0; i < text.length; ) {
    at[k++] = i;
    i += text.charCodeAt(i) === 0x5c ? jsonEscapeWidth(text, i) : 1;
  }
  at[k] = text.length;
  return at.subarray(0, k + 1);
}

/** Characters taken by the escape at `i` (a backslash): 6 for `\uXXXX`, 2 for `\n` and the like, else 1. */
function jsonEscapeWidth(text: string, i: number): number {
  const next = text[i + 1];
  if (next === 'u' && [2, 3, 4, 5].every((d) => isHex(text.charCodeAt(i + d)))) return 6;
  return next !== undefined && Object.hasOwn(JSON_ESCAPES, next) ? 2 : 1;
}

/** [UTF-16 units, UTF-8 bytes] of the character starting with unit `c` (followed by `next`). */
function utf8Width(c: number, next: number): [number, number] {
  if (c < 0x800) return [1, 2];
  if (c >= 0xd800 && c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) return [2, 4];
  return [1, 3];
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}
