import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, makeProject, type CliResult, type Project, SCRIPTS_PROVIDER } from '../support/project.js';

/** Under --json, every error exit still leaves exactly one JSON document on stdout: the error, its class, its exit code, and (config errors) the key paths. */

const CONFIG = `
app: jsonerrors
${SCRIPTS_PROVIDER}`;

interface ErrorDoc {
  status: string;
  error: string;
  error_type: string;
  exit_code: number;
  issues?: { path: string | null; message: string }[];
  gate?: string;
  lock?: { deployment_id: string; holder: string; pid: number; host: string; since: string };
}

/** The error document, checked for the fields every error has and for the exit code the process gave. */
function errorDoc(r: CliResult, code: number): ErrorDoc {
  expect(r.code, r.stderr).toBe(code);
  const doc = json<ErrorDoc>(r);
  expect(doc).toMatchObject({ status: 'error', exit_code: code });
  expect(typeof doc.error).toBe('string');
  return doc;
}

let p: Project;
beforeAll(async () => {
  p = await makeProject(CONFIG);
  expect((await p.run(['deploy', 'v1.0.0'])).code).toBe(0);
});
afterAll(async () => p?.cleanup());

describe('--json errors', () => {
  it('an invalid config (exit 2) gives each problem with its key path', async () => {
    await p.write('bad.yaml', 'app: demo\nprovider: { type: command, deploy: ["./d.sh"] }\ngates:\n  window: { timezone: America/Los_Angeles, hours: "9-5" }\nrollout: { stratgy: canary }\n');
    for (const command of [['deploy', 'v1.1.0'], ['config', 'print'], ['gates', 'check', 'v1.1.0']]) {
      const doc = errorDoc(await p.run([...command, '--config', 'bad.yaml', '--json']), 2);
      expect(doc.error_type, command.join(' ')).toBe('ConfigError');
      expect(doc.error).toContain('bad.yaml');
      expect(doc.issues).toEqual([
        { path: 'gates.window.hours', message: 'expected "HH:MM-HH:MM" (got "9-5")' },
        { path: 'rollout.stratgy', message: 'unknown key (did you mean "strategy"?)' },
      ]);
    }
  });

  it('a missing variable names the key path where it is used; read-only commands too', async () => {
    await p.write('needs-env.yaml', `${CONFIG}  env: { TOKEN: "\${SOME_UNSET_SECRET}" }\nstore: { url: "\${NO_SUCH_STORE}" }\n`);
    const deploy = errorDoc(await p.run(['deploy', 'v1.1.0', '--config', 'needs-env.yaml', '--json']), 2);
    expect(deploy.issues).toEqual(
      expect.arrayContaining([{ path: 'provider.env.TOKEN', message: 'environment variable SOME_UNSET_SECRET is not set (used as ${SOME_UNSET_SECRET})' }]),
    );
    const status = errorDoc(await p.run(['status', '--config', 'needs-env.yaml', '--json']), 2);
    expect(status.issues).toEqual([{ path: 'store.url', message: 'environment variable NO_SUCH_STORE is not set (used as ${NO_SUCH_STORE})' }]);
  });

  it('a YAML syntax error has no key path, only where in the file', async () => {
    await p.write('broken.yaml', 'app: demo\nprovider: [\n');
    const doc = errorDoc(await p.run(['config', 'validate', '--config', 'broken.yaml', '--json']), 2);
    expect(doc.issues).toEqual([{ path: null, message: expect.stringMatching(/^line \d+, column \d+: /) as unknown as string }]);
  });

  it('config validate --json lists the problems with their paths once each, and its exit code', async () => {
    await p.write('two-envs.yaml', 'app: demo\nprovider: { type: command, deploy: ["./d.sh"] }\nsmoke: [{ name: x, url: "ftp://nope" }]\nenvironments: { staging: {}, production: {} }\n');
    const r = await p.run(['config', 'validate', '--config', 'two-envs.yaml', '--json']);
    expect(r.code).toBe(2);
    const doc = json<{ valid: boolean; exit_code: number; issues: { path: string; message: string }[] }>(r);
    expect(doc).toMatchObject({ valid: false, exit_code: 2 });
    expect(doc.issues.map((i) => i.path)).toEqual(['smoke[0].url']);
  });

  it('usage errors (exit 2): a bad flag value, an unknown option, an unknown deployment', async () => {
    const timeout = errorDoc(await p.run(['deploy', 'v1.1.0', '--timeout', 'soon', '--json']), 2);
    expect(timeout).toMatchObject({ error_type: 'UsageError', error: '--timeout: expected a duration like "30s", "10m" or "1h" (got "soon")' });
    const option = errorDoc(await p.run(['deploy', 'v1.1.0', '--frobnicate', '--json']), 2);
    expect(option).toMatchObject({ error_type: 'UsageError', error: "unknown option '--frobnicate'" });
    const missing = errorDoc(await p.run(['show', 'dep_nope', '--json']), 2);
    expect(missing.error_type).toBe('NotFound');
    expect(missing.error).toContain('dep_nope');
  });

  it('a held lock (exit 5) names the holder', async () => {
    const release = join(p.dir, 'release-lock');
    const holder = p.spawn(['deploy', 'v1.2.0'], { env: { HOLD_UNTIL: release } });
    await holder.waitFor('deploy/deploy started');
    const doc = errorDoc(await p.run(['deploy', 'v1.2.1', '--json']), 5);
    await writeFile(release, '');
    expect(doc.error_type).toBe('LockHeld');
    expect(doc.lock).toMatchObject({ holder: 'tester', deployment_id: expect.stringMatching(/^dep_/) as unknown as string });
    expect(doc.error).toContain(doc.lock!.deployment_id);
    expect((await holder.done).code).toBe(0);
  });

  it('an unexpected failure (exit 1) is JSON too; stderr still has the line for a person, and the stack only with --verbose', async () => {
    await p.write('pg.yaml', `${CONFIG}store: { url: "postgres://nobody:hunter2secret@127.0.0.1:1/none" }\n`);
    const r = await p.run(['status', '--config', 'pg.yaml', '--json']);
    const doc = errorDoc(r, 1);
    expect(doc.error).toContain('cannot open store postgres://nobody:***@127.0.0.1:1/none');
    expect(r.stdout + r.stderr).not.toContain('hunter2secret');
    expect(r.stderr).toContain(`error: ${doc.error}`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect((await p.run(['status', '--config', 'pg.yaml', '--json', '--verbose'])).stderr).toMatch(/\n\s+at /);
  });
});
