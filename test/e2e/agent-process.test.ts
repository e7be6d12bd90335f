import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeLocalProject, type LocalProject } from '../support/local-project.js';

/** What the agent process keeps: not the deployer's environment, and not the logs of releases that are gone. */

let p: LocalProject | null = null;
afterEach(async () => {
  await p?.dispose();
  p = null;
});

/** The environment a process was started with, as the kernel shows it to its user. */
function environOf(pid: number): Map<string, string> {
  const entries = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
  return new Map(entries.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
}

describe('the agent process', () => {
  it.runIf(process.platform === 'linux')('does not keep the deployer environment: /proc/<agent pid>/environ holds only the allowlist', async () => {
    p = await makeLocalProject();
    const secrets = { GITHUB_TOKEN: 'ghp_deployer_secret_0123', AWS_SECRET_ACCESS_KEY: 'aws-deployer-secret', NPM_TOKEN: 'npm-deployer-secret', DEPLOYER_NOTE: 'kept by the deploy only' };
    const r = await p.run(['deploy', 'v1.0.0'], { env: secrets });
    expect(r.code, r.stderr).toBe(0);
    const env = environOf((await p.agent()).pid);
    for (const name of Object.keys(secrets)) expect(env.has(name), name).toBe(false);
    const text = readFileSync(`/proc/${(await p.agent()).pid}/environ`, 'utf8');
    for (const value of Object.values(secrets)) expect(text).not.toContain(value);
    expect(env.get('PATH')).toBe(process.env.PATH);
    expect([...env.keys()].every((k) => ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LANGUAGE', 'TZ', 'TMPDIR', 'NOTIFY_SOCKET'].includes(k) || k.startsWith('LC_'))).toBe(true);
  });

  it('prunes the instance log folder of a release pruned by build.keep, and keeps the live and previous ones', async () => {
    p = await makeLocalProject('rollout: { strategy: immediate }\n');
    await p.write('shipgate.yaml', (await p.read('shipgate.yaml')).replace('  artifacts: [dist]\n', '  artifacts: [dist]\n  keep: 1\n'));
    const logs = (v: string): string => join(p!.dir, '.shipgate/agent/production/logs', v);
    expect((await p.run(['deploy', 'v1.0.0'])).code).toBe(0);
    expect((await p.run(['deploy', 'v2.0.0'])).code).toBe(0);
    expect(existsSync(logs('v1.0.0'))).toBe(true);
    const r = await p.run(['deploy', 'v3.0.0']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('pruned releases: v1.0.0');
    expect(existsSync(join(p.dir, '.shipgate/releases/v1.0.0'))).toBe(false);
    expect(existsSync(logs('v1.0.0'))).toBe(false);
    expect(existsSync(logs('v2.0.0'))).toBe(true);
    expect(existsSync(logs('v3.0.0'))).toBe(true);
  });
});
