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
  const inTerminal = (q: Project, cols: number, args: string) =>
    new Promise<string>((resolve, reject) => {
      const child = spawn('script', ['-qec', `stty cols ${cols} rows 30; ${process.execPath} ${CLI} ${args}`, '/dev/null'], { cwd: q.dir, env: cliEnv() });
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
});
