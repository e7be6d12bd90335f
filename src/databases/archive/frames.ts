import { createCipheriv, createDecipheriv, timingSafeEqual } from 'node:crypto';

/**
 * The encrypted archive format, as pure functions over buffers (the streams in
 * ./crypto.ts only feed them):
 *
 *   header: MAGIC (8) | scrypt log2 N (1) | salt (16) | key check (16)
 *   frame:  flags (1) | plaintext length (u32 BE) | nonce (12) | ciphertext | GCM tag (16)
 *
 * Every frame's additional data binds it to the header, its index, its flags and
 * its length, so frames cannot be reordered, dropped, or moved between archives.
 * The last frame carries FINAL_FLAG: an archive cut at a frame boundary has no
 * final frame and is refused. The key check (derived with the key, not the key
 * itself) tells a wrong passphrase apart from a damaged archive.
 */

export const MAGIC = Buffer.from('SGBKENC1', 'latin1');
export const SALT_BYTES = 16;
export const KEY_CHECK_BYTES = 16;
export const HEADER_BYTES = MAGIC.length + 1 + SALT_BYTES + KEY_CHECK_BYTES;
export const DEFAULT_FRAME_BYTES = 64 * 1024;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
export const FRAME_PREFIX_BYTES = 1 + 4 + NONCE_BYTES;
export const FINAL_FLAG = 1;

export interface ArchiveHeader {
  logN: number;
  salt: Buffer;
  keyCheck: Buffer;
}

export function encodeHeader(h: ArchiveHeader): Buffer {
  return Buffer.concat([MAGIC, Buffer.from([h.logN]), h.salt, h.keyCheck]);
}

/** Parses the header, or throws naming what is wrong (not an encrypted shipgate archive). */
export function decodeHeader(buf: Buffer): ArchiveHeader {
  if (buf.length < HEADER_BYTES || !buf.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new Error('not an encrypted shipgate archive (its header is missing or damaged)');
  }
  const logN = buf[MAGIC.length]!;
  if (logN < 10 || logN > 22) throw new Error(`the archive header is damaged (scrypt cost 2^${logN} is out of range)`);
  const salt = buf.subarray(MAGIC.length + 1, MAGIC.length + 1 + SALT_BYTES);
  return { logN, salt: Buffer.from(salt), keyCheck: Buffer.from(buf.subarray(MAGIC.length + 1 + SALT_BYTES, HEADER_BYTES)) };
}

/** Whether `expected` (from the header) matches the check derived from the passphrase. */
export function keyCheckMatches(expected: Buffer, derived: Buffer): boolean {
  return expected.length === derived.length && timingSafeEqual(expected, derived);
}

function additionalData(header: Buffer, index: number, flags: number, length: number): Buffer {
  const tail = Buffer.alloc(8 + 1 + 4);
  tail.writeBigUInt64BE(BigInt(index), 0);
  tail.writeUInt8(flags, 8);
  tail.writeUInt32BE(length, 9);
  return Buffer.concat([header, tail]);
}

export interface FrameInput {
  key: Buffer;
  header: Buffer;
  index: number;
  final: boolean;
  nonce: Buffer;
  plaintext: Buffer;
}

/** One sealed frame: prefix, ciphertext and tag. */
export function sealFrame(f: FrameInput): Buffer {
  const flags = f.final ? FINAL_FLAG : 0;
  const prefix = Buffer.alloc(5);
  prefix.writeUInt8(flags, 0);
  prefix.writeUInt32BE(f.plaintext.length, 1);
  const cipher = createCipheriv('aes-256-gcm', f.key, f.nonce);
  cipher.setAAD(additionalData(f.header, f.index, flags, f.plaintext.length));
  const body = Buffer.concat([cipher.update(f.plaintext), cipher.final()]);
  return Buffer.concat([prefix, f.nonce, body, cipher.getAuthTag()]);
}

export interface OpenedFrame {
  plaintext: Buffer;
  final: boolean;
  /** Bytes of `buf` the frame took. */
  consumed: number;
}

/**
 * Opens the frame at the start of `buf`: null when `buf` does not hold a whole
 * frame yet; throws when the frame is damaged or was sealed under another key.
 */
export function openFrame(buf: Buffer, key: Buffer, header: Buffer, index: number, maxFrame: number): OpenedFrame | null {
  if (buf.length < FRAME_PREFIX_BYTES) return null;
  const flags = buf.readUInt8(0);
  const length = buf.readUInt32BE(1);
  if ((flags & ~FINAL_FLAG) !== 0 || length > maxFrame) throw new Error(`frame ${index} is damaged (its length or flags are invalid)`);
  const total = FRAME_PREFIX_BYTES + length + TAG_BYTES;
  if (buf.length < total) return null;
  const decipher = createDecipheriv('aes-256-gcm', key, buf.subarray(5, FRAME_PREFIX_BYTES));
  decipher.setAAD(additionalData(header, index, flags, length));
  decipher.setAuthTag(buf.subarray(total - TAG_BYTES, total));
  try {
    const plaintext = Buffer.concat([decipher.update(buf.subarray(FRAME_PREFIX_BYTES, total - TAG_BYTES)), decipher.final()]);
    return { plaintext, final: (flags & FINAL_FLAG) !== 0, consumed: total };
  } catch {
    throw new Error(`frame ${index} failed authentication (the archive was altered or damaged)`);
  }
}
