/**
 * Secret masking. Every sink (journal, record, terminal, error text, notifications)
 * passes text through a {@link Masker}, so a secret that reached the config or a
 * child's output is replaced before it is written anywhere.
 */

export const MASK = '***';

/** Environment variable names that hold secrets unless proven otherwise. */
export const SECRET_NAME_RE =
  /(TOKEN|SECRET|PASSW(OR)?D|PASSPHRASE|(^|_)PASS($|_)|(^|_)PWD($|_)|API_?KEY|PRIVATE|CREDENTIAL|(^|_)AUTH|COOKIE|SESSION|WEBHOOK|DSN|(^|_)KEY($|_))/i;

/** Config keys whose values are secrets even when written literally. */
export const SECRET_KEY_RE = /^(token|password|passwd|secret|apiKey|api_key|webhook|webhookUrl|integrationKey|routingKey|authorization)$/i;

/** Secrets shorter than this are not masked by substring (they would shred ordinary text). */
export const MIN_SECRET_LENGTH = 4;

export class Masker {
  private secrets = new Set<string>();
  private ordered: string[] = [];

  constructor(initial: Iterable<string> = []) {
    for (const s of initial) this.add(s);
  }

  /** Registers a secret, plus its URL-encoded form and the password part of a URL. */
  add(secret: string | undefined): void {
    if (!secret || secret.length < MIN_SECRET_LENGTH) return;
    const forms = [secret, encodeURIComponent(secret), ...urlPasswords(secret)];
    let changed = false;
    for (const f of forms) {
      if (f.length >= MIN_SECRET_LENGTH && !this.secrets.has(f)) {
        this.secrets.add(f);
        changed = true;
      }
    }
    if (changed) this.ordered = [...this.secrets].sort((a, b) => b.length - a.length);
  }

  get size(): number {
    return this.secrets.size;
  }

  /** Replaces every registered secret in `text`. */
  mask(text: string): string {
    let out = text;
    for (const s of this.ordered) if (out.includes(s)) out = out.split(s).join(MASK);
    return out;
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
