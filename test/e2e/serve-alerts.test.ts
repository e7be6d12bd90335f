/**
 * `shipgate serve` as users run it, with a `monitor:` rule on a real HTTP target and a webhook
 * receiver: the alert fires once when the target fails, is delivered, listed and resolved through
 * the API, fires again and resolves itself on recovery; a row a killed CLI left pending is sent by serve.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { receiver, type Hit } from '../support/http-receiver.js';
import { startTarget, type Target } from '../support/http-target.js';
import { makeProject, SCRIPTS_PROVIDER, type Project } from '../support/project.js';

const TOKEN = 'e2e-alerts-token-abcdef0123456789';
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const LISTENING = /on (http:\/\/127\.0\.0\.1:\d+)/;

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Resolves once `pred` holds; re-checked each time `kick` is called (on every request a server gets). */
function waiter(): { kick: () => void; until: (pred: () => boolean) => Promise<void> } {
  const waiting = new Set<() => void>();
  return {
    kick: () => waiting.forEach((w) => w()),
    until: (pred) =>
      new Promise((resolve) => {
        const check = (): void => void (pred() && (waiting.delete(check), resolve()));
        waiting.add(check);
        check();
      }),
  };
}

const typeOf = (h: Hit): string => (JSON.parse(h.body) as { type: string }).type;

