/**
 * age X25519 keys as text (https://age-encryption.org/v1): recipients
 * (`age1…`, public) and identities (`AGE-SECRET-KEY-1…`, secret), both bech32
 * of a 32-byte key. Pure checks, so the config can name a bad key by its path;
 * the streams in ./age.ts do the cryptography. This module imports nothing.
 *
 * Messages never quote an identity, nor a line of an identity file: a mistyped
 * secret is still mostly the secret.
 */

const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const GENERATORS = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
const CHECKSUM_CHARS = 6;
/** 32 bytes in 5-bit groups. */
const KEY_CHARS = 52;

export const RECIPIENT_PREFIX = 'age1';
export const IDENTITY_PREFIX = 'AGE-SECRET-KEY-1';

function polymod(values: readonly number[]): number {
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GENERATORS[i]!;
  }
  return chk;
}

function expandHrp(hrp: string): number[] {
  const codes = [...hrp].map((c) => c.charCodeAt(0));
  return [...codes.map((c) => c >>> 5), 0, ...codes.map((c) => c & 31)];
}

/** Whether `text` is bech32 with human-readable part `hrp` and a 32-byte key (one case throughout, as bech32 requires). */
export function isBech32Key(text: string, hrp: string): boolean {
  if (text !== text.toLowerCase() && text !== text.toUpperCase()) return false;
  const lower = text.toLowerCase();
  const prefix = `${hrp.toLowerCase()}1`;
  if (!lower.startsWith(prefix) || lower.length !== prefix.length + KEY_CHARS + CHECKSUM_CHARS) return false;
  const data = [...lower.slice(prefix.length)].map((c) => CHARSET.indexOf(c));
  if (data.some((d) => d < 0)) return false;
  // 52 groups of 5 bits hold 256 bits of key: the last group's 4 low bits are padding, which must be 0.
  if ((data[KEY_CHARS - 1]! & 0b1111) !== 0) return false;
  return polymod([...expandHrp(hrp.toLowerCase()), ...data]) === 1;
}

/** Why `text` is not an X25519 age recipient, or null when it is one. */
export function recipientProblem(text: string): string | null {
  if (text.startsWith('age1pq1') || text.startsWith('age1tag')) return 'expected an X25519 age recipient (age1 followed by 58 characters); post-quantum and tag recipients are not supported';
  if (text.startsWith(RECIPIENT_PREFIX) && text.length === 62 && isBech32Key(text, 'age')) return null;
  if (text.startsWith(RECIPIENT_PREFIX) && text.length === 62) return 'expected an X25519 age recipient (age1 followed by 58 characters): its checksum does not match (a mistyped character?)';
  return 'expected an X25519 age recipient (age1 followed by 58 characters), as `age-keygen` prints';
}

export type IdentityParse = { identities: string[] } | { problem: string };

/**
 * The identities in an identity file's text, or in one identity: `#` comments and
 * blank lines are skipped, every other line must be an `AGE-SECRET-KEY-1…`.
 */
export function parseIdentities(text: string): IdentityParse {
  const identities: string[] = [];
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (!line.startsWith(IDENTITY_PREFIX) || !isBech32Key(line, 'AGE-SECRET-KEY-')) {
      const where = lines.length > 1 ? `line ${i + 1} is not an age identity` : 'it is not an age identity';
      return { problem: `expected an X25519 age identity (AGE-SECRET-KEY-1 followed by 58 characters, as \`age-keygen\` writes), or the text of an identity file; ${where}` };
    }
    identities.push(line);
  }
  return identities.length > 0 ? { identities } : { problem: 'expected at least one age identity (AGE-SECRET-KEY-1…); there is none' };
}
