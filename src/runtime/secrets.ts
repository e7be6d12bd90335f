/**
 * Secret masking. Every sink (journal, record, terminal, error text, notifications)
 * passes text through a {@link Masker}, so a secret that reached the config or a
 * child's output is replaced before it is written anywhere.
 */

import { jsonPositions, quickJsonDecode, quickUrlDecode, URL_ESCAPE_RE, urlPositions } from './decoded-views.js';
import { Literals, replaceSpans, type Span } from './literals.js';
import { base64Forms, escapedForms } from './secret-forms.js';

export const MASK = '***';

/** Environment variable names that hold secrets unless proven otherwise. */
export const SECRET_NAME_RE =
  /(TOKEN|SECRET|PASSW(OR)?D|PASSPHRASE|(^|_)PASS($|_)|(^|_)PWD($|_)|API_?KEY|PRIVATE|CREDENTIAL|(^|_)AUTH|COOKIE|SESSION|WEBHOOK|DSN|(^|_)KEY($|_))/i;

/** Config keys whose values are secrets even when written literally. */
export const SECRET_KEY_RE = /^(token|password|passwd|secret|apiKey|api_key|webhook|webhookUrl|integrationKey|routingKey|authorization)$/i;

/** Secrets shorter than this are not masked by substring (they would shred ordinary text). */
export const MIN_SECRET_LENGTH = 4;

/**
 * Replaces secrets in text, in the forms a secret takes on its way into output:
 * as written; URL-encoded (any mix of `%XX`, upper or lower case, `+` for a space);
 * JSON-escaped (`\"`, `\\`, `\/`, `\n`..., `\u00xx`); hex (any case); and base64,
 * standard or URL-safe, with or without padding, also inside a longer base64 text
 * (`Basic dXNlcjpzM2NyZXQ=` holds `user:s3cret`; see base64Forms). Each kind of
 * form is found in one pass over the text, so masking stays linear in its length.
 */
export class Masker {
  private secrets = new Set<string>();
  /** Case-sensitive forms: the secrets, their usual URL and JSON encodings, their base64 forms. */
  private exact = new Literals('g');
  /** Hex forms, matched in any case. */
  private hex = new Literals('gi');
  /** The secrets' UTF-8 bytes as Latin-1 text: what the URL-decoded view is searched for. */
  private bytes = new Literals('g');
  /** The secrets as they are: what the JSON-decoded view is searched for. */
  private plain = new Literals('g');

  constructor(initial: Iterable<string> = []) {
    for (const s of initial) this.add(s);
  }

  /** Registers a secret, and the password part of a URL (encoded and decoded). */
  add(secret: string | undefined): void {
    if (!secret || secret.length < MIN_SECRET_LENGTH) return;
    for (const s of [secret, ...urlPasswords(secret)]) this.register(s);
  }

  private register(secret: string): void {
    if (secret.length < MIN_SECRET_LENGTH || this.secrets.has(secret)) return;
    this.secrets.add(secret);
    const utf8 = Buffer.from(secret, 'utf8');
    this.exact.add([secret, ...escapedForms(secret), ...base64Forms(utf8)].filter((f) => f.length >= MIN_SECRET_LENGTH));
    this.hex.add([utf8.toString('hex')]);
    this.bytes.add([utf8.toString('latin1')]);
    this.plain.add([secret]);
  }

  /** Distinct secrets registered. */
  get size(): number {
    return this.secrets.size;
  }

  /** The secrets registered, as they are (not their encoded forms): what a scan for leaked values looks for. */
  values(): string[] {
    return [...this.secrets];
  }

  /** Replaces every registered secret, in every form, in `text`. */
  mask(text: string): string {
    if (this.secrets.size === 0 || text.length < MIN_SECRET_LENGTH) return text;
    const spans: Span[] = [];
    this.exact.collect(text, spans);
    this.hex.collect(text, spans);
    if (URL_ESCAPE_RE.test(text)) findDecoded(this.bytes, quickUrlDecode(text), () => urlPositions(text), spans);
    if (text.includes('\\')) findDecoded(this.plain, quickJsonDecode(text), () => jsonPositions(text), spans);
    return spans.length === 0 ? text : replaceSpans(text, spans, MASK);
  }

  /** Deep-masks every string in a JSON-like value. */
  maskValue<T>(value: T): T {
    if (typeof value === 'string') return this.mask(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.maskValue(v)) as T;
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.maskValue(v);
      return out as T;
    }
    return value;
  }
}

/** Spans of `needles` in a decoded text; the map back to the original is built only when there is one. */
function findDecoded(needles: Literals, decoded: string, positions: () => ArrayLike<number>, spans: Span[]): void {
  if (needles.test(decoded)) needles.collect({ text: decoded, at: positions() }, spans);
}

function urlPasswords(value: string): string[] {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return [];
  try {
    const u = new URL(value);
    return u.password ? [u.password, decodeURIComponent(u.password)] : [];
  } catch {
    return [];
  }
}

/** Names that match the pattern but hold paths or sockets, not secrets. */
export const NOT_SECRET_NAMES: ReadonlySet<string> = new Set(['PWD', 'OLDPWD', 'SSH_AUTH_SOCK', 'GPG_AGENT_INFO', 'XAUTHORITY', 'KEYTIMEOUT']);

export function isSecretName(name: string): boolean {
  return SECRET_NAME_RE.test(name) && !NOT_SECRET_NAMES.has(name);
}

/** Values of the process environment whose names say they are secrets. */
export function secretsFromEnv(env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value && value.length >= 6 && isSecretName(name)) out.push(value);
  }
  return out;
}
