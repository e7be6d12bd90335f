import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { beforeAll, describe, expect, it } from 'vitest';
import { mistype } from '../../support/mistype.js';
import { through as throughStage } from '../../support/through.js';
import { createAgeDecryptor, createAgeEncryptor } from '../../../src/databases/archive/age.js';
import { isBech32Key, parseIdentities, recipientProblem } from '../../../src/databases/archive/age-keys.js';

let identity: string;
let recipient: string;
let other: string;
beforeAll(async () => {
  identity = await generateX25519Identity();
  recipient = await identityToRecipient(identity);
  other = await generateX25519Identity();
});

const through = (data: Buffer, t: Duplex, chunk = 4096): Promise<Buffer> => throughStage(data, t, chunk);

const encrypt = (data: Buffer, to = [recipient]): Promise<Buffer> => through(data, createAgeEncryptor(to));
const decrypt = (data: Buffer, ids = [identity], chunk?: number): Promise<Buffer> => through(data, createAgeDecryptor(ids), chunk);


describe('age keys', () => {
  it('accepts generated recipients and identities, and refuses each one mistyped character', () => {
    expect(recipientProblem(recipient)).toBeNull();
    expect(parseIdentities(identity)).toEqual({ identities: [identity] });
    for (const at of [5, 30, 61]) expect(recipientProblem(mistype(recipient, at))).toBe('expected an X25519 age recipient (age1 followed by 58 characters): its checksum does not match (a mistyped character?)');
    for (const at of [16, 40, 73]) expect(isBech32Key(mistype(identity, at), 'AGE-SECRET-KEY-')).toBe(false);
  });

  it('names what a recipient is not', () => {
    expect(recipientProblem('age1xyz')).toBe('expected an X25519 age recipient (age1 followed by 58 characters), as `age-keygen` prints');
    expect(recipientProblem('ssh-ed25519 AAAA')).toMatch(/^expected an X25519 age recipient/);
    expect(recipientProblem(`age1pq1${'q'.repeat(60)}`)).toMatch(/post-quantum and tag recipients are not supported$/);
    expect(recipientProblem(recipient.toUpperCase())).not.toBeNull();
  });

  it('reads identity files (comments, blank lines, several identities) and never quotes a bad line', () => {
    const file = `# created: 2026-12-03T11:00:00Z\n# public key: ${recipient}\n${identity}\n\n${other}\n`;
    expect(parseIdentities(file)).toEqual({ identities: [identity, other] });
    // One character changed (the last may already be any letter, so mistype picks another).
    const bad = parseIdentities(`# comment\n${mistype(identity, identity.length - 1)}\n`);
    expect(bad).toEqual({ problem: 'expected an X25519 age identity (AGE-SECRET-KEY-1 followed by 58 characters, as `age-keygen` writes), or the text of an identity file; line 2 is not an age identity' });
    expect(parseIdentities('# only a comment\n')).toEqual({ problem: 'expected at least one age identity (AGE-SECRET-KEY-1…); there is none' });
    expect(JSON.stringify(parseIdentities(identity.slice(0, 40)))).not.toContain(identity.slice(16, 40));
  });
});

describe('age archive streams', () => {
  it('round-trips empty, one-chunk, exact-chunk and multi-chunk payloads, in any chunking', async () => {
    for (const size of [0, 1, 65_536, 65_537, 200_000]) {
      const data = randomBytes(size);
      const sealed = await encrypt(data);
      expect(sealed.subarray(0, 22).toString('latin1')).toBe('age-encryption.org/v1\n');
      expect(await decrypt(sealed), `size ${size}`).toEqual(data);
      expect(await decrypt(sealed, [identity], 1000), `size ${size} in small chunks`).toEqual(data);
    }
  });

  it('encrypts to every recipient: any one identity decrypts', async () => {
    const data = randomBytes(1000);
    const sealed = await encrypt(data, [await identityToRecipient(other), recipient]);
    expect(await decrypt(sealed, [identity])).toEqual(data);
    expect(await decrypt(sealed, [other])).toEqual(data);
  });

  it('refuses a wrong identity with a message that says so', async () => {
    const sealed = await encrypt(randomBytes(100_000));
    await expect(decrypt(sealed, [other])).rejects.toThrow("the age identity matches none of this archive's recipients (it was encrypted for another key, or its header was altered)");
  });

  it('catches a flipped byte in the header and in the payload, a cut archive and bytes after its end', async () => {
    const sealed = await encrypt(randomBytes(150_000));
    const headerEnd = sealed.indexOf('\n---') + 1;
    for (const at of [30, headerEnd + 10, headerEnd + 100, sealed.length - 1]) {
      const bad = Buffer.from(sealed);
      bad[at] = bad[at]! ^ 0x01;
      await expect(decrypt(bad), `flipped byte ${at}`).rejects.toThrow(/^(not an age archive, or its header is damaged|the age identity matches none of this archive's recipients|the archive failed authentication \(it was altered, damaged or truncated\)$)/);
    }
    for (const n of [0, 10, headerEnd + 20, headerEnd + 16 + 65_536 + 16, sealed.length - 1]) {
      await expect(decrypt(sealed.subarray(0, n)), `cut at ${n}`).rejects.toThrow(/^(not an age archive, or its header is damaged|the archive failed authentication)/);
    }
    await expect(decrypt(Buffer.concat([sealed, Buffer.from([0])]))).rejects.toThrow('the archive failed authentication (it was altered, damaged or truncated)');
  });

  it('refuses what is not an age file', async () => {
    await expect(decrypt(Buffer.from('SGBKENC1 and then some bytes\n'))).rejects.toThrow(/^not an age archive, or its header is damaged \(.+\)$/);
  });
});
