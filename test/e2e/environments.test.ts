import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cliEnv, json, REPO_ROOT } from '../support/project.js';
import { eventually, freePort, httpGet, makeDemoProject, type LocalProject } from '../support/local-project.js';
import { pace } from '../support/pace.js';

/**
 * Two environments of one project on one host: each has an agent of its own
 * (.shipgate/agent/<env>/), so a deploy of one never moves the other's traffic.
 */

const BASE = `app: twoenv
provider:
  type: local
  command: ["node", "dist/server.js"]
  instances: 1
  readiness: { path: /health, interval: 100ms, timeout: 1s, grace: 15s }
  stopTimeout: 3s
  deadman: 3s
build:
  command: ["node", "build.js"]
  artifacts: [dist]
rollout:
  strategy: canary
  steps: [{ weight: 50, pause: 2s }, { weight: 100, pause: 0s }]
  analysis: { interval: 500ms, failureLimit: 2, maxErrorRate: 0.05, minRequests: 0, onInconclusive: continue }
`;

let p: LocalProject | null = null;
afterEach(async () => {
  await p?.dispose();
  p = null;
});

describe('two environments on one host', () => {
  it('a staging deploy (a canary) while production serves moves none of production traffic, and changes none of its weights', async () => {
    const [prodPort, stagingPort] = [await freePort(), await freePort()];
    const config = `${BASE}environments:
  production: { provider: { listen: "127.0.0.1:${prodPort}" } }
  staging: { provider: { listen: "127.0.0.1:${stagingPort}" } }
`;
    p = await makeDemoProject(config, prodPort, ['production', 'staging']);
    const q = p;
    const prod = await q.run(['deploy', 'v1.0.0', '--env', 'production']);
    expect(prod.code, prod.stdout + prod.stderr).toBe(0);
    const prodAgent = await q.agent('production');
    expect(prodAgent.weights).toEqual({ 'v1.0.0': 100 });

    // Production under steady load for the whole staging deploy.
    const answers: string[] = [];
    const weightsSeen = new Set<string>();
    let running = true;
    const load = (async () => {
      while (running) {
        answers.push(await q.get('/').then((r) => `${r.status} ${r.version}`, (err: Error) => `error ${err.message}`));
        await pace();
      }
    })();
    const watch = (async () => {
      while (running) {
        weightsSeen.add(JSON.stringify((await q.agent('production')).weights));
        await pace();
      }
    })();
    const staging = await q.run(['deploy', 'v2.0.0', '--env', 'staging']);
    running = false;
    await Promise.all([load, watch]);

    expect(staging.code, staging.stdout + staging.stderr).toBe(0);
    expect(staging.stdout).toContain('weights v2.0.0=100%');
    expect(answers.length).toBeGreaterThan(20);
    expect(new Set(answers)).toEqual(new Set(['200 v1.0.0']));
    expect([...weightsSeen]).toEqual([JSON.stringify({ 'v1.0.0': 100 })]);
    expect((await httpGet(stagingPort, '/')).version).toBe('v2.0.0');
    const stagingAgent = await q.agent('staging');
    expect(stagingAgent.weights).toEqual({ 'v2.0.0': 100 });
    expect(stagingAgent.pid).not.toBe(prodAgent.pid);
    expect((await q.agent('production')).pid).toBe(prodAgent.pid);
    for (const env of ['production', 'staging']) expect(existsSync(join(q.dir, '.shipgate/agent', env, 'agent.sock'))).toBe(true);

    // Commands about one agent ask which environment when there are several.
    const ambiguous = await q.run(['agent', 'status']);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain('choose an environment with --env (one of production, staging)');
    // Status shows each environment with its own router.
    const status = json<{ environment: string; agent: { listen: string; weights: Record<string, number> } }[]>(await q.run(['status', '--json']));
    expect(status.map((s) => [s.environment, s.agent.listen, s.agent.weights])).toEqual([
      ['production', `127.0.0.1:${prodPort}`, { 'v1.0.0': 100 }],
      ['staging', `127.0.0.1:${stagingPort}`, { 'v2.0.0': 100 }],
    ]);
  });

  it('refuses a config whose environments would share a router address, naming both key paths (exit 2, nothing started)', async () => {
    const port = await freePort();
    p = await makeDemoProject(`${BASE.replace('  instances: 1\n', `  instances: 1\n  listen: 127.0.0.1:${port}\n`)}environments: { production: {}, staging: {} }\n`, port, []);
    const validate = await p.run(['config', 'validate']);
    expect(validate.code).toBe(2);
    expect(validate.stderr).toContain(
      `provider.listen: the router of environment "production" (127.0.0.1:${port}, provider.listen) and the router of environment "staging" (127.0.0.1:${port}, provider.listen) would listen on the same address`,
    );
    const deploy = await p.run(['deploy', 'v1.0.0', '--env', 'staging']);
    expect(deploy.code).toBe(2);
    expect(deploy.stderr).toContain(`provider.listen: the router of environment "staging" (127.0.0.1:${port}, provider.listen) and the router of environment "production"`);
    expect(existsSync(join(p.dir, '.shipgate/agent'))).toBe(false);
  });

  it('an agent of the old layout (.shipgate/agent/agent.sock) is found and named; agent stop --legacy retires it', async () => {
    const port = await freePort();
    p = await makeDemoProject(BASE.replace('  instances: 1\n', `  instances: 1\n  listen: 127.0.0.1:${port}\n`), port, ['production']);
    const q = p;
    const legacyDir = join(q.dir, '.shipgate/agent');
    // The agent process of the build under test, started the way an older shipgate started it: on .shipgate/agent itself.
    const old = spawn(process.execPath, [join(REPO_ROOT, 'dist/agent/daemon/entry.js'), '--state-dir', legacyDir], { detached: true, stdio: 'ignore', env: cliEnv() });
    old.unref();
    await eventually(async () => (existsSync(join(legacyDir, 'agent.sock')) ? true : undefined), 'the old-layout agent');
    const refused = await q.run(['deploy', 'v1.0.0']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`an agent of an older shipgate still runs for this project (pid ${old.pid}, ${join(legacyDir, 'agent.sock')}): it keeps one weight table for every environment`);
    expect(refused.stderr).toContain('shipgate agent stop --legacy');
    expect((await q.run(['status'])).stdout).toContain(`WARNING: an agent of an older shipgate still runs for this project (pid ${old.pid}`);
    const stop = await q.run(['agent', 'stop', '--legacy']);
    expect(stop.stdout).toContain(`old-layout agent (pid ${old.pid}) stopped with its instances`);
    const deploy = await q.run(['deploy', 'v1.0.0']);
    expect(deploy.code, deploy.stdout + deploy.stderr).toBe(0);
    expect((await q.get('/')).version).toBe('v1.0.0');
  });
});
