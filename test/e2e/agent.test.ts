import { spawnSync } from 'node:child_process';
import { chmodSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json } from '../support/project.js';
import { eventually, freePort, httpGet, makeLocalProject, type LocalProject } from '../support/local-project.js';
import { pace } from '../support/pace.js';

/** The agent's lifecycle: start, status, the control socket, restart without dropping traffic, stop. */

let p: LocalProject;
beforeAll(async () => {
  p = await makeLocalProject();
});
afterAll(async () => p?.dispose());

describe('the local agent', () => {
  it('starts detached once, with a control socket only its owner can use', async () => {
    const first = await p.run(['agent', 'start']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/agent started \(pid \d+\)/);
    const again = await p.run(['agent', 'start']);
    expect(again.stdout).toMatch(/agent already running/);
    const mode = statSync(join(p.dir, '.shipgate/agent/production/agent.sock')).mode & 0o777;
    expect(mode).toBe(0o600);
  });

  // Acting as another user needs root; CI runs as root.
  it.runIf(process.getuid?.() === 0)('refuses a control client of another user (the socket is 0600)', () => {
    const sock = join(p.dir, '.shipgate/agent/production/agent.sock');
    const connect = `const s = require('node:net').connect(${JSON.stringify(sock)}, () => { console.log('connected'); s.end(); }); s.on('error', (e) => console.log(e.code));`;
    const as = (ids: { uid?: number; gid?: number }) => spawnSync(process.execPath, ['-e', connect], { cwd: '/', encoding: 'utf8', ...ids }).stdout.trim();
    // Only the socket's own mode is under test: the folders on the way are opened to everyone meanwhile.
    const folders = [p.dir, join(p.dir, '.shipgate'), join(p.dir, '.shipgate/agent'), join(p.dir, '.shipgate/agent/production')];
    const modes = folders.map((d) => statSync(d).mode & 0o777);
    try {
      folders.forEach((d) => chmodSync(d, 0o711));
      expect(as({ uid: 65534, gid: 65534 })).toBe('EACCES');
      expect(as({})).toBe('connected');
    } finally {
      folders.forEach((d, i) => chmodSync(d, modes[i]!));
    }
  });

  it('a deploy with provider local runs the instances behind the router', async () => {
    const r = await p.run(['deploy', 'v1.0.0']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const res = await p.get('/');
    expect(res).toMatchObject({ status: 200, version: 'v1.0.0' });
    const agent = await p.agent();
    expect(agent.weights).toEqual({ 'v1.0.0': 100 });
    expect(agent.versions.find((v) => v.version === 'v1.0.0')!.instances.map((i) => i.state)).toEqual(['ready', 'ready']);
  });

  it('status shows the traffic per version', async () => {
    for (let i = 0; i < 5; i++) await p.get('/');
    const r = await p.run(['status']);
    expect(r.stdout).toMatch(/v1\.0\.0\s+100%\s+2\/2 ready\s+[\d.]+ req\/s, errors 0\.0%/);
    const j = json<{ agent: { weights: Record<string, number> } }[]>(await p.run(['status', '--json']))[0]!;
    expect(j.agent.weights).toEqual({ 'v1.0.0': 100 });
  });

  it('restart hands over to a new process: instances and traffic are kept, no request fails', async () => {
    const before = await p.agent();
    const pids = before.versions.flatMap((v) => v.instances.map((i) => i.pid));
    let failures = 0;
    let requests = 0;
    let running = true;
    const load = (async () => {
      while (running) {
        const r = await p.get('/').catch(() => ({ status: 0 }));
        requests++;
        if (r.status !== 200) failures++;
        await pace();
      }
    })();
    const loads = [load, load, load];
    const r = await p.run(['agent', 'restart']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`pid ${before.pid} handed over to pid \\d+`));
    for (let i = 0; i < 20; i++) await p.get('/');
    running = false;
    await Promise.all(loads);
    const after = await p.agent();
    expect(after.pid).not.toBe(before.pid);
    expect(after.versions.flatMap((v) => v.instances.map((i) => i.pid))).toEqual(pids);
    expect(requests).toBeGreaterThan(20);
    expect(failures).toBe(0);
  });

  it('shipgate logs shows the instances output', async () => {
    const r = await p.run(['logs', '--version', 'v1.0.0']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/v1\.0\.0#\d+ \| demo v1\.0\.0 listening on \d+/);
  });

  it('stop stops the agent and its instances', async () => {
    const before = await p.agent();
    const pids = before.versions.flatMap((v) => v.instances.map((i) => i.pid!));
    const r = await p.run(['agent', 'stop']);
    expect(r.code).toBe(0);
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    await eventually(async () => (pids.every((pid) => !alive(pid)) ? true : undefined), 'instances to stop');
    expect((await p.run(['agent', 'status'])).stdout).toContain('not running');
    await expect(p.get('/')).rejects.toThrow();
  });
});

describe('the TCP control API', () => {
  let q: LocalProject;
  let control: number;
  beforeAll(async () => {
    control = await freePort();
    q = await makeLocalProject('', `  control: { listen: "127.0.0.1:${control}", token: "\${AGENT_TOKEN}" }\n`);
  });
  afterAll(async () => q?.dispose());

  it('an agent started by `agent start` (as systemd does) serves it too', async () => {
    const r = await q.run(['agent', 'start'], { env: { AGENT_TOKEN: 'a-long-enough-secret-token' } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((await httpGet(control, '/v1/status', { authorization: 'Bearer a-long-enough-secret-token' })).status).toBe(200);
    expect((await q.run(['agent', 'stop'])).code).toBe(0);
  });

  it('is only there when configured, and requires the token', async () => {
    const r = await q.run(['deploy', 'v1.0.0'], { env: { AGENT_TOKEN: 'a-long-enough-secret-token' } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((await httpGet(control, '/v1/status')).status).toBe(401);
    expect((await httpGet(control, '/v1/status', { authorization: 'Bearer wrong-token-wrong-token' })).status).toBe(401);
    const ok = await httpGet(control, '/v1/status', { authorization: 'Bearer a-long-enough-secret-token' });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body).weights).toEqual({ 'v1.0.0': 100 });
  });
});
