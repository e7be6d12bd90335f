import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { CLI, cliEnv, json, makeProject, REPO_ROOT, type Project, SCRIPTS_PROVIDER } from '../support/project.js';

/** Output modes: one plain line per event outside a TTY, --json on stdout only, NO_COLOR, --verbose stacks, --version. */

const CONFIG = `
app: outputs
${SCRIPTS_PROVIDER}`;

let p: Project;
beforeAll(async () => {
  p = await makeProject(CONFIG);
});
afterAll(async () => p?.cleanup());

describe('output', () => {
  it('outside a TTY: one timestamped line per event, script output included', async () => {
    const r = await p.run(['deploy', 'v1.0.0']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => /^\d\d:\d\d:\d\d /.test(l));
    expect(lines.map((l) => l.slice(9))).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^deploy v1\.0\.0 to outputs\/production \(first deployment\) as dep_/),
        'stage gates started',
        expect.stringMatching(/^gate semver: pass/),
        expect.stringMatching(/^stage gates finished/),
        '    │ deployed v1.0.0 (was )',
        expect.stringMatching(/^dep_\S+ succeeded in/),
      ]),
    );
    expect(r.stdout).not.toContain('\u001b[');
  });

  it('--json: stdout is one JSON document; progress goes to stderr', async () => {
    const r = await p.run(['deploy', 'v1.1.0', '--json']);
    const out = json<{ status: string; exit_code: number }>(r);
    expect(out).toMatchObject({ status: 'succeeded', exit_code: 0 });
    expect(r.stderr).toContain('stage deploy started');
  });

  it('--verbose shows the stack of an unexpected error; without it, one clear line', async () => {
    await p.write('scripts/deploy.sh', '#!/bin/sh\nexit 0\n');
    const quiet = await p.run(['show', 'not-an-id']);
    expect(quiet.code).toBe(2);
    expect(quiet.stderr.trim().split('\n')).toHaveLength(1);
    const loud = await p.run(['show', 'not-an-id', '--verbose']);
    expect(loud.stderr).toMatch(/\n\s+at /);
  });

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = await p.run(['--version']);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('history and status read without deploy secrets in the environment', async () => {
    await p.write('shipgate.yaml', `${CONFIG}  env: { TOKEN: "\${SOME_UNSET_SECRET}" }\n`);
    expect((await p.run(['deploy', 'v1.2.0'])).code).toBe(2);
    const h = await p.run(['history']);
    expect(h.code, h.stderr).toBe(0);
    expect(h.stdout).toMatch(/dep_\S+\s+production\s+deploy\s+v1\.1\.0\s+succeeded/);
    expect((await p.run(['status'])).stdout).toContain('live:      v1.1.0');
  });
});

