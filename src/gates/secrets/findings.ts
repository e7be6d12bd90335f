import { createHash } from 'node:crypto';
import type { KnownSecret } from '../contract.js';

/**
 * A possible secret found by a scan. It names where and by which rule, never the
 * text found: the fingerprint (a hash of rule, file and the text) tells findings
 * apart and lets one be allowlisted without writing the secret anywhere.
 */
export interface Finding {
  /** Path in the release, or in the repository for a commit. */
  file: string;
  line: number;
  /** `aws/AWSAccessKeyID`, `privatekey/PrivateKey`, `shipgate/configured-secret`. */
  rule: string;
  fingerprint: string;
  /** The commit that added it (commit scans only). */
  commit?: string;
  /** The variable whose value was found (`shipgate/configured-secret` only, when known). */
  secret?: string;
}

export const CONFIGURED_SECRET_RULE = 'shipgate/configured-secret';
/** Configured values shorter than this are not searched for in artifacts (they would match ordinary text). */
export const MIN_SCANNED_SECRET_LENGTH = 8;
export const FINGERPRINT_LENGTH = 16;

export function fingerprintOf(rule: string, file: string, text: string): string {
  return createHash('sha256').update(`${rule}\0${file}\0${text}`).digest('hex').slice(0, FINGERPRINT_LENGTH);
}

/** 1-based line of byte `index` in `content`. */
export function lineAt(content: Buffer, index: number): number {
  let line = 1;
  for (let i = content.indexOf(0x0a); i !== -1 && i < index; i = content.indexOf(0x0a, i + 1)) line++;
  return line;
}

/** Every place a known secret's value appears verbatim in `content` (a file's bytes). */
export function findKnownSecrets(file: string, content: Buffer, known: readonly KnownSecret[]): Finding[] {
  const out: Finding[] = [];
  for (const secret of known) {
    if (secret.value.length < MIN_SCANNED_SECRET_LENGTH) continue;
    const needle = Buffer.from(secret.value, 'utf8');
    for (let i = content.indexOf(needle); i !== -1; i = content.indexOf(needle, i + 1)) {
      const finding: Finding = { file, line: lineAt(content, i), rule: CONFIGURED_SECRET_RULE, fingerprint: fingerprintOf(CONFIGURED_SECRET_RULE, file, secret.value) };
      out.push(secret.name ? { ...finding, secret: secret.name } : finding);
    }
  }
  return out;
}

/** `dist/app.js:3 aws/AWSAccessKeyID [fingerprint]`, with the commit and the variable when known. */
export function describeFinding(f: Finding): string {
  const where = f.commit ? `${f.commit.slice(0, 7)}:${f.file}:${f.line}` : `${f.file}:${f.line}`;
  const what = f.secret ? `${f.rule} (the value of ${f.secret})` : f.rule;
  return `${where} ${what} [${f.fingerprint}]`;
}
