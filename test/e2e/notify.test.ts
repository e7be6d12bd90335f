/**
 * Notifications through the built CLI: a SIGKILL between the journal write and the send is
 * made good by the next command (each notification arrives, at most twice, with one key), and
 * channels that never answer slow neither a failing canary's revert (local provider, the demo
 * app) nor the exit beyond the bounded wait, measured against a run without notifications.
 */
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_NOTIFY_EXIT_WAIT_MS } from '../../src/notify/index.js';
import type { EventRow, NotificationRow } from '../../src/store/contract.js';
import { openStore } from '../../src/store/index.js';
import { backgroundSenders } from '../support/background-senders.js';
import { receiver } from '../support/http-receiver.js';
import { smtpReceiver } from '../support/smtp-receiver.js';
import { freePort, localConfig, makeDemoProject } from '../support/local-project.js';
import { json, makeProject, SCRIPTS_PROVIDER, type Project } from '../support/project.js';
import { pace } from '../support/pace.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function config(url: string, extra = ''): string {
  return `app: notifyapp
${SCRIPTS_PROVIDER}notify:
  - { type: webhook, url: "${url}", secret: "\${HOOK_SECRET}", on: [started, succeeded, failed, rolled_back, rollback_failed], timeout: 1s }
${extra}`;
}

async function project(text: string): Promise<Project> {
  const p = await makeProject(text);
  cleanups.push(() => p.cleanup());
  return p;
}

/** How late timers and child processes may be on a loaded 2-core machine (one CLI's start and stop). */
const TIMER_SLACK_MS = 500;
const EXIT_SLACK_MS = 1500;
/**
 * The end of a run (its last journal event) to the process's exit: how much later it may be with channels that never
 * answer. Such channels get no grace at exit (only a channel that answered in this run does), and no second attempt
 * while one hangs; the background sender was started, waiting, when the first one had gone 500 ms unanswered. What
 * remains is one store write (the release of what the exit cut off, not synced to disk) and closing the hung
 * connections: 10-25 ms later than without notifications on a quiet machine, 28-100 ms beside three busy loops
 * (measured 2026-12-04). In the full suite on 2 loaded cores it has measured up to about 450 ms (the figures are
 * printed), so the bound is 1 s: a 2 s exit wait still fails it.
 */
const EXIT_TOLERANCE_MS = 1000;

interface HungRequest {
  at: number;
  path: string;
  id: string | undefined;
}

/** An HTTP server and an SMTP port that accept connections and never answer (not even a greeting); the HTTP requests are recorded. */
async function hangingServers(): Promise<{ http: string; smtp: string; connections: () => number; requests: HungRequest[] }> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const requests: HungRequest[] = [];
  const servers: Server[] = [createHttpServer((req) => void requests.push({ at: Date.now(), path: req.url ?? '', id: req.headers['webhook-id'] as string | undefined })), createTcpServer(() => undefined)];
  for (const s of servers) {
    s.on('connection', (c: Socket) => (connections++, sockets.add(c)));
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  }
  cleanups.push(async () => {
    for (const c of sockets) c.destroy();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });
  const [http, smtp] = servers.map((s) => (s.address() as AddressInfo).port);
  return { http: `http://127.0.0.1:${http}`, smtp: `smtp://mailer:smtp-pass-0451@127.0.0.1:${smtp}`, connections: () => connections, requests };
}

/** A webhook receiver that answers 200, or, while `hold`, takes the request and never answers; every request is recorded. */
async function holdingReceiver(hold: boolean): Promise<{ url: string; hold: boolean; seen: { id: string; at: number; answered: boolean }[] }> {
  const seen: { id: string; at: number; answered: boolean }[] = [];
  const open = new Set<Socket>();
  const hook = { url: '', hold, seen };
  const server = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push({ id: String(req.headers['webhook-id']), at: Date.now(), answered: !hook.hold });
      if (!hook.hold) res.end('ok');
    });
  });
  server.on('connection', (c: Socket) => (open.add(c), c.on('close', () => open.delete(c))));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(async () => {
    for (const c of open) c.destroy();
    await new Promise((r) => server.close(r));
  });
  hook.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return hook;
}

