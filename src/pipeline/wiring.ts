/**
 * The one place that wires a run's effects: the store (with its retry budget),
 * the event bus, the journals that write to both, and whatever listens (the
 * CLI's renderers, and later notifiers and metrics). The CLI's deploy, rollback
 * and resume, `shipgate approve` and the library's DeploymentManager all come
 * through here, so a subscriber attached here hears every event any of them
 * journals.
 */
import { systemClock, type Clock } from '../runtime/clock.js';
import { fetchHttp, type HttpClient } from '../runtime/http.js';
import { processRunner, type Runner } from '../runtime/process.js';
import { currentIdentity, type ProcessIdentity } from '../runtime/process-identity.js';
import type { Masker } from '../runtime/secrets.js';
import type { Store } from '../store/contract.js';
import { openStore } from '../store/index.js';
import { resilientStore, type ResilientStore } from '../store/resilient.js';
import type { PipelineDeps } from './deps.js';
import { EventBus, type EventContext } from './events.js';
import { Journal } from './journal.js';

export interface WiringOptions {
  storeUrl: string;
  /** Folder a relative `sqlite:PATH` is resolved against. */
  root: string;
  /** How long store calls are retried. @default DEFAULT_STORE_RETRY_MS */
  storeRetryMs?: number;
  /** An open store to use instead of opening `storeUrl`; closed by `close()` like one opened here. */
  store?: Store;
  /** The library passes its public `events`; the CLI gets a new bus. */
  bus?: EventBus;
  /** Subscribers attached for the whole run (renderers, notifiers); each returns its detach function. */
  subscribers?: ((bus: EventBus) => () => void)[];
  /** Told about each retried store call. */
  onStoreRetry?: (info: { method: string; attempt: number; error: unknown }) => void;
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
  http?: HttpClient;
  run?: Runner;
  identity?: ProcessIdentity;
}

export interface Wiring {
  store: ResilientStore;
  bus: EventBus;
  /** What a Pipeline needs. */
  deps: PipelineDeps;
  /** A journal for one deployment (its events carry `context`). */
  journal(context: EventContext, masker: Masker): Journal;
  /** Detaches subscribers after their pending work settled (bounded), then closes the store. */
  close(): Promise<void>;
}

export async function wire(opts: WiringOptions): Promise<Wiring> {
  const clock = opts.clock ?? systemClock;
  const env = opts.env ?? process.env;
  const bus = opts.bus ?? new EventBus();
  const raw = opts.store ?? (await openStore(opts.storeUrl, { root: opts.root }));
  const store = resilientStore(raw, { clock, retryMs: opts.storeRetryMs, onRetry: opts.onStoreRetry });
  const detach = (opts.subscribers ?? []).map((subscribe) => subscribe(bus));
  const deps: PipelineDeps = { store, clock, http: opts.http ?? fetchHttp, run: opts.run ?? processRunner, bus, identity: opts.identity ?? currentIdentity(), env };
  return {
    store,
    bus,
    deps,
    journal: (context, masker) => new Journal(store, bus, clock, masker, context, env),
    async close() {
      await bus.settle();
      for (const off of detach) off();
      await raw.close();
    },
  };
}
