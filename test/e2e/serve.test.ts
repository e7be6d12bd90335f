import { chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeProject, type Project, SCRIPTS_PROVIDER } from '../support/project.js';

/** `shipgate serve` as users run it: over the store the CLI's own deploys wrote, following new ones live. */

const TOKEN = 'e2e-serve-token-abcdef0123456789';
const LISTENING = /on (http:\/\/127\.0\.0\.1:\d+)/;

let p: Project;
beforeAll(async () => {
  p = await makeProject(`app: served\n${SCRIPTS_PROVIDER}`);
});
afterAll(async () => p?.cleanup());

describe('shipgate serve', () => {
  it('refuses to start without a token, or with a token file others can read, and never prints the token', async () => {
    const none = await p.run(['serve', '--port', '0']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('shipgate serve needs a bearer token: set SHIPGATE_SERVE_TOKEN or give --token-file');
    await p.write('token', TOKEN);
    await chmod(join(p.dir, 'token'), 0o644);
    const open = await p.run(['serve', '--port', '0', '--token-file', 'token']);
    expect(open.code).toBe(2);
    expect(open.stderr).toContain('--token-file token: others can read it (mode 644); chmod 600 it');
    const badPort = await p.run(['serve', '--port', 'http'], { env: { SHIPGATE_SERVE_TOKEN: TOKEN } });
    expect(badPort.stderr).toContain('--port: expected a port number from 0 to 65535 (got "http")');
    expect(none.stderr + open.stderr + badPort.stderr + open.stdout).not.toContain(TOKEN);
  });

  it('binds loopback, serves what deploys journaled (also while serving), and stops on SIGTERM', async () => {
    expect((await p.run(['deploy', 'v1.0.0'])).code).toBe(0);
    await chmod(join(p.dir, 'token'), 0o600);
    const server = p.spawn(['serve', '--port', '0', '--token-file', 'token']);
    const base = LISTENING.exec(await server.waitFor(LISTENING))![1]!;
    const auth = { authorization: `Bearer ${TOKEN}` };
    const list = (await (await fetch(`${base}/api/deployments`, { headers: auth })).json()) as { data: { version: string; status: string }[] };
    expect(list.data.map((d) => [d.version, d.status])).toEqual([['v1.0.0', 'succeeded']]);

    const events = await fetch(`${base}/api/events`, { headers: auth });
    const reader = events.body!.pipeThrough(new TextDecoderStream()).getReader();
    expect((await p.run(['deploy', 'v1.1.0'])).code).toBe(0);
    let received = '';
    while (!received.includes('event: deploy:finished')) received += (await reader.read()).value ?? '';
    expect(received).toContain('event: deploy:started');
    expect(received).toContain('"version":"v1.1.0"');
    expect(received).not.toContain('"version":"v1.0.0","kind"'); // live only: the first deploy is not replayed
    await reader.cancel();

    const metrics = await (await fetch(`${base}/metrics`, { headers: auth })).text();
    expect(metrics).toContain('shipgate_deployments_total{environment="production",kind="deploy",result="succeeded"} 2');
    expect(metrics).toContain('shipgate_live_version_info{environment="production",version="v1.1.0"} 1');
    expect(metrics).toMatch(/shipgate_stage_duration_seconds_count\{environment="production",stage="deploy",result="succeeded"\} 2/);

    server.child.kill('SIGTERM');
    const done = await server.done;
    expect(done.code).toBe(0);
    expect(done.stdout + done.stderr).not.toContain(TOKEN);
  });
});
