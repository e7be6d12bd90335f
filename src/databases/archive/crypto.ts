import { randomBytes, scrypt } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { decodeHeader, DEFAULT_FRAME_BYTES, encodeHeader, HEADER_BYTES, KEY_CHECK_BYTES, keyCheckMatches, NONCE_BYTES, openFrame, SALT_BYTES, sealFrame } from './frames.js';

/**
 * Streaming encryption of archives (format in ./frames.ts): at most one frame
 * is held in memory at a time, whatever the archive's size.
 */

/** scrypt cost of new archives: 2^15 (32 MiB, about 0.1 s); old archives carry their own in the header. */
export const DEFAULT_SCRYPT_LOG_N = 15;

interface DerivedKey {
  key: Buffer;
  keyCheck: Buffer;
}

/** AES key and key check from the passphrase and the archive's salt. */
export function deriveKey(passphrase: string, salt: Buffer, logN: number): Promise<DerivedKey> {
  const N = 2 ** logN;
  return new Promise((resolve, reject) => {
    scrypt(passphrase, salt, 32 + KEY_CHECK_BYTES, { N, r: 8, p: 1, maxmem: 256 * N * 8 + 1024 * 1024 }, (err, out) => {
      if (err) reject(err);
      else resolve({ key: out.subarray(0, 32), keyCheck: out.subarray(32) });
    });
  });
}

export interface EncryptOptions {
  /** @default DEFAULT_SCRYPT_LOG_N */
  logN?: number;
  /** @default DEFAULT_FRAME_BYTES */
  frameBytes?: number;
}

/** Plaintext in, header and sealed frames out. */
export function createEncryptor(passphrase: string, opts: EncryptOptions = {}): Transform {
  const logN = opts.logN ?? DEFAULT_SCRYPT_LOG_N;
  const frameBytes = opts.frameBytes ?? DEFAULT_FRAME_BYTES;
  const salt = randomBytes(SALT_BYTES);
  const ready = deriveKey(passphrase, salt, logN);
  let header: Buffer | null = null;
  let key: Buffer;
  let pending = Buffer.alloc(0);
  let index = 0;
  const seal = (plaintext: Buffer, final: boolean): Buffer => sealFrame({ key, header: header!, index: index++, final, nonce: randomBytes(NONCE_BYTES), plaintext });
  const start = async (t: Transform): Promise<void> => {
    if (header) return;
    const derived = await ready;
    key = derived.key;
    header = encodeHeader({ logN, salt, keyCheck: derived.keyCheck });
    t.push(header);
  };
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      start(this).then(() => {
        pending = Buffer.concat([pending, chunk]);
        while (pending.length > frameBytes) {
          this.push(seal(pending.subarray(0, frameBytes), false));
          pending = pending.subarray(frameBytes);
        }
        done();
      }, done);
    },
    flush(done: TransformCallback) {
      start(this).then(() => done(null, seal(pending, true)), done);
    },
  });
}

/**
 * Header and frames in, plaintext out. Fails with a clear message on a wrong
 * passphrase, a damaged frame, a missing final frame (truncation) or bytes after it.
 */
export function createDecryptor(passphrase: string, opts: { frameBytes?: number } = {}): Transform {
  const maxFrame = opts.frameBytes ?? DEFAULT_FRAME_BYTES;
  let buf = Buffer.alloc(0);
  let header: Buffer | null = null;
  let key: Buffer;
  let index = 0;
  let finished = false;
  const readHeader = async (): Promise<void> => {
    const parsed = decodeHeader(buf.subarray(0, HEADER_BYTES));
    const derived = await deriveKey(passphrase, parsed.salt, parsed.logN);
    if (!keyCheckMatches(parsed.keyCheck, derived.keyCheck)) throw new Error('the encryption key does not match this archive (it was encrypted with another key)');
    header = Buffer.from(buf.subarray(0, HEADER_BYTES));
    key = derived.key;
    buf = buf.subarray(HEADER_BYTES);
  };
  const drain = (t: Transform): void => {
    for (;;) {
      if (finished && buf.length > 0) throw new Error(`the archive has ${buf.length} bytes after its final frame`);
      const frame = openFrame(buf, key, header!, index, maxFrame);
      if (!frame) return;
      index++;
      buf = buf.subarray(frame.consumed);
      finished = frame.final;
      if (frame.plaintext.length > 0) t.push(frame.plaintext);
    }
  };
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      buf = Buffer.concat([buf, chunk]);
      const step = async (): Promise<void> => {
        if (!header) {
          if (buf.length < HEADER_BYTES) return;
          await readHeader();
        }
        drain(this);
      };
      step().then(() => done(), done);
    },
    flush(done: TransformCallback) {
      if (!header) return done(new Error('the archive is truncated (its header is incomplete)'));
      if (!finished) return done(new Error(`the archive is truncated (it ends after ${index} frames, without the final frame)`));
      done();
    },
  });
}
