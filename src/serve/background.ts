/**
 * What `shipgate serve` does besides answering: evaluates the `monitor:` rules on their
 * intervals, and sends what the notification outbox holds (alerts, and rows a CLI left pending
 * when it exited or was killed). Rows are claimed one sender at a time, so serve and a CLI
 * draining the same store never both send a row, beyond a sender that overran its lease.
 */
import type { LoadedConfig } from '../config/load.js';
import { toMs } from '../config/duration.js';
import { DEFAULT_MONITOR_DRAIN, DEFAULT_MONITOR_INTERVAL } from '../config/schema/monitor.js';
import { probeOnce } from '../health/probe.js';
import { Monitor, type Probe } from '../monitor/monitor.js';
import { createAlertRoute, type AlertRoute } from '../notify/alert-facts.js';
import { createChannels, OutboxSender } from '../notify/index.js';
import { systemClock } from '../runtime/clock.js';
import { fetchHttp, type HttpClient } from '../runtime/http.js';
import type { AlertRow, SqlStore } from '../store/index.js';
import type { JournalTail } from './journal-tail.js';
import { FlyClient } from '../providers/fly/client.js';
import { FLY_TOKEN_ENV } from '../config/schema/fly.js';
import { startStandbySweeper } from '../providers/fly/standby.js';

export interface BackgroundOptions {
  store: SqlStore;
  loaded: LoadedConfig;
  /** @default fetchHttp */
  http?: HttpClient;
  /** Told about failed deliveries and rule errors (masked). */
  onError: (message: string) => void;
  /** Told what the background did that a person should know (kept Fly.io machines destroyed). */
  onNote?: (message: string) => void;
  /** Where FLY_API_TOKEN is read. @default process.env */
  env?: NodeJS.ProcessEnv;
}

export interface Background {
  alertRoute: AlertRoute;
  onAlert: (alert: AlertRow) => void;
  /** Starts the rules and the drain; `tail`'s events kick the sender too (a CLI's new rows). */
  start(tail: JournalTail): void;
  stop(): Promise<void>;
  readonly rules: number;
  readonly channels: number;
}

export function createBackground(opts: BackgroundOptions): Background {
  const { config, masker, environment } = opts.loaded;
  const http = opts.http ?? fetchHttp;
  const monitorConfig = config.monitor;
  const alertRoute = createAlertRoute(config.notify);
  const sender = new OutboxSender({
    store: opts.store,
    channels: createChannels(config.notify, http, masker),
    clock: systemClock,
    masker,
    onFailure: (row, error) => opts.onError(`notification ${row.event} to ${row.channel} failed: ${error} (retried later)`),
  });
  const probe: Probe = async (url, timeoutMs, expect) => {
    const r = await probeOnce(url, timeoutMs, expect, { http, clock: systemClock });
    return { ok: r.healthy, reason: r.reason };
  };
  const monitor = new Monitor({
    store: opts.store,
    app: config.app,
    environment,
    rules: monitorConfig?.rules ?? [],
    intervalMs: toMs(monitorConfig?.interval ?? DEFAULT_MONITOR_INTERVAL),
    probe,
    route: alertRoute,
    masker,
    onAlert: () => sender.kick(),
    onError: opts.onError,
  });
  let drain: NodeJS.Timeout | undefined;
  let sweeper: { stop(): Promise<void> } | null = null;
  let unsubscribe = (): void => undefined;
  return {
    alertRoute,
    onAlert: () => sender.kick(),
    rules: monitorConfig?.rules.length ?? 0,
    channels: config.notify.length,
    start(tail) {
      unsubscribe = tail.subscribe(() => sender.kick());
      sender.kick();
      drain = setInterval(() => sender.kick(), toMs(monitorConfig?.drain ?? DEFAULT_MONITOR_DRAIN));
      monitor.start();
      sweeper = startSweeper(opts, http);
    },
    async stop() {
      clearInterval(drain);
      await sweeper?.stop();
      unsubscribe();
      await monitor.stop();
      await sender.flush();
    },
  };
}

/**
 * On a Fly.io environment, kept blue machines are destroyed when their rollback
 * window closes (no other process of shipgate's runs then). Without a token it
 * says why once, and does nothing.
 */
function startSweeper(opts: BackgroundOptions, http: HttpClient): { stop(): Promise<void> } | null {
  const provider = opts.loaded.config.provider;
  if (provider.type !== 'fly') return null;
  const token = (opts.env ?? process.env)[FLY_TOKEN_ENV];
  if (!token) {
    opts.onError(`kept blue machines of ${provider.app} are not destroyed when their rollback window closes: ${FLY_TOKEN_ENV} is not set (the next deploy removes them)`);
    return null;
  }
  const client = new FlyClient({ apiUrl: provider.apiUrl, app: provider.app, token, http, clock: systemClock });
  return startStandbySweeper({
    client,
    clock: systemClock,
    onError: (message) => opts.onError(opts.loaded.masker.mask(message)),
    onSwept: (r) => {
      if (r.destroyed.length > 0) opts.onNote?.(`rollback window closed: destroyed ${r.destroyed.length} kept blue machine(s) of ${provider.app}: ${r.destroyed.join(', ')}`);
      if (r.busy.length > 0) opts.onNote?.(`kept blue machine(s) ${r.busy.join(', ')} of ${provider.app} are leased by another run: tried again shortly`);
    },
  });
}
