import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, makeProject, spawnCli, type CliResult, type Project, SCRIPTS_PROVIDER } from '../support/project.js';
import { makeTempDir, type TempDir } from '../support/tmp.js';

/**
 * Without --config, shipgate.yaml is looked for in the working folder, then in
 * each parent folder (never above a git repository's root); $SHIPGATE_CONFIG names
 * one outright. Relative paths in the config stay relative to the config's folder.
 */

const CONFIG = `
app: discovery
${SCRIPTS_PROVIDER}`;

let p: Project;
let sub: string;
let elsewhere: TempDir;
beforeAll(async () => {
  p = await makeProject(CONFIG);
  sub = join(p.dir, 'services', 'api');
  await mkdir(sub, { recursive: true });
  elsewhere = await makeTempDir('shipgate-elsewhere-');
  await mkdir(join(elsewhere.path, '.git'));
});
afterAll(async () => {
  await p?.cleanup();
  await elsewhere?.cleanup();
});

function runIn(cwd: string, args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return spawnCli(args, cwd, env).done;
}

describe('finding shipgate.yaml', () => {
  it('a deploy from a subfolder uses the config above it; its scripts and state stay next to the config', async () => {
    const r = await runIn(sub, ['deploy', 'v1.0.0']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`config: ${join(p.dir, 'shipgate.yaml')} (found in a parent folder)`);
    expect((await p.read('live.txt')).trim()).toBe('v1.0.0');
    expect(existsSync(join(p.dir, '.shipgate', 'state.db'))).toBe(true);
    expect(existsSync(join(sub, '.shipgate'))).toBe(false);
    expect(existsSync(join(sub, 'live.txt'))).toBe(false);
  });

  it('read-only commands from a subfolder read the same state, and say which file', async () => {
    const status = await runIn(sub, ['status']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('live:      v1.0.0');
    expect(status.stderr).toContain(`config: ${join(p.dir, 'shipgate.yaml')} (found in a parent folder)`);
    const history = await runIn(sub, ['history', '--json']);
    expect(history.code, history.stderr).toBe(0);
    expect(json<{ version: string }[]>(history).map((d) => d.version)).toEqual(['v1.0.0']);
    const print = await runIn(sub, ['config', 'print']);
    expect(print.stdout.split('\n')[0]).toBe(`# ${join(p.dir, 'shipgate.yaml')}`);
    expect((await runIn(sub, ['config', 'validate'])).stdout).toContain(`config is valid for production (${join(p.dir, 'shipgate.yaml')})`);
  });

  it('in the config\'s own folder nothing is said, unless --verbose', async () => {
    expect((await runIn(p.dir, ['status'])).stderr).toBe('');
    expect((await runIn(p.dir, ['status', '--verbose'])).stderr).toContain(`config: ${join(p.dir, 'shipgate.yaml')}`);
  });

  it('$SHIPGATE_CONFIG names the file from anywhere; --config wins over it', async () => {
    const viaEnv = await runIn(elsewhere.path, ['status'], { SHIPGATE_CONFIG: join(p.dir, 'shipgate.yaml') });
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
    expect(viaEnv.stdout).toContain('live:      v1.0.0');
    const flag = await runIn(elsewhere.path, ['status', '--config', 'nope.yaml'], { SHIPGATE_CONFIG: join(p.dir, 'shipgate.yaml') });
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain(`no config file at ${join(elsewhere.path, 'nope.yaml')}`);
  });

  it('never above the root of a git repository: a folder of another repository finds nothing', async () => {
    const inner = join(p.dir, 'vendor', 'lib');
    await mkdir(join(inner, '.git'), { recursive: true });
    await mkdir(join(inner, 'src'));
    const r = await runIn(join(inner, 'src'), ['status']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`no config file: no shipgate.yaml in ${join(inner, 'src')} or a parent folder up to ${inner} (the root of its git repository) (create one or pass --config FILE)`);
  });
});
