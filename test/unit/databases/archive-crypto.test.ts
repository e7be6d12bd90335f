import { createHash, randomBytes } from 'node:crypto';
import { Readable, type Duplex } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { through as throughStage } from '../../support/through.js';
import { describe, expect, it } from 'vitest';
import { createDecryptor, createEncryptor } from '../../../src/databases/archive/crypto.js';
import { HEADER_BYTES } from '../../../src/databases/archive/frames.js';
import { writeArchive } from '../../../src/databases/archive/archive.js';

const KEY = 'correct horse battery staple, thirty-two+ chars';
// A small scrypt cost and frame keep these tests fast; the format is the same.
const FAST = { logN: 10, frameBytes: 16 };

const through = (data: Buffer, t: Duplex, chunk = 7): Promise<Buffer> => throughStage(data, t, chunk);

const encrypt = (data: Buffer): Promise<Buffer> => through(data, createEncryptor(KEY, FAST));
const decrypt = (data: Buffer, key = KEY): Promise<Buffer> => through(data, createDecryptor(key, { frameBytes: FAST.frameBytes }));

describe('archive encryption', () => {
  it('round-trips empty, exact-frame and multi-frame payloads, in any chunking', async () => {
    for (const size of [0, 1, 16, 17, 32, 100]) {
      const data = randomBytes(size);
      const sealed = await encrypt(data);
      expect(sealed.length).toBeGreaterThan(HEADER_BYTES + size);
      expect(await decrypt(sealed)).toEqual(data);
      expect(await through(sealed, createDecryptor(KEY, { frameBytes: 16 }), 1)).toEqual(data);
    }
  });

  it('refuses a wrong key with a message that says so', async () => {
    const sealed = await encrypt(Buffer.from('hello world, a secret table'));
    await expect(decrypt(sealed, 'another passphrase of at least thirty-two chars')).rejects.toThrow('the encryption key does not match this archive (it was encrypted with another key)');
  });

  it('catches every single flipped byte, wherever it is', async () => {
    const sealed = await encrypt(randomBytes(40));
    for (let i = 0; i < sealed.length; i++) {
      const bad = Buffer.from(sealed);
      bad[i] = bad[i]! ^ 0x01;
      await expect(decrypt(bad), `flipped byte ${i}`).rejects.toThrow(/damaged|altered|truncated|does not match|not an encrypted/);
    }
  });

  it('catches every truncation, also at a frame boundary, and bytes after the final frame', async () => {
    const sealed = await encrypt(randomBytes(40));
    for (let n = 0; n < sealed.length; n++) {
      await expect(decrypt(sealed.subarray(0, n)), `cut at ${n}`).rejects.toThrow(/truncated|damaged/);
    }
    await expect(decrypt(Buffer.concat([sealed, Buffer.from([0])]))).rejects.toThrow('the archive has 1 bytes after its final frame');
  });

  it('pins the truncation message at a frame boundary', async () => {
    const sealed = await encrypt(randomBytes(40));
    // 40 bytes in 16-byte frames: two full frames, then the final one of 8; each frame adds 33 bytes.
    await expect(decrypt(sealed.subarray(0, HEADER_BYTES + 2 * (16 + 33)))).rejects.toThrow('the archive is truncated (it ends after 2 frames, without the final frame)');
  });
});

describe('writeArchive', () => {
  it('hashes the stored bytes (after gzip and encryption), so the sha256 is checkable without the key', async () => {
    let stored = Buffer.alloc(0);
    const written = await writeArchive(Readable.from([Buffer.from('x'.repeat(100_000))]), { compression: 'gzip', passphrase: KEY }, async (body) => {
      stored = await buffer(body);
    });
    expect(written.size).toBe(stored.length);
    expect(written.sha256).toBe(createHash('sha256').update(stored).digest('hex'));
    expect(stored.subarray(0, 8).toString('latin1')).toBe('SGBKENC1');
  });

  it('fails when the sink fails, and when the source fails', async () => {
    await expect(writeArchive(Readable.from([Buffer.from('a')]), { compression: 'none' }, async () => { throw new Error('disk full'); })).rejects.toThrow('disk full');
    const broken = new Readable({ read() { this.destroy(new Error('dump died')); } });
    await expect(writeArchive(broken, { compression: 'gzip' }, (body) => buffer(body))).rejects.toThrow('dump died');
  });
});
