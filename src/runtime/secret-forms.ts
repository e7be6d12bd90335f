/** The encoded forms of a secret that the masker searches for as they are written. */

/**
 * The usual URL and JSON encodings. The decoded views find any mix of escapes,
 * but not where the text around a form changes how it decodes (`%2` before
 * `a+b`, a `\\` before `\n`), and there the form still spells the secret.
 */
export function escapedForms(secret: string): string[] {
  const lowerHex = (t: string): string => t.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());
  const ascii = (t: string): string => t.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const upperU = (t: string): string => t.replace(/\\u([0-9a-f]{4})/g, (_m, h: string) => `\\u${h.toUpperCase()}`);
  const uri = encodeURIComponent(secret);
  const form = new URLSearchParams({ s: secret }).toString().slice(2);
  const json = JSON.stringify(secret).slice(1, -1);
  // JSON encoders differ on `/` (`\/` or not) and on non-ASCII (as is, or `\u` in either case).
  const jsons = [json, json.replace(/\//g, '\\/')].flatMap((j) => [j, ascii(j), upperU(ascii(j))]);
  return [uri, lowerHex(uri), form, lowerHex(form), ...jsons];
}

/**
 * The base64 forms a secret has inside any base64 text. Four characters encode
 * three bytes, so where the secret starts (0, 1 or 2 bytes into a group) gives
 * three different encodings. For each: the characters that depend on the
 * secret's bytes alone, in the standard and the URL-safe alphabet. The one or two
 * characters at each edge also depend on the neighbouring bytes, and stay.
 */
export function base64Forms(bytes: Buffer): string[] {
  const forms: string[] = [];
  for (const align of [0, 1, 2]) {
    const encoded = Buffer.concat([Buffer.alloc(align), bytes]).toString('base64');
    // Characters before [0, 2, 3][align] hold bits of the bytes before the secret; from the end on, of those after it.
    const core = encoded.slice([0, 2, 3][align], Math.floor((8 * (align + bytes.length)) / 6));
    forms.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return forms;
}
