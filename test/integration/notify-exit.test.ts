/**
 * The CLI's notifier at exit and the background sender, in-process: a real SQLite outbox and
 * real HTTP receivers. A delivery to a channel that hangs is cut off and released (due at once,
 * same key, for the background sender); a young delivery to a healthy channel is waited for;
 * the background sender's drain retries until everything is sent.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotifySchema } from '../../src/config/schema/notify.js';
import { drainOutbox } from '../../src/notify/drain.js';
import { createChannels, createOutboxRoute, OutboxSender } from '../../src/notify/index.js';
import { STOPPED_ERROR } from '../../src/notify/sender.js';
import { systemClock } from '../../src/runtime/clock.js';
import { fetchHttp } from '../../src/runtime/http.js';
import { Masker } from '../../src/runtime/secrets.js';
import type { NewDeployment, Store } from '../../src/store/contract.js';
import { openStore } from '../../src/store/index.js';
import { makeTempDir, type TempDir } from '../support/tmp.js';

const DEP: NewDeployment = {
  id: 'dep_20261203T200000Z_0001',
  app: 'shop',
  environment: 'production',
  kind: 'deploy',
  version: 'v2.0.0',
  previousVersion: 'v1.9.0',
  status: 'succeeded',
  triggeredBy: 'alice',
  reason: null,
  gitSha: null,
  gitRef: null,
  rollbackOf: null,
  startedAt: '2026-12-03T20:00:00.000Z',
  meta: {},
};
const masker = new Masker([]);

let dir: TempDir;
let store: Store;
const closers: (() => Promise<void> | void)[] = [];

beforeEach(async () => {
  dir = await makeTempDir('shipgate-notify-exit-');
  store = await openStore('sqlite:state.db', { root: dir.path });
  await store.createDeployment(DEP);
});

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await store.close();
  await dir.cleanup();
});

/** A receiver whose `answer` decides each request: a status (after `delayMs`), or null to never answer. */
async function hook(answer: (n: number) => { status: number; delayMs?: number } | null): Promise<{ url: string; ids: string[] }> {
  const ids: string[] = [];
  const open = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      ids.push(String(req.headers['webhook-id']));
      const a = answer(ids.length);
      if (a === null) return void open.add(res);
      setTimeout(() => res.writeHead(a.status).end('ok'), a.delayMs ?? 0);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise<void>((r) => (open.forEach((res) => res.destroy()), server.closeAllConnections(), server.close(() => r()))));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, ids };
}

async function journal(urls: string[]): Promise<ReturnType<typeof createChannels>> {
  const config = NotifySchema.parse(urls.map((url) => ({ type: 'webhook', url, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', timeout: '30s' })));
  const data = { deploymentId: DEP.id, status: 'succeeded' };
  await store.appendEvent({ deploymentId: DEP.id, at: new Date().toISOString(), type: 'deploy:finished', stage: null, step: null, data }, createOutboxRoute(config)('deploy:finished', data, DEP.environment));
  return createChannels(config, fetchHttp, masker);
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 10));
}

async function untilAsync(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 10));
}

describe('the notifier at exit', () => {
  it('at exit, a young delivery to a channel that answered before is waited for; once its grace ends, one to a channel that stopped answering is cut off and released (due now, same key)', async () => {
    // Both answer the run's first event; then one hangs, the other answers in 100 ms.
    const hung = await hook((n) => (n === 1 ? { status: 200 } : null));
    const healthy = await hook((n) => ({ status: 200, delayMs: n === 1 ? 0 : 100 }));
    const channels = await journal([hung.url, healthy.url]);
    const sender = new OutboxSender({ store, channels, clock: systemClock, masker });
    sender.kick();
    await until(() => hung.ids.length === 1 && healthy.ids.length === 1);
    await untilAsync(async () => (await store.listNotifications({ limit: 10 })).every((r) => r.status === 'sent'));
    await journal([hung.url, healthy.url]);
    sender.kick();
    await until(() => hung.ids.length === 2 && healthy.ids.length === 2);
    // A grace far longer than the healthy receiver's answer: it is sent, not cut off; the hung one is cut off at the grace's end.
    await sender.stopForExit(1_500);
    const rows = (await store.listNotifications({ limit: 10 })).filter((r) => r.id === hung.ids[1] || r.id === healthy.ids[1]);
    const byChannel = new Map(rows.map((r) => [r.channel, r]));
    expect(byChannel.get('webhook-2')).toMatchObject({ status: 'sent' });
    const released = byChannel.get('webhook-1')!;
    expect(released).toMatchObject({ status: 'pending', attempts: 1, lastError: STOPPED_ERROR });
    expect(Date.parse(released.nextAt)).toBeLessThanOrEqual(Date.now());
    expect(hung.ids[1]).toBe(released.id);
  });

  it('at exit, a delivery to a channel that has not answered in this process is not waited for: cut off and released at once', async () => {
    const silent = await hook(() => null);
    const channels = await journal([silent.url]);
    const sender = new OutboxSender({ store, channels, clock: systemClock, masker });
    sender.kick();
    await until(() => silent.ids.length === 1);
    const t0 = Date.now();
    await sender.stopForExit(10_000);
    // Far less than the grace: nothing was waited for.
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect((await store.listNotifications({ limit: 10 }))[0]).toMatchObject({ status: 'pending', attempts: 1, lastError: STOPPED_ERROR });
  });

  it('an attempt under way for longer than the grace is cut off at once', async () => {
    const hung = await hook(() => null);
    const channels = await journal([hung.url]);
    const sender = new OutboxSender({ store, channels, clock: systemClock, masker });
    sender.kick();
    await until(() => hung.ids.length === 1);
    await new Promise((r) => setTimeout(r, 30));
    // The attempt is older than the grace: the exit cuts it off without waiting.
    await sender.stopForExit(25);
    expect((await store.listNotifications({ limit: 10 }))[0]).toMatchObject({ status: 'pending', lastError: STOPPED_ERROR });
  });
});

