/** `shipgate notify list|retry|test`: what the outbox holds, sending failed ones again, and a test message per channel. */
import { UsageError } from '../../errors.js';
import { NOTIFICATION_STATUSES, type NotificationRow, type NotificationStatus } from '../../store/contract.js';
import { openStore } from '../../store/index.js';
import { createChannels, OutboxSender } from '../../notify/index.js';
import { liveSenders, type BackgroundSenderInfo } from '../../notify/background-sender.js';
import type { NotificationFacts } from '../../notify/contract.js';
import { systemClock } from '../../runtime/clock.js';
import { fetchHttp } from '../../runtime/http.js';
import { lightConfig } from '../context.js';
import { EXIT } from '../exit-codes.js';
import type { GlobalOptions, Output } from '../output.js';
import { fullConfig } from '../pipeline-context.js';

/** How long `notify retry` waits for the deliveries it starts. */
export const DEFAULT_RETRY_WAIT_MS = 30_000;

export interface NotifyListFlags extends GlobalOptions {
  status?: string;
  limit?: string;
}

function parseStatus(status: string | undefined): NotificationStatus | undefined {
  if (status === undefined) return undefined;
  if ((NOTIFICATION_STATUSES as readonly string[]).includes(status)) return status as NotificationStatus;
  throw new UsageError(`--status: expected one of ${NOTIFICATION_STATUSES.join(', ')} (got "${status}")`);
}

function parseLimit(limit: string | undefined): number {
  if (limit === undefined) return 50;
  if (!/^\d+$/.test(limit) || Number(limit) < 1 || Number(limit) > 10_000) throw new UsageError(`--limit: expected a whole number from 1 to 10000 (got "${limit}")`);
  return Number(limit);
}

function rowJson(n: NotificationRow): Record<string, unknown> {
  return { id: n.id, deployment_id: n.deploymentId, alert_id: n.alertId, channel: n.channel, event: n.event, status: n.status, attempts: n.attempts, next_at: n.nextAt, sent_at: n.sentAt, last_error: n.lastError };
}

function rowLine(n: NotificationRow): string {
  const when = n.status === 'sent' ? `sent ${n.sentAt}` : n.status === 'pending' ? `due ${n.nextAt}` : 'gave up';
  return `${n.id}  ${n.channel}  ${n.event}  ${n.status} (${n.attempts} attempts, ${when})${n.lastError ? `  last error: ${n.lastError}` : ''}`;
}

/** Pure: who sends the pending deliveries listed: a background sender still at work, or the next command. */
export function pendingNote(rows: readonly NotificationRow[], senders: readonly BackgroundSenderInfo[]): string[] {
  const pending = rows.filter((r) => r.status === 'pending').length;
  if (pending === 0) return [];
  if (senders.length === 0) return [`${pending} pending: sent by the next deploy, rollback, resume or notify retry, or by shipgate serve`];
  const who = senders.map((s) => (s.waitingFor === undefined ? `pid ${s.pid}, trying until ${s.until}` : `pid ${s.pid}, starting when pid ${s.waitingFor} exits`)).join('; ');
  return [`${pending} pending: in the hands of the background sender (${who}); what it cannot send waits for the next command or shipgate serve`];
}

export async function notifyListCommand(flags: NotifyListFlags, out: Output): Promise<number> {
  const status = parseStatus(flags.status);
  const limit = parseLimit(flags.limit);
  const settings = await lightConfig(flags, out);
  const store = await openStore(settings.storeUrl, { root: settings.root });
  try {
    const rows = await store.listNotifications({ ...(status ? { status } : {}), limit });
    if (out.json) out.result(rows.map(rowJson));
    else if (rows.length === 0) out.line('no notifications');
    else for (const r of rows) out.line(rowLine(r));
    if (!out.json) for (const line of pendingNote(rows, liveSenders(settings.root))) out.line(line);
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

/** `notify retry [id...]`: failed deliveries become pending again and are sent now (what is due anyway goes too). */
export async function notifyRetryCommand(ids: string[], flags: GlobalOptions, out: Output): Promise<number> {
  const loaded = await fullConfig(flags, out);
  const store = await openStore(loaded.config.store.url, { root: loaded.root });
  try {
    const requeued = await store.retryNotifications(new Date().toISOString(), ids.length > 0 ? ids : undefined);
    const sender = new OutboxSender({ store, channels: createChannels(loaded.config.notify, fetchHttp, loaded.masker), clock: systemClock, masker: loaded.masker, onFailure: (row, error) => out.err(`warning: ${row.channel}: ${error}`) });
    await sender.flush(DEFAULT_RETRY_WAIT_MS);
    const left = await store.listNotifications({ status: 'failed', limit: 10_000 });
    const pending = (await store.listNotifications({ status: 'pending', limit: 10_000 })).length;
    if (out.json) out.result({ requeued, pending, failed: left.length });
    else out.line(`requeued ${requeued}; still pending ${pending}, failed ${left.length}`);
    return left.length === 0 && pending === 0 ? EXIT.ok : EXIT.failed;
  } finally {
    await store.close();
  }
}

export interface NotifyTestFlags extends GlobalOptions {
  channel?: string;
}

/** The facts of a test message: plainly a test, in the configured environment. */
export function testFacts(app: string, environment: string, at: string): NotificationFacts {
  return { event: 'test', deploymentId: 'test', app, environment, version: 'test', previousVersion: null, kind: 'deploy', actor: 'shipgate notify test', reason: 'a test message: nothing was deployed', gitSha: null, at, error: null, ciUrl: null, health: 'not checked (test)' };
}

/** `notify test [--channel NAME]`: one message to each channel, right now, outside the outbox. */
export async function notifyTestCommand(flags: NotifyTestFlags, out: Output): Promise<number> {
  const loaded = await fullConfig(flags, out);
  const channels = createChannels(loaded.config.notify, fetchHttp, loaded.masker).filter((c) => flags.channel === undefined || c.name === flags.channel);
  if (channels.length === 0) throw new UsageError(flags.channel ? `--channel: no channel named "${flags.channel}" in notify (shipgate notify list shows names in use)` : 'notify: no channels configured');
  const now = Date.now();
  const results = await Promise.all(
    channels.map(async (c) => {
      const r = await c.send({ id: `ntf_test_${now}_${c.name}`, facts: testFacts(loaded.config.app, loaded.environment, new Date(now).toISOString()), now, signal: AbortSignal.timeout(c.timeoutMs) }).catch((err: Error) => ({ ok: false as const, error: err.message }));
      return { channel: c.name, type: c.type, ok: r.ok, error: r.ok ? null : loaded.masker.mask(r.error) };
    }),
  );
  if (out.json) out.result(results);
  else for (const r of results) out.line(`${r.ok ? '✔' : '✘'} ${r.channel} (${r.type})${r.error ? `: ${r.error}` : ''}`);
  return results.every((r) => r.ok) ? EXIT.ok : EXIT.failed;
}
