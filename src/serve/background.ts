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

export interface BackgroundOptions {
  store: SqlStore;
  loaded: LoadedConfig;
  /** @default fetchHttp */
  http?: HttpClient;
  /** Told about failed deliveries and rule errors (masked). */
  onError: (message: string) => void;
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
    },
    async stop() {
      clearInterval(drain);
      unsubscribe();
      await monitor.stop();
      await sender.flush();
    },
  };
}