/** Polls `check` every 50 ms until it holds; fails with `what` after `ms`. */
async function eventually(what: string, check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function journal(p: Project, deploymentId: string): Promise<EventRow[]> {
  const store = await openStore('sqlite:.shipgate/state.db', { root: p.dir });
  try {
    return await store.listEvents(deploymentId);
  } finally {
    await store.close();
  }
}

async function outboxRows(p: Project): Promise<NotificationRow[]> {
  const store = await openStore('sqlite:.shipgate/state.db', { root: p.dir });
  try {
    return await store.listNotifications({ limit: 100 });
  } finally {
    await store.close();
  }
}

async function outbox(p: Project): Promise<{ id: string; status: string; event: string }[]> {
  return (await outboxRows(p)).map((n) => ({ id: n.id, status: n.status, event: n.event }));
}

describe('notifications from the CLI', () => {
  it('SIGKILL right after an event is journaled: the next command delivers it; nothing arrives more than twice, a repeat carries the same key', async () => {
    const hook = await receiver();
    cleanups.push(() => new Promise((r) => hook.server.close(() => r())));
    const p = await project(config(`${hook.url}/deploys`));
    const env = { HOOK_SECRET: SECRET };
    const crash = async (version: string, point: string): Promise<void> => {
      const r = await p.run(['deploy', version], { env: { ...env, SHIPGATE_CRASH_AFTER: point } });
      expect(r.signal, r.stderr).toBe('SIGKILL');
    };
    await crash('v1.0.0', 'deploy:started');
    const resumed = await p.run(['resume'], { env });
    expect(resumed.code, resumed.stderr).not.toBeNull();
    await crash('v1.1.0', 'deploy:finished');
    // A row a killed sender had taken is held until its lease (attempt timeout + 1 s) runs out: then anyone may send it again.
    const held = (await outboxRows(p)).filter((r) => r.status === 'pending').map((r) => Date.parse(r.nextAt));
    const until = Math.max(0, ...held) - Date.now();
    if (until > 0) await new Promise((r) => setTimeout(r, until + 50));
    const next = await p.run(['deploy', 'v1.2.0'], { env });
    expect(next.code, next.stderr).toBe(0);
    // What the command had not finished at its exit, a background sender sends.
    await eventually('every delivery sent', async () => (await outbox(p)).every((r) => r.status === 'sent'));
    const rows = await outbox(p);
    // v1.0.0: started, and failed when the next command recovered it; v1.1.0 and v1.2.0: started and succeeded.
    expect(rows.map((r) => r.event).sort()).toEqual(['failed', 'started', 'started', 'started', 'succeeded', 'succeeded']);
    expect(rows.every((r) => r.status === 'sent')).toBe(true);
    const counts = new Map<string, number>();
    for (const h of hook.hits) counts.set(String(h.headers['webhook-id']), (counts.get(String(h.headers['webhook-id'])) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual(rows.map((r) => r.id).sort());
    expect(Math.max(...counts.values())).toBeLessThanOrEqual(2);
  }, 60_000);

  it('channels that never answer: a failing canary (local provider) reaches weight 0 and the deploy exits no later than without notifications; a background sender tries them again', async () => {
    const hang = await hangingServers();
    const rollout = `rollout:
  strategy: canary
  steps: [{ weight: 10, pause: 30s }, { weight: 100, pause: 0s }]
  analysis: { interval: 500ms, failureLimit: 1, maxErrorRate: 0.01, minRequests: 1000, onInconclusive: continue }
`;
    const every = 'on: [started, succeeded, failed, rolled_back, rollback_failed, paused], timeout: 60s';
    // Every channel type, each to a server that accepts the connection and never answers (60 s per attempt).
    const notify = `notify:
  - { type: webhook, url: "${hang.http}/hook", secret: "\${HOOK_SECRET}", ${every} }
  - { type: slack, webhook: "${hang.http}/slack", ${every} }
  - { type: teams, webhook: "${hang.http}/teams", ${every} }
  - { type: pagerduty, routingKey: R0UT1NGKEY0123456789abcdef012345, url: "${hang.http}/v2/enqueue", changeEvents: true, ${every} }
  - { type: email, to: [oncall@example.com], smtp: { url: "${hang.smtp}" }, ${every} }
`;
    // One instance per version: the figures are about the rollout and the exit, not the fleet.
    const port = await freePort();
    const config = (extra = ''): string => localConfig(port, rollout, extra).replace('instances: 2', 'instances: 1');
    const p = await makeDemoProject(config(), port, ['production']);
    cleanups.push(() => p.dispose());
    const env = { HOOK_SECRET: SECRET };
    expect((await p.run(['deploy', 'v1.0.0'], { env })).code).toBe(0);
    // Every release built from now on fails every answer.
    await p.write('faults.json', JSON.stringify({ errorRate: 1 }));

    /** A failing canary under load: from its first failing answer to the journaled revert to weight 0; from its last journal event to the exit. */
    const failingCanary = async (version: string): Promise<{ id: string; toWeight0: number; total: number; weight0ToExit: number; finishedToExit: number; exited: number }> => {
      let running = true;
      let firstFailure: number | null = null;
      const load = (async () => {
        while (running) {
          const res = await p.get('/').catch(() => null);
          if (firstFailure === null && res?.status === 500 && res.version === version) firstFailure = Date.now();
          await pace();
        }
      })();
      const t0 = Date.now();
      const r = await p.run(['deploy', version, '--json'], { env });
      const exited = Date.now();
      running = false;
      await load;
      expect(r.code, r.stderr).toBe(1);
      // What the exit cut off is handed over, not a channel's failure: no warning, no backoff.
      expect(r.stderr).not.toMatch(/notification .* failed: .*abort/);
      const id = json<{ status: string; deployment_id: string }>(r);
      expect(id.status).toBe('rolled_back');
      expect(firstFailure, 'the canary answered with failures').not.toBeNull();
      const events = await journal(p, id.deployment_id);
      const revert = events.find((e) => e.type === 'rollout:weights' && String(e.data.reason).startsWith('revert'));
      expect(revert?.data.weights).toEqual({ 'v1.0.0': 100 });
      const weight0 = Date.parse(revert!.at);
      const finished = Date.parse(events.find((e) => e.type === 'deploy:finished')!.at);
      return { id: id.deployment_id, toWeight0: weight0 - firstFailure!, total: exited - t0, weight0ToExit: exited - weight0, finishedToExit: exited - finished, exited };
    };

    const without = await failingCanary('v1.1.0');
    await p.write('shipgate.yaml', config(notify));
    const hung = await failingCanary('v1.2.0');
    console.log(
      `failing canary, local provider: first failing answer → weight 0: ${without.toWeight0} ms without notify, ${hung.toWeight0} ms with 6 channels that never answer; ` +
        `deploy:finished → exit: ${without.finishedToExit} ms vs ${hung.finishedToExit} ms; weight 0 → exit: ${without.weight0ToExit} ms vs ${hung.weight0ToExit} ms; ` +
        `deploy to exit: ${without.total} ms vs ${hung.total} ms (at exit, a delivery under way to a channel that answered in this run gets ${DEFAULT_NOTIFY_EXIT_WAIT_MS} ms from its start; the rest go to the background sender)`,
    );
    // Every channel was reached by the run itself (its `started` hung from the start): the run did not wait for them.
    expect(hang.requests.filter((q) => q.at < hung.exited).length).toBeGreaterThanOrEqual(4);
    expect(await p.agent().then((a) => a.weights)).toEqual({ 'v1.0.0': 100 });
    // One analysis interval of phase (when the first failure lands in it) plus timer slack on a loaded machine.
    expect(hung.toWeight0).toBeLessThanOrEqual(without.toWeight0 + 500 + TIMER_SLACK_MS);
    // The exit: from the run's last journal event to the process's end, with hung channels as without notifications.
    expect(hung.finishedToExit).toBeLessThanOrEqual(without.finishedToExit + EXIT_TOLERANCE_MS);
    expect(hung.weight0ToExit).toBeLessThanOrEqual(without.weight0ToExit + EXIT_SLACK_MS);

    // After the exit, the background sender tries the run's deliveries again (same keys), and `notify list` says so.
    const ours = new Set((await outboxRows(p)).filter((r) => r.deploymentId === hung.id).map((r) => r.id));
    await eventually('the background sender retried a hung delivery', () => hang.requests.some((q) => q.at > hung.exited && q.id !== undefined && ours.has(q.id)));
    const listed = await p.run(['notify', 'list'], { env });
    expect(listed.stdout).toMatch(/\d+ pending: in the hands of the background sender \(pid \d+, trying until /);
    const rows = await outboxRows(p);
    expect(rows.filter((r) => r.status === 'pending').map((r) => r.channel)).toContain('email-5');
  }, 120_000);

  it('a healthy receiver gets every message after the CLI has exited, each once; a background sender killed mid-attempt loses nothing: the next command sends it', async () => {
    const hook = await holdingReceiver(false);
    const { seen } = hook;
    const answered = (id: string): number => seen.filter((x) => x.answered && x.id === id).length;
    const p = await project(config(`${hook.url}/deploys`));
    const env = { HOOK_SECRET: SECRET };

    const ok = await p.run(['deploy', 'v1.0.0'], { env });
    expect(ok.code, ok.stderr).toBe(0);
    const first = await outboxRows(p);
    expect(first.map((r) => r.event).sort()).toEqual(['started', 'succeeded']);
    await eventually('both deliveries reached the receiver and were marked sent', async () => first.every((r) => answered(r.id) > 0) && (await outboxRows(p)).every((r) => r.status === 'sent'));
    expect(seen.map((x) => x.id).sort()).toEqual(first.map((r) => r.id).sort());

    // The receiver stops answering: the run's deliveries go to a background sender, which hangs on them too; it is SIGKILLed.
    hook.hold = true;
    const before = seen.length;
    const stuck = await p.run(['deploy', 'v1.1.0'], { env });
    expect(stuck.code, stuck.stderr).toBe(0);
    const exited = Date.now();
    expect(backgroundSenders(p.dir).length).toBeGreaterThanOrEqual(1);
    await eventually('the background sender took a delivery', () => seen.slice(before).some((s) => s.at > exited));
    for (const s of backgroundSenders(p.dir)) process.kill(s.pid, 'SIGKILL');
    await eventually('the background sender is gone', () => backgroundSenders(p.dir).length === 0);
    const pending = (await outboxRows(p)).filter((r) => r.status === 'pending');
    expect(pending.map((r) => r.event).sort()).toEqual(['started', 'succeeded']);
    expect(pending.every((r) => answered(r.id) === 0)).toBe(true);

    // The next command sends them once the killed sender's lease (attempt timeout + 1 s) has run out.
    hook.hold = false;
    const until = Math.max(...pending.map((r) => Date.parse(r.nextAt))) - Date.now();
    if (until > 0) await new Promise((r) => setTimeout(r, until + 50));
    const next = await p.run(['notify', 'retry', '--json'], { env });
    expect(JSON.parse(next.stdout), next.stderr).toEqual({ requeued: 0, pending: 0, failed: 0 });
    for (const r of pending) expect(answered(r.id), r.id).toBe(1);
  }, 60_000);

  it('a deploy SIGKILLed while a delivery stalls: the background sender it started on the stall sends it once the deploy has gone, with no other command', async () => {
    // The receiver takes the first request and never answers it; later ones it answers.
    const hook = await holdingReceiver(true);
    const { seen } = hook;
    const p = await project(config(`${hook.url}/deploys`).replace('timeout: 1s', 'timeout: 3s'));
    const run = p.spawn(['deploy', 'v1.0.0'], { env: { HOOK_SECRET: SECRET, SLOW_DEPLOY: '10' } });
    // `started` is under way and unanswered; past 500 ms the deploy starts the background sender, waiting for its exit.
    await eventually('the stand-by background sender', () => seen.length === 1 && backgroundSenders(p.dir).some((b) => b.waitingFor === run.child.pid));
    const [standby] = backgroundSenders(p.dir).filter((b) => b.waitingFor === run.child.pid);
    hook.hold = false;
    run.child.kill('SIGKILL');
    const killed = await run.done;
    expect(killed.signal).toBe('SIGKILL');
    const [started] = (await outboxRows(p)).filter((r) => r.event === 'started');
    // Nothing else runs: the stand-by sends it again (same key) once the killed deploy's lease has run out.
    await eventually('the background sender delivered started', () => seen.some((x) => x.answered && x.id === started!.id), 20_000);
    expect(seen.filter((x) => x.id === started!.id).map((x) => x.answered)).toEqual([false, true]);
    await eventually('marked sent', async () => (await outboxRows(p)).find((r) => r.id === started!.id)?.status === 'sent');
    const log = await p.read('.shipgate/notify/background.log');
    expect(log).toContain(`notify flush (pid ${standby!.pid})`);
  }, 60_000);

  it('no secret reaches any receiver through the CLI: every channel, PagerDuty change events and templates (everything every receiver got, grepped)', async () => {
    const [hook, slack, teams, pd] = await Promise.all([receiver(), receiver(), receiver(() => ({ status: 202 })), receiver(() => ({ status: 202 }))]);
    for (const r of [hook, slack, teams, pd]) cleanups.push(() => new Promise((done) => r.server.close(() => done())));
    const smtp = await smtpReceiver('smtp-pass-e2e-6610');
    cleanups.push(() => new Promise((done) => smtp.server.close(() => done())));
    const secrets = {
      HOOK_SECRET: SECRET,
      HOOK_URL: `${hook.url}/deploys/hook-path-secret-31`,
      SLACK_WEBHOOK_URL: `${slack.url}/services/T0/B0/slack-path-secret-99`,
      TEAMS_WORKFLOW_URL: `${teams.url}/workflows/x?sig=teams-sig-secret-12`,
      PAGERDUTY_INTEGRATION_KEY: 'R0UT1NGKEYe2e0123456789abcdef0123',
      SMTP_URL: smtp.url,
      // Not in the config: masked because of its name, as any *_PASSWORD in the environment.
      APP_DB_PASSWORD: 'db-pass-e2e-4471',
    };
    const every = 'on: [started, succeeded, failed, rolled_back, rollback_failed]';
    const p = await project(`app: notifyapp
provider:
  type: command
  deploy: ["./scripts/leaky.sh"]
  rollback: ["./scripts/rollback.sh"]
notify:
  - { type: webhook, url: "\${HOOK_URL}", secret: "\${HOOK_SECRET}", ${every} }
  - { type: slack, webhook: "\${SLACK_WEBHOOK_URL}", ${every}, template: { text: "{{subject}} {{reason}} {{error}}" } }
  - { type: teams, webhook: "\${TEAMS_WORKFLOW_URL}", ${every}, template: { text: "{{error}} / \${APP_DB_PASSWORD}" } }
  - { type: pagerduty, routingKey: "\${PAGERDUTY_INTEGRATION_KEY}", url: "${pd.url}/v2/enqueue", changeEvents: true, ${every}, template: { summary: "{{app}} {{version}} {{event}}: {{error}}" } }
  - { type: email, to: [oncall@example.com], smtp: { url: "\${SMTP_URL}" }, ${every}, template: { subject: "{{event}}: {{reason}}", html: "<p>{{error}}</p>" } }
  - { type: email, name: plain-mail, to: [oncall@example.com], smtp: { url: "\${SMTP_URL}" }, ${every} }
`);
    // A deploy that fails and says every secret it was given on its way out.
    await p.write('scripts/leaky.sh', '#!/bin/sh\necho "cannot reach $HOOK_URL $SLACK_WEBHOOK_URL $TEAMS_WORKFLOW_URL with $HOOK_SECRET $PAGERDUTY_INTEGRATION_KEY $SMTP_URL $APP_DB_PASSWORD" >&2\nexit 7\n');
    const r = await p.run(['deploy', 'v1.0.0', '--reason', `rotate ${secrets.APP_DB_PASSWORD} and ${secrets.SLACK_WEBHOOK_URL}`], { env: secrets });
    expect(r.code, r.stderr).toBe(1);
    // What the command had not finished at its exit, a background sender sends.
    await eventually('every delivery sent', async () => (await outboxRows(p)).every((n) => n.status === 'sent'));
    const rows = await outboxRows(p);
    expect(rows.map((n) => `${n.channel} ${n.event} ${n.status}`).sort()).toEqual(
      ['webhook-1', 'slack-2', 'teams-3', 'pagerduty-4', 'email-5', 'plain-mail'].flatMap((c) => [`${c} failed sent`, `${c} started sent`]).concat(['pagerduty-4:change failed sent']).sort(),
    );
    // The templates and the change event were what went out (a delivery cut off at exit may arrive twice: sets, not counts).
    expect(slack.hits.map((h) => (JSON.parse(h.body) as { text: string }).text)).toContainEqual(expect.stringMatching(/^🚨 Production Deployment Failed rotate \*\*\* and \*\*\*/));
    expect(new Set(pd.hits.map((h) => h.path))).toEqual(new Set(['/v2/change/enqueue', '/v2/enqueue']));
    expect(new Set(smtp.mails.map((m) => m.subject))).toEqual(new Set(['failed: rotate *** and ***', 'started: rotate *** and ***', '🚀 Production Deployment Started', '🚨 Production Deployment Failed']));
    const everything = [...[hook, slack, teams, pd].flatMap((x) => x.hits.map((h) => `${h.path}\n${JSON.stringify(h.headers)}\n${h.body}`)), ...smtp.raw].join('\n');
    expect(everything).toContain('cannot reach');
    for (const secret of [SECRET, SECRET.slice('whsec_'.length), 'hook-path-secret-31', 'slack-path-secret-99', 'teams-sig-secret-12', 'smtp-pass-e2e-6610', secrets.APP_DB_PASSWORD]) {
      // A secret URL's own receiver sees its path (it is the address); no message carries it.
      const bodies = [...[hook, slack, teams, pd].flatMap((x) => x.hits.map((h) => `${JSON.stringify(h.headers)}\n${h.body}`)), ...smtp.raw].join('\n');
      expect(bodies, secret).not.toContain(secret);
    }
    // The routing key goes to PagerDuty alone, once per request, as the address.
    expect(everything.split(secrets.PAGERDUTY_INTEGRATION_KEY).length - 1).toBe(pd.hits.length);
  }, 60_000);

  it('notify test, list and retry: a refused delivery is given up, listed as failed, and sent by retry', async () => {
    let refuse = true;
    const hook = await receiver(() => ({ status: refuse ? 404 : 200 }));
    cleanups.push(() => new Promise((r) => hook.server.close(() => r())));
    const p = await project(config(`${hook.url}/deploys`));
    const env = { HOOK_SECRET: SECRET };
    const tested = await p.run(['notify', 'test', '--json'], { env });
    expect(JSON.parse(tested.stdout)).toEqual([{ channel: 'webhook-1', type: 'webhook', ok: false, error: 'HTTP 404' }]);
    expect(tested.code).toBe(1);
    expect(JSON.parse(hook.hits[0]!.body)).toMatchObject({ type: 'deployment.test', data: { subject: '🧪 Production Notification Test' } });
    const deployed = await p.run(['deploy', 'v1.0.0'], { env });
    expect(deployed.code, deployed.stderr).toBe(0);
    expect(deployed.stderr).toContain('warning: notification started to webhook-1 failed: HTTP 404');
    // `succeeded` may have been handed to the background sender at the exit: it gives up on it there.
    await eventually('both given up', async () => (await outboxRows(p)).every((n) => n.status === 'failed'));
    const failed = JSON.parse((await p.run(['notify', 'list', '--status', 'failed', '--json'], { env })).stdout) as { event: string; last_error: string }[];
    expect(failed.map((f) => [f.event, f.last_error]).sort()).toEqual([['started', 'HTTP 404'], ['succeeded', 'HTTP 404']]);
    refuse = false;
    const retried = await p.run(['notify', 'retry', '--json'], { env });
    expect(JSON.parse(retried.stdout), retried.stderr).toEqual({ requeued: 2, pending: 0, failed: 0 });
    expect(retried.code).toBe(0);
    const listed = (await p.run(['notify', 'list'], { env })).stdout;
    expect(listed.split('\n').filter((l) => l.includes('  sent (2 attempts'))).toHaveLength(0);
    expect(listed.split('\n').filter((l) => l.includes('webhook-1') && l.includes(' sent ('))).toHaveLength(2);
    const bad = await p.run(['notify', 'list', '--status', 'lost'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--status: expected one of pending, sent, failed (got "lost")');
  });
});
