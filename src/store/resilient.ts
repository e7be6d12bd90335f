/**
 * A store that rides out a blink: a PostgreSQL restart, a connection reset, a
 * busy or briefly full SQLite file. Every call is retried with bounded backoff
 * while its error looks transient; once the budget is spent the store is
 * `tripped`: the run stops as interrupted (see RunInterrupted), and later calls
 * get one attempt each (a process on its way out does not wait again) until one
 * succeeds. A write whose commit happened but whose answer was lost is retried
 * too: an insert that then meets its own row counts as done; an appended event
 * may then be journaled twice (readers of the journal tolerate a repeat).
 */
import { StoreUnavailable, errorMessage } from '../errors.js';
import type { Clock } from '../runtime/clock.js';
import type { Store } from './contract.js';

/** How long a store call is retried before the run stops as interrupted. */
export const DEFAULT_STORE_RETRY_MS = 30_000;
const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 2000;

export { StoreUnavailable };

const NET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTCONN', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED']);
/** PostgreSQL SQLSTATEs worth another try: connection exceptions, shutdown, starting up, too many connections. */
const PG_STATES = /^(08...|57P0[123]|53300)$/;
const SQLITE_CODES = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|PROTOCOL)/;
/** A unique key's conflict: after a retry, the first try had committed before its answer was lost. */
const CONFLICT_CODES = /^(23505|SQLITE_CONSTRAINT_(PRIMARYKEY|UNIQUE))$/;
/** Inserts whose conflict on a retry means "already done": the row is the one the first try wrote. */
const INSERTS_DONE_ON_CONFLICT: ReadonlySet<string> = new Set(['createDeployment', 'addApproval', 'createIncident']);
const PG_MESSAGES = /Connection terminated|connection timeout|timeout exceeded when trying to connect|not queryable|the database system is (starting up|shutting down|in recovery)/i;

/** Pure: does this error say "try again later" rather than "this will never work"? */
export function isTransientStoreError(err: unknown): boolean {
  const code = String((err as { code?: unknown } | null)?.code ?? '');
  return NET_CODES.has(code) || PG_STATES.test(code) || SQLITE_CODES.test(code) || PG_MESSAGES.test(errorMessage(err));
}

export interface ResilientOptions {
  clock: Clock;
  /** @default DEFAULT_STORE_RETRY_MS */
  retryMs?: number;
  /** Told about each failed attempt that will be retried (a warning line, say). */
  onRetry?: (info: { method: string; attempt: number; error: unknown }) => void;
}

export interface ResilientStore extends Store {
  /** True once a call ran out of retries. */
  readonly tripped: boolean;
}

/** Wraps every method of `store` in {@link withRetry}. */
export function resilientStore(store: Store, opts: ResilientOptions): ResilientStore {
  const state: Outage = { tripped: false, since: null };
  return new Proxy(store, {
    get(target, key, receiver) {
      if (key === 'tripped') return state.tripped;
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== 'function' || key === 'close') return typeof value === 'function' ? value.bind(target) : value;
      return (...args: unknown[]) => withRetry(() => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args), String(key), state, opts);
    },
  }) as ResilientStore;
}

/** Since when the store has not answered (null: it answers), and whether a call ran out of retries. */
interface Outage {
  tripped: boolean;
  since: number | null;
}

async function withRetry<T>(call: () => Promise<T>, method: string, state: Outage, opts: ResilientOptions): Promise<T> {
  const budget = opts.retryMs ?? DEFAULT_STORE_RETRY_MS;
  const started = opts.clock.now();
  let backoff = FIRST_BACKOFF_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await call();
      // The store answers again: a later outage gets its whole budget.
      state.since = null;
      state.tripped = false;
      return result;
    } catch (err) {
      if (attempt > 1 && INSERTS_DONE_ON_CONFLICT.has(method) && CONFLICT_CODES.test(String((err as { code?: unknown }).code ?? ''))) return undefined as T;
      if (!isTransientStoreError(err)) throw err;
      state.since ??= started;
      const spent = opts.clock.now() - started;
      if (state.tripped || spent >= budget) {
        state.tripped = true;
        const down = Math.round((opts.clock.now() - state.since) / 1000);
        throw new StoreUnavailable(`the state store did not answer for ${down}s (${method}: ${errorMessage(err)})`, { cause: err });
      }
      opts.onRetry?.({ method, attempt, error: err });
      await opts.clock.sleep(Math.min(backoff, budget - spent));
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  }
}
