/**
 * Finds where a chunked body ends (RFC 9112 7.1) without copying or decoding
 * it: the router forwards chunked bodies byte for byte and only needs to know
 * where the next message starts, how much payload went by (for the body
 * limit), and whether the framing is sound. Strict like the head parser:
 * CRLF only, hex sizes of at most 15 digits, no control characters in
 * extensions or trailers, bounded extension and trailer sizes.
 */

/** Longest chunk-size line (size, extensions) and the most trailer bytes accepted. */
export const MAX_CHUNK_LINE = 4096;
export const MAX_TRAILERS = 16 * 1024;

const enum S {
  SizeStart,
  Size,
  SizeSpace,
  Extension,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerStart,
  Trailer,
  TrailerLf,
  EndLf,
  Done,
  Failed,
}

/** scan() result: the body is not complete yet. */
export const NEED_MORE = -1;
/** scan() result: the framing is broken (see `error`). */
export const BROKEN = -2;

const CR = 13;
const LF = 10;

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** A control character other than HTAB. */
function isCtl(c: number): boolean {
  return (c < 32 && c !== 9) || c === 127;
}

export class ChunkedScanner {
  private state = S.SizeStart;
  private size = 0;
  private digits = 0;
  private remaining = 0;
  private lineBytes = 0;
  private trailerBytes = 0;
  /** Payload bytes announced so far (chunk sizes, counted when a size line ends). */
  payload = 0;
  error = '';

  get done(): boolean {
    return this.state === S.Done;
  }

  /**
   * Scans `buf[from, to)`. Returns the index just past the body's end, NEED_MORE
   * when the whole range belongs to the body and more is to come, or BROKEN.
   */
  scan(buf: Uint8Array, from: number, to: number): number {
    let i = from;
    while (i < to) {
      switch (this.state) {
        case S.Data: {
          const n = Math.min(this.remaining, to - i);
          this.remaining -= n;
          i += n;
          if (this.remaining === 0) this.state = S.DataCr;
          continue;
        }
        case S.SizeStart: {
          const v = hexValue(buf[i]!);
          if (v < 0) return this.fail('a chunk without a size');
          this.size = v;
          this.digits = 1;
          this.lineBytes = 1;
          this.state = S.Size;
          break;
        }
        case S.Size: {
          const c = buf[i]!;
          const v = hexValue(c);
          if (v >= 0) {
            if (++this.digits > 15) return this.fail('a chunk size over 15 hex digits');
            this.size = this.size * 16 + v;
          } else if (c === CR) this.state = S.SizeLf;
          else if (c === 59 /* ; */) this.state = S.Extension;
          else if (c === 32 || c === 9) this.state = S.SizeSpace;
          else return this.fail('a malformed chunk size');
          this.lineBytes++;
          break;
        }
        case S.SizeSpace: {
          const c = buf[i]!;
          if (c === CR) this.state = S.SizeLf;
          else if (c === 59) this.state = S.Extension;
          else if (c !== 32 && c !== 9) return this.fail('a malformed chunk size');
          if (++this.lineBytes > MAX_CHUNK_LINE) return this.fail('a chunk size line over 4096 bytes');
          break;
        }
        case S.Extension: {
          const c = buf[i]!;
          if (c === CR) this.state = S.SizeLf;
          else if (isCtl(c)) return this.fail('a control character in a chunk extension');
          if (++this.lineBytes > MAX_CHUNK_LINE) return this.fail('a chunk size line over 4096 bytes');
          break;
        }
        case S.SizeLf:
          if (buf[i] !== LF) return this.fail('a bare CR in a chunk size line');
          this.payload += this.size;
          if (this.size === 0) this.state = S.TrailerStart;
          else {
            this.remaining = this.size;
            this.state = S.Data;
          }
          break;
        case S.DataCr:
          if (buf[i] !== CR) return this.fail('chunk data longer than its size');
          this.state = S.DataLf;
          break;
        case S.DataLf:
          if (buf[i] !== LF) return this.fail('chunk data not followed by CRLF');
          this.state = S.SizeStart;
          break;
        case S.TrailerStart: {
          const c = buf[i]!;
          if (c === CR) this.state = S.EndLf;
          else if (isCtl(c) || c === 32 || c === 9) return this.fail('a malformed trailer line');
          else this.state = S.Trailer;
          if (++this.trailerBytes > MAX_TRAILERS) return this.fail('trailers over 16 KiB');
          break;
        }
        case S.Trailer: {
          const c = buf[i]!;
          if (c === CR) this.state = S.TrailerLf;
          else if (isCtl(c)) return this.fail('a control character in a trailer');
          if (++this.trailerBytes > MAX_TRAILERS) return this.fail('trailers over 16 KiB');
          break;
        }
        case S.TrailerLf:
          if (buf[i] !== LF) return this.fail('a bare CR in a trailer');
          this.state = S.TrailerStart;
          break;
        case S.EndLf:
          if (buf[i] !== LF) return this.fail('a bare CR after the last chunk');
          this.state = S.Done;
          return i + 1;
        case S.Done:
          return i;
        case S.Failed:
          return BROKEN;
      }
      i++;
    }
    return this.state === S.Done ? i : this.state === S.Failed ? BROKEN : NEED_MORE;
  }

  private fail(reason: string): number {
    this.state = S.Failed;
    this.error = reason;
    return BROKEN;
  }
}
