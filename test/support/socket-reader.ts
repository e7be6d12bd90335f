/**
 * A raw TCP client's incoming bytes, read on demand: `take` waits until a
 * parser finds what it wants in the unread bytes, consumes it and returns it,
 * or fails with what was unread (the router tests read answers byte for byte
 * with it, to see exactly what went over the wire).
 */
import type { Socket } from 'node:net';

/** Finds a value at the start of `buf` (`ended`: no more bytes will come); null when more are needed. */
export type Parse<T> = (buf: Buffer, ended: boolean) => { used: number; value: T } | null;

export class SocketReader {
  private buf = Buffer.alloc(0);
  /** The peer sent FIN or the socket closed. */
  ended = false;
  readonly closed: Promise<void>;
  private wake: (() => void) | null = null;

  constructor(
    readonly socket: Socket,
    /** How long `take` waits by default. */
    readonly waitMs: number,
  ) {
    socket.on('data', (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      this.notify();
    });
    socket.on('end', () => this.stop());
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.stop();
        resolve();
      }),
    );
  }

  /** Bytes received and not read yet. */
  get unread(): Buffer {
    return this.buf;
  }

  private stop(): void {
    this.ended = true;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  async take<T>(what: string, parse: Parse<T>, timeoutMs = this.waitMs): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = parse(this.buf, this.ended);
      if (r !== null) {
        this.buf = this.buf.subarray(r.used);
        return r.value;
      }
      const unread = JSON.stringify(this.buf.toString('latin1').slice(0, 300));
      if (this.ended) throw new Error(`${what}: the connection ended first; unread: ${unread}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${what}: nothing within ${timeoutMs} ms; unread: ${unread}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}
