import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanRelease } from '../../src/gates/secrets/release-scan.js';
import { installTarball, npmEnv, packRepository, type Packed } from '../support/packed.js';
import { cliEnv, REPO_ROOT, STATE_SCRIPTS } from '../support/project.js';
import { makeTempDir, type TempDir } from '../support/tmp.js';

const exec = promisify(execFile);

/** What the package may hold: the CLI, its build (JavaScript and types), the demo app, the README. */
const SHIPPED = [/^package\.json$/, /^README\.md$/, /^bin\/shipgate\.js$/, /^dist\/.+\.(js|d\.ts)$/, /^examples\/demo-app\/(server\.js|build\.js|package\.json)$/, /^dashboard\/[a-z-]+\.(html|css|js)$/];
const REQUIRED = ['package.json', 'README.md', 'bin/shipgate.js', 'dist/cli/main.js', 'dist/index.js', 'dist/index.d.ts', 'dist/demo/run-demo.js', 'examples/demo-app/server.js', 'examples/demo-app/build.js', 'examples/demo-app/package.json', 'dashboard/index.html', 'dashboard/app.js'];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npx shipgate …` in the consumer project, offline (npx must find the installed bin, not the registry). */
async function npx(cwd: string, args: string[]): Promise<Run> {
  const env = npmEnv({ npm_config_offline: 'true' }, cliEnv());
  try {
    const { stdout, stderr } = await exec('npx', ['shipgate', ...args], { cwd, env, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) };
  }
}

/** Acceptance (issue 11 §5): the packed tarball installs into an empty project; there the CLI, the demo and a deploy work. */
describe.concurrent('shipgate installed from its packed tarball', () => {
  let tmp: TempDir;
  let consumer: string;
  let packed: Packed;
  let version: string;

  beforeAll(async () => {
    tmp = await makeTempDir('shipgate-pack-');
    consumer = join(tmp.path, 'consumer');
    await mkdir(consumer);
    packed = await packRepository(tmp.path);
    await installTarball(consumer, packed.tarball);
    version = (JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  }, 180_000);
  afterAll(() => tmp?.cleanup());

  it('ships the CLI, its build, the dashboard, the demo app and the README, and nothing else (no sources, tests, maps or secrets)', async () => {
    const paths = packed.files.map((f) => f.path);
    expect(paths.filter((p) => !SHIPPED.some((re) => re.test(p)))).toEqual([]);
    expect(REQUIRED.filter((p) => !paths.includes(p))).toEqual([]);
    const bin = packed.files.find((f) => f.path === 'bin/shipgate.js')!;
    expect(bin.mode & 0o111, 'bin/shipgate.js is executable').not.toBe(0);
    const installed = join(consumer, 'node_modules', 'shipgate');
    expect((await readFile(join(installed, 'bin/shipgate.js'), 'utf8')).split('\n')[0]).toBe('#!/usr/bin/env node');
    const scan = await scanRelease(installed, []);
    expect(scan.files).toBe(paths.length);
    expect(scan.findings.map((f) => `${f.file}:${f.line} ${f.rule}`)).toEqual([]);
  }, 120_000);

  it('answers `npx shipgate --version` with the package version', async () => {
    const r = await npx(consumer, ['--version']);
    expect(r, r.stderr).toMatchObject({ code: 0, stdout: `${version}\n` });
  }, 60_000);

  it('deploys and rolls back with the command provider', async () => {
    const project = join(consumer, 'app');
    for (const [path, content] of Object.entries(STATE_SCRIPTS)) {
      await mkdir(join(project, 'scripts'), { recursive: true });
      await writeFile(join(project, path), content);
      await chmod(join(project, path), 0o755);
    }
    await writeFile(join(project, 'shipgate.yaml'), 'app: myapp\nprovider:\n  type: command\n  deploy: ["./scripts/deploy.sh"]\n  rollback: ["./scripts/rollback.sh"]\n');
    for (const v of ['v1.0.0', 'v1.1.0']) {
      const r = await npx(project, ['deploy', v, '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ status: 'succeeded', version: v });
    }
    const back = await npx(project, ['rollback', '--reason', 'tarball test', '--json']);
    expect(back.code, back.stderr).toBe(0);
    expect(await readFile(join(project, 'live.txt'), 'utf8')).toBe('v1.0.0\n');
    expect(await readFile(join(project, 'calls.log'), 'utf8')).toBe('deploy v1.0.0\ndeploy v1.1.0\nrollback v1.0.0\n');
  }, 120_000);

  // The demo's acceptance test: it runs from the installed package, which proves its files are in "files".
  it('runs `npx shipgate demo`: v1.0.0 deployed, the v1.1.0 canary promoted, the faulty v1.2.0 rolled back, no process left', async () => {
    const r = await npx(consumer, ['demo']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/v1\.0\.0\s+immediate\s+100%\s+succeeded\s+succeeded/);
    expect(r.stdout).toMatch(/v1\.1\.0\s+canary\s+5% → 50% → 100%\s+succeeded\s+succeeded\s+\S+\s+\d+\s+0\s+-/);
    expect(r.stdout).toMatch(/v1\.2\.0\s+canary\s+5% ✖\s+rolled_back\s+rolled_back/);
    expect(r.stdout).toContain('✔ every deployment ended as expected');
    const workspace = /shipgate demo in (\S+)/.exec(r.stdout)![1]!;
    // No process is left in the workspace: neither the agent (its arguments name it) nor an instance (its cwd is in it).
    const leftovers = readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .filter((pid) => {
        try {
          return readlinkSync(`/proc/${pid}/cwd`).startsWith(workspace) || readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(workspace);
        } catch {
          return false;
        }
      });
    expect(leftovers).toEqual([]);
  }, 180_000);
});