describe('shipgate serve: alerts and the outbox', () => {
  it('a failing health URL fires one alert, delivered; resolved through the API; fires again and resolves on recovery; a killed CLI\'s row is sent', async () => {
    let serving = false;
    const hooks = waiter();
    const hook = await receiver((h) => {
      queueMicrotask(hooks.kick);
      // Until serve runs, the receiver is down: whatever the CLI tries stays pending for serve.
      return { status: serving || typeOf(h).startsWith('alert.') ? 200 : 503 };
    });
    cleanups.push(() => new Promise((r) => hook.server.close(r)));
    const probes = waiter();
    const target: Target = await startTarget({ '/health': 200 });
    cleanups.push(() => target.close());
    let probeCount = 0;
    target.handler = (path) => (path === '/health' ? (probeCount++, queueMicrotask(probes.kick), undefined) : undefined);
    const p: Project = await makeProject(`app: alerted
${SCRIPTS_PROVIDER}notify:
  - { type: webhook, name: hook, url: "${hook.url}/hook", secret: "\${HOOK_SECRET}", on: [succeeded, alert_firing], timeout: 1s }
monitor:
  interval: 100ms
  drain: 200ms
  rules:
    - { type: health, name: app-health, url: "${target.url}/health", failures: 2, timeout: 1s }
`);
    cleanups.push(() => p.cleanup());
    const env = { HOOK_SECRET: SECRET, SHIPGATE_SERVE_TOKEN: TOKEN };

    const killed = await p.run(['deploy', 'v1.0.0'], { env: { ...env, SHIPGATE_CRASH_AFTER: 'deploy:finished' } });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    serving = true;
    const server = p.spawn(['serve', '--port', '0'], { env });
    const base = LISTENING.exec(await server.waitFor(LISTENING))![1]!;
    const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const alerts = async (): Promise<{ active: { id: string; rule: string }[]; resolved: { id: string; resolvedBy: string }[] }> =>
      ((await (await fetch(`${base}/api/monitoring/deployment?action=alerts`, { headers: auth })).json()) as { data: never }).data;
    const delivered = (type: string): Hit[] => hook.hits.filter((h) => typeOf(h) === type);

    // The killed CLI's `succeeded` is sent by serve.
    await hooks.until(() => delivered('deployment.succeeded').length > 0);
    const succeeded = delivered('deployment.succeeded').at(-1)!;
    expect(JSON.parse(succeeded.body)).toMatchObject({ data: { version: 'v1.0.0', event: 'succeeded' } });

    // The target fails: one alert, delivered once, while the probes go on.
    target.status.set('/health', 503);
    await hooks.until(() => delivered('alert.firing').length > 0);
    const fired = probeCount;
    await probes.until(() => probeCount >= fired + 4);
    expect(delivered('alert.firing')).toHaveLength(1);
    const firing = delivered('alert.firing')[0]!;
    const payload = new Webhook(SECRET).verify(firing.body, firing.headers as Record<string, string>) as { data: { subject: string; alert: { id: string; summary: string } } };
    expect(payload.data.subject).toBe('🚨 Production Alert Firing: app-health');
    expect(payload.data.alert.summary).toBe(`${target.url}/health failed 2 probes in a row (last: HTTP 503 from ${target.url}/health)`);
    const [open] = (await alerts()).active;
    expect(open).toMatchObject({ id: payload.data.alert.id, rule: 'app-health' });
    expect(firing.headers['webhook-id']).toBe(`ntf_${open!.id}_alert_firing_hook`);

    // Resolved through the API: its channels hear it; a second resolve changes nothing.
    const resolve = (): Promise<Response> => fetch(`${base}/api/monitoring/deployment`, { method: 'POST', headers: auth, body: JSON.stringify({ action: 'resolve-alert', alertId: open!.id, resolvedBy: 'oncall' }) });
    expect((await resolve()).status).toBe(200);
    await hooks.until(() => delivered('alert.resolved').length === 1);
    expect(((await (await resolve()).json()) as { data: { changed: boolean } }).data.changed).toBe(false);

    // Recovery, then a new failure: a second alert, which resolves itself when the target recovers.
    target.status.set('/health', 200);
    const recovered = probeCount;
    await probes.until(() => probeCount >= recovered + 2);
    target.status.set('/health', 500);
    await hooks.until(() => delivered('alert.firing').length === 2);
    target.status.set('/health', 200);
    await hooks.until(() => delivered('alert.resolved').length === 2);
    const after = await alerts();
    expect(after.active).toEqual([]);
    expect(after.resolved.map((a) => a.resolvedBy)).toEqual(['monitor', 'oncall']);

    server.child.kill('SIGTERM');
    const done = await server.done;
    expect(done.code, done.stderr).toBe(0);
    const everything = done.stdout + done.stderr + hook.hits.map((h) => JSON.stringify(h)).join('\n');
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain(SECRET.slice('whsec_'.length));
    // Nothing was sent more than twice (the at-most-once-more of a lease), and alerts exactly once.
    const counts = new Map<string, number>();
    for (const h of hook.hits.filter((x) => x.headers['webhook-id'] !== undefined)) counts.set(String(h.headers['webhook-id']), (counts.get(String(h.headers['webhook-id'])) ?? 0) + 1);
    expect(Math.max(...counts.values())).toBeLessThanOrEqual(2);
    expect(hook.hits.filter((h) => typeOf(h).startsWith('alert.'))).toHaveLength(4);
  });

  it('a config this machine cannot complete (a channel\'s variable unset) leaves serve answering, and it says what is off', async () => {
    const p = await makeProject(`app: alerted\n${SCRIPTS_PROVIDER}notify:\n  - { type: slack, webhook: "\${SLACK_URL}" }\nmonitor:\n  rules: [{ type: uptime, url: "http://127.0.0.1:9/health" }]\n`);
    cleanups.push(() => p.cleanup());
    const server = p.spawn(['serve', '--port', '0'], { env: { SHIPGATE_SERVE_TOKEN: TOKEN, SLACK_URL: undefined } });
    const out = await server.waitFor(LISTENING);
    expect(out).toContain('serve: monitor rules and notification delivery are off: invalid config');
    expect(out).toContain('notify[0].webhook');
    expect(out).toContain('0 monitor rule(s), 0 notify channel(s)');
    expect((await fetch(`${LISTENING.exec(out)![1]}/api/health`)).status).toBe(200);
    server.child.kill('SIGTERM');
    expect((await server.done).code).toBe(0);
  });
});