describe('in a terminal', () => {
  // `script` (util-linux) gives the CLI a pseudo-terminal of a known size.
  const inTerminal = (q: Project, cols: number, args: string, env: Record<string, string | undefined> = {}) =>
    new Promise<string>((resolve, reject) => {
      const child = spawn('script', ['-qec', `stty cols ${cols} rows 30; ${process.execPath} ${CLI} ${args}`, '/dev/null'], { cwd: q.dir, env: cliEnv(env) });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.on('error', reject);
      child.on('close', () => resolve(out));
    });

  it('shows a live view of the stages', async () => {
    const q = await makeProject(CONFIG);
    try {
      const out = await inTerminal(q, 100, 'deploy v1.0.0');
      expect(out).toMatch(/✔\S* gates/);
      expect(out).toMatch(/✔\S* deploy/);
      expect(out).toContain('deploy v1.0.0 to outputs/production succeeded');
    } finally {
      await q.cleanup();
    }
  });

  it('falls back to plain lines when the terminal reports no width', async () => {
    const q = await makeProject(CONFIG);
    try {
      const out = await inTerminal(q, 0, 'deploy v1.0.0');
      expect(out).toContain('stage gates started');
      expect(out).toContain('deploy v1.0.0 to outputs/production succeeded');
    } finally {
      await q.cleanup();
    }
  });

  it('a failed deploy shows the undo, the rollback script\'s output and the outcome, and no listener warning', async () => {
    const q = await makeProject(CONFIG);
    try {
      expect((await q.run(['deploy', 'v1.0.0'])).code).toBe(0);
      const out = await inTerminal(q, 100, 'deploy v1.1.0', { FAIL_DEPLOY: '1' });
      expect(out).toContain('deploy of v1.1.0 failed');
      expect(out).toContain('undo deploy started');
      expect(out).toContain('deploy/rollback started: ./scripts/rollback.sh');
      expect(out).toContain('│ restored v1.0.0');
      expect(out).toContain('undo deploy finished');
      expect(out).toContain('deploy v1.1.0 to outputs/production failed and was rolled back to v1.0.0');
      expect(out).not.toContain('threw');
    } finally {
      await q.cleanup();
    }
  });

  describe('colors follow NO_COLOR, FORCE_COLOR and --no-color', () => {
    const ESC = '\u001b';
    /** An SGR sequence: a color or a style (cursor moves and erasing end in other letters). */
    const SGR = new RegExp(`${ESC}\\[[\\d;]*m`);
    const GREEN_TICK = `${ESC}[32m✔${ESC}[39m gates`;

    it('in a terminal, by default and with an empty NO_COLOR, the stages and the outcome are colored', async () => {
      const q = await makeProject(CONFIG);
      try {
        expect(await inTerminal(q, 100, 'deploy v1.0.0', { NO_COLOR: undefined })).toContain(GREEN_TICK);
        const out = await inTerminal(q, 100, 'deploy v1.1.0', { NO_COLOR: '' });
        expect(out).toContain(GREEN_TICK);
        expect(out).toContain(`${ESC}[32m✔ deploy v1.1.0 to outputs/production succeeded`);
      } finally {
        await q.cleanup();
      }
    });

    it('in a terminal, NO_COLOR=1, FORCE_COLOR=0 and --no-color each turn every color off, listr\'s included', async () => {
      const q = await makeProject(CONFIG);
      try {
        for (const [i, [env, flags]] of ([[{ NO_COLOR: '1' }, ''], [{ NO_COLOR: undefined, FORCE_COLOR: '0' }, ''], [{ NO_COLOR: undefined, FORCE_COLOR: '1' }, ' --no-color']] as const).entries()) {
          const out = await inTerminal(q, 100, `deploy v1.${i}.0${flags}`, env);
          expect(out, JSON.stringify(env) + flags).toContain('succeeded');
          expect(out, JSON.stringify(env) + flags).not.toMatch(SGR);
        }
      } finally {
        await q.cleanup();
      }
    });

    it('without a terminal, FORCE_COLOR (empty or 1) forces colors; FORCE_COLOR=0 does not', async () => {
      const q = await makeProject(CONFIG);
      try {
        const forced = await q.run(['deploy', 'v2.0.0'], { env: { NO_COLOR: undefined, FORCE_COLOR: '1' } });
        expect(forced.stdout).toContain(`${ESC}[32m✔ deploy v2.0.0 to outputs/production succeeded`);
        const empty = await q.run(['status'], { env: { NO_COLOR: undefined, FORCE_COLOR: '' } });
        expect(empty.stdout).toContain(`${ESC}[1moutputs/production${ESC}[22m`);
        const off = await q.run(['status'], { env: { NO_COLOR: undefined, FORCE_COLOR: '0' } });
        expect(off.stdout).not.toMatch(SGR);
        const json = await q.run(['status', '--json'], { env: { NO_COLOR: undefined, FORCE_COLOR: '1' } });
        expect(json.stdout).not.toMatch(SGR);
      } finally {
        await q.cleanup();
      }
    });
  });
});