describe('the notifier during a run', () => {
  it("a channel that hangs holds up only its own deliveries: another channel's later event goes out at once; the stall is told once", async () => {
    const hung = await hook(() => null);
    const healthy = await hook(() => ({ status: 200 }));
    const channels = await journal([hung.url, healthy.url]);
    let stalls = 0;
    const sender = new OutboxSender({ store, channels, clock: systemClock, masker, holdMs: 50, stallMs: 50, onStall: () => void stalls++ });
    sender.kick();
    await until(() => hung.ids.length === 1 && healthy.ids.length === 1);
    await until(() => stalls === 1);
    // A later event while the first delivery to the hung channel is still under way (30 s timeout).
    await journal([hung.url, healthy.url]);
    sender.kick();
    await until(() => healthy.ids.length === 2);
    await untilAsync(async () => (await store.listNotifications({ limit: 10 })).filter((r) => r.status === 'sent').length === 2);
    expect(stalls).toBe(1);
    // The stalled channel got no second attempt; at exit its one attempt is cut off and released, the held row is left as it was.
    expect(hung.ids).toHaveLength(1);
    expect(await sender.stopForExit(25)).toBe(1);
    const pending = (await store.listNotifications({ limit: 10 })).filter((r) => r.status === 'pending');
    expect(pending.map((r) => [r.channel, r.attempts, r.lastError]).sort()).toEqual([
      ['webhook-1', 0, null],
      ['webhook-1', 1, STOPPED_ERROR],
    ]);
  });

  it('a row held back while its channel stalled is sent once the stalled attempt ends, without another kick', async () => {
    const slow = await hook((n) => ({ status: 200, delayMs: n === 1 ? 400 : 0 }));
    const channels = await journal([slow.url]);
    const sender = new OutboxSender({ store, channels, clock: systemClock, masker, holdMs: 50 });
    sender.kick();
    await until(() => slow.ids.length === 1);
    await new Promise((r) => setTimeout(r, 100));
    await journal([slow.url]);
    sender.kick();
    await new Promise((r) => setTimeout(r, 100));
    // The first answer comes 400 ms after its request; the held row goes only then.
    expect(slow.ids).toHaveLength(1);
    await sender.idle();
    expect(slow.ids).toHaveLength(2);
    expect((await store.listNotifications({ limit: 10 })).map((r) => r.status)).toEqual(['sent', 'sent']);
    expect(await sender.stopForExit(25)).toBe(0);
  });

  it('a sender whose every attempt answers in time never tells of a stall', async () => {
    const healthy = await hook(() => ({ status: 200, delayMs: 10 }));
    const channels = await journal([healthy.url]);
    let stalls = 0;
    const sender = new OutboxSender({ store, channels, clock: systemClock, masker, stallMs: 1_000, onStall: () => void stalls++ });
    sender.kick();
    await sender.idle();
    expect(healthy.ids).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 1_100));
    expect(stalls).toBe(0);
    expect(await sender.stopForExit(25)).toBe(0);
  });
});

describe('the background sender', () => {
  it('sends what is pending, retries a failure when it falls due, and ends when nothing is left', async () => {
    const flaky = await hook((n) => ({ status: n === 1 ? 503 : 200 }));
    const channels = await journal([flaky.url]);
    const left = await drainOutbox({ store, channels, clock: systemClock, masker, random: () => 0, until: Date.now() + 60_000 });
    expect(left).toBe(0);
    const [row] = await store.listNotifications({ limit: 10 });
    expect(row).toMatchObject({ status: 'sent', attempts: 2 });
    expect(flaky.ids).toEqual([row!.id, row!.id]);
  });

  it('stops at its time limit, leaving what it could not send pending', async () => {
    const hung = await hook(() => null);
    const channels = await journal([hung.url]);
    const left = await drainOutbox({ store, channels, clock: systemClock, masker, until: Date.now() + 300 });
    expect(left).toBe(1);
    expect(hung.ids).toHaveLength(1);
    expect((await store.listNotifications({ limit: 10 }))[0]).toMatchObject({ status: 'pending', lastError: STOPPED_ERROR });
  });
});
