/**
 * The cap on client connections. Each one holds a file descriptor (two while
 * it talks to an instance), and when the router process runs out of them its
 * control socket (through which the agent moves traffic) and its table writes
 * fail with the site: so the router holds at most `max` client connections,
 * well inside its own open-file limit.
 *
 * At the cap a new connection first closes the one that has been idle longest
 * (a keep-alive connection between requests, or one that never sent any; as
 * nginx reuses its "reusable" connections), since an idle client reconnects at
 * no cost. Only when every connection is busy is the new one answered 503
 * (`X-Shipgate-Error: connection-limit`) and closed. Refused connections
 * linger a moment so the client reads that answer rather than a reset, but
 * only MAX_REFUSING at a time; beyond, they are closed at once.
 */
import type { Socket } from 'node:net';
import type { Clock } from '../../runtime/clock.js';
import { CLOSE_LINES } from './client.js';
import type { ClientSet } from './context.js';
import { errorResponse, tooManyConnections } from './errors.js';

/** Descriptors the router process keeps beyond its connections: its control socket and the agent's calls on it, the table file, logs. */
export const FD_RESERVE = 256;
/** Refused connections lingering at once (each holds a descriptor until it closes). */
export const MAX_REFUSING = 64;
/** How long a refused connection stays to deliver its 503. */
export const REFUSAL_LINGER_MS = 1000;
/** The cap is logged when reached, at most this often. */
const LOG_EVERY_MS = 10_000;

/**
 * Pure: the cap the agent's open-file limit allows for a configured one: half
 * of what the reserve and the lingering refusals leave, since a connection may
 * hold a second descriptor to an instance. Null limit: unknown, as configured.
 */
export function connectionBudget(configured: number, fdLimit: number | null): number {
  if (fdLimit === null) return configured;
  return Math.max(1, Math.min(configured, Math.floor((fdLimit - FD_RESERVE - MAX_REFUSING) / 2)));
}

export class ConnectionCap {
  private refusing = 0;
  private loggedAt = -Infinity;

  constructor(
    /** Client connections at most (already within the budget). */
    public max: number,
    private readonly conns: ClientSet,
    private readonly clock: Clock,
    private readonly log?: (line: string) => void,
  ) {}

  /** Whether a new connection may join; makes room by closing the longest idle one when at the cap. */
  admits(): boolean {
    return this.conns.size < this.max || this.conns.closeOldestIdle();
  }

  /** Answers 503 and closes. */
  refuse(socket: Socket): void {
    this.report();
    socket.on('error', () => undefined);
    if (this.refusing >= MAX_REFUSING) return void socket.destroy();
    this.refusing++;
    socket.once('close', () => this.refusing--);
    socket.end(errorResponse(tooManyConnections(this.max), CLOSE_LINES));
    socket.resume(); // read and drop the request, so the client sees the answer and not a reset
    setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS).unref();
  }

  private report(): void {
    const now = this.clock.now();
    if (now - this.loggedAt < LOG_EVERY_MS) return;
    this.loggedAt = now;
    this.log?.(`router: all ${this.max} client connections are busy (router.maxConnections); new ones get 503 until some close`);
  }
}
