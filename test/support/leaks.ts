/**
 * Secrets for tests of the secrets scan, assembled at run time so the test
 * sources hold nothing a scanner (ours or anyone's) would flag.
 */
import { generateKeyPairSync } from 'node:crypto';

/** An AWS-style access key id (fixed, so fingerprints are stable). */
export const AWS_KEY_ID = ['AK', 'IA', 'Z7Q4M2N8P5R3T6W9'].join('');

/** A fresh RSA private key block (PKCS#1 PEM). */
export function privateKeyPem(): string {
  return generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
}
