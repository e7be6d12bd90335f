import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, makeProject, type Project, SCRIPTS_PROVIDER } from '../support/project.js';

/** Input that used to be taken the wrong way, through the real CLI: each is refused (exit 2) or held correctly. */

const CONFIG = `app: badinput
${SCRIPTS_PROVIDER}gates: { semver: false }
`;

let p: Project;
beforeAll(async () => {
  p = await makeProject(CONFIG);
});
afterAll(async () => p?.cleanup());

describe('durations', () => {
  it('--timeout 25d (beyond what one Node timer holds) is a deadline 25 days away, not one that fires at once', async () => {
    const r = await p.run(['deploy', 'v1', '--timeout', '25d'], { env: { SLOW_DEPLOY: '0.5' } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((await p.read('live.txt')).trim()).toBe('v1');
  });

  it('a duration past 365d is refused, naming the flag or the key', async () => {
    const flag = await p.run(['deploy', 'v2', '--timeout', '366d']);
    expect([flag.code, flag.stderr.trim()]).toEqual([2, '--timeout: expected a duration of at most 365d (got "366d")']);
    await p.write('long.yaml', `${CONFIG}timeout: 9999999999d\n`);
    const key = await p.run(['config', 'validate', '--config', 'long.yaml']);
    expect(key.code).toBe(2);
    expect(key.stderr).toContain('  timeout: expected a duration of at most 365d (got "9999999999d")');
  });
});

describe('config files', () => {
  it('--config on /dev/zero, a FIFO or a folder is refused at once, naming it', async () => {
    execFileSync('mkfifo', [join(p.dir, 'fifo.yaml')]);
    for (const [file, why] of [
      ['/dev/zero', 'a character device'],
      [join(p.dir, 'fifo.yaml'), 'a FIFO'],
      [p.dir, 'a folder'],
    ]) {
      const r = await p.run(['deploy', 'v3', '--config', file!], { timeoutMs: 15_000 });
      expect([r.code, r.stderr.trim()]).toEqual([2, `cannot read config file ${file}: it is ${why} (expected a YAML file)`]);
    }
  });

  it('${A-B}, ${} and ${1BAD} are refused with their key path, also by the read-only commands', async () => {
    await p.write('refs.yaml', 'app: badinput\nstore: { url: "sqlite:${1BAD}.db" }\nprovider: { type: command, deploy: ["sh", "-c", "echo ${A-B} ${}"] }\n');
    const v = await p.run(['config', 'validate', '--config', 'refs.yaml']);
    expect(v.code).toBe(2);
    expect(v.stderr).toContain('  provider.deploy[2]: "${A-B}" is not a variable reference');
    expect(v.stderr).toContain('  provider.deploy[2]: "${}" is not a variable reference');
    const h = await p.run(['history', '--config', 'refs.yaml']);
    expect(h.code).toBe(2);
    expect(h.stderr).toContain('  store.url: "${1BAD}" is not a variable reference');
  });

  it('an environment named __proto__ is refused', async () => {
    await p.write('proto.yaml', `${CONFIG}environments:\n  __proto__: {}\n  production: {}\n`);
    for (const args of [['config', 'validate'], ['status']]) {
      const r = await p.run([...args, '--config', 'proto.yaml']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('environments.__proto__: "__proto__" cannot name an environment');
    }
  });
});

describe('output', () => {
  it('20 lines of 1 MB are journaled cut to 16 KiB each with a marker naming the bytes cut: the store grows by far less than 20 MB', async () => {
    const print = "const l = 'w'.repeat(1 << 20); for (let i = 0; i < 20; i++) console.log(l)";
    await p.write('loud.yaml', `app: badinput\nprovider: { type: command, deploy: ["node", "-e", "${print}"] }\ngates: { semver: false }\n`);
    const size = (): number => ['', '-wal'].reduce((sum, s) => sum + (existsSync(join(p.dir, `.shipgate/state.db${s}`)) ? statSync(join(p.dir, `.shipgate/state.db${s}`)).size : 0), 0);
    const before = size();
    const r = await p.run(['deploy', 'v4', '--config', 'loud.yaml', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(size() - before).toBeLessThan(2 * 1024 * 1024);
    const id = json<{ deployment_id: string }>(r).deployment_id;
    const shown = json<{ events: { type: string; data: { lines?: { text: string }[] } }[] }>(await p.run(['show', id, '--events', '--json', '--config', 'loud.yaml']));
    const lines = shown.events.filter((e) => e.type === 'step:output').flatMap((e) => e.data.lines!.map((l) => l.text));
    expect(lines).toEqual(Array.from({ length: 20 }, () => `${'w'.repeat(16 * 1024)} [… ${(1 << 20) - 16 * 1024} bytes cut by shipgate]`));
  });
});
