import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SecretScanFacts } from '../../../src/gates/contract.js';
import { applyAllowlist, globToRegExp } from '../../../src/gates/secrets/allowlist.js';
import { gitLogArgv, parseGitLog } from '../../../src/gates/secrets/commits.js';
import { describeFinding, findKnownSecrets, fingerprintOf, type Finding } from '../../../src/gates/secrets/findings.js';
import { createSecretsGate, type SecretsGateConfig } from '../../../src/gates/secrets/gate.js';
import { lintTarget } from '../../../src/gates/secrets/secretlint.js';
import { decideSecrets } from '../../../src/gates/secrets/verdict.js';
import { processRunner } from '../../../src/runtime/process.js';
import { AWS_KEY_ID, privateKeyPem } from '../../support/leaks.js';
import { makeTempDir, type TempDir } from '../../support/tmp.js';
import { makeContext } from './helpers.js';

const TOKEN = 'tok-4f9a-very-secret';
const CFG: SecretsGateConfig = { commits: false, allow: [] };
const AWS_FP = fingerprintOf('aws/AWSAccessKeyID', 'dist/app.js', AWS_KEY_ID);
const TOKEN_FP = fingerprintOf('shipgate/configured-secret', 'dist/config.json', TOKEN);
const hideFingerprints = (t: string): string => t.replace(/\[[0-9a-f]{16}\]/g, '[fp]');

const dirs: TempDir[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await d.cleanup();
});

async function release(files: Record<string, string>): Promise<string> {
  const tmp = await makeTempDir('shipgate-release-');
  dirs.push(tmp);
  await writeFile(join(tmp.path, 'manifest.json'), '{}');
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(tmp.path, path)), { recursive: true });
    await writeFile(join(tmp.path, path), content);
  }
  return tmp.path;
}

function facts(releaseDir: string | null, more: Partial<SecretScanFacts> = {}): SecretScanFacts {
  return { releaseDir, noRelease: releaseDir ? null : 'no release folder (no build step)', root: releaseDir ?? '/', live: null, known: [{ name: 'API_TOKEN', value: TOKEN }], ...more };
}

async function evaluate(files: Record<string, string>, cfg: SecretsGateConfig = CFG) {
  return createSecretsGate(cfg).evaluate(makeContext({ version: 'v1.2.0', secretScan: facts(await release(files)) }));
}

describe('the secrets gate on a release folder', () => {
  it('blocks an AWS access key id, naming file, line and rule but not the key', async () => {
    const r = await evaluate({ 'dist/app.js': `const a = 1;\nconst key = "${AWS_KEY_ID}";\n` });
    expect(r.result).toBe('block');
    expect(r.reason).toBe(
      `found 1 possible secret in release v1.2.0 (1 file): dist/app.js:2 aws/AWSAccessKeyID [${AWS_FP}]; remove it and rotate it, or allowlist a finding that is no secret in gates.secrets.allow with a reason`,
    );
    expect(JSON.stringify(r)).not.toContain(AWS_KEY_ID);
  });

  it('blocks a private key block', async () => {
    const pem = privateKeyPem();
    const r = await evaluate({ 'dist/app.js': 'ok\n', 'certs/server.key': `# key\n${pem}` });
    expect(r.result).toBe('block');
    expect(hideFingerprints(r.reason)).toBe(
      'found 1 possible secret in release v1.2.0 (2 files): certs/server.key:2 privatekey/PrivateKey [fp]; remove it and rotate it, or allowlist a finding that is no secret in gates.secrets.allow with a reason',
    );
    expect(JSON.stringify(r)).not.toContain(pem.split('\n')[1]);
  });

  it('blocks the value of a configured secret, naming its variable', async () => {
    const r = await evaluate({ 'dist/config.json': `{\n  "url": "https://api",\n  "token": "${TOKEN}"\n}\n` });
    expect(r.reason).toBe(
      `found 1 possible secret in release v1.2.0 (1 file): dist/config.json:3 shipgate/configured-secret (the value of API_TOKEN) [${TOKEN_FP}]; remove it and rotate it, or allowlist a finding that is no secret in gates.secrets.allow with a reason`,
    );
    expect(JSON.stringify(r)).not.toContain(TOKEN);
  });

  it('passes a clean release, and says what it scanned', async () => {
    const r = await evaluate({ 'dist/app.js': 'console.log("hello")\n', 'dist/logo.png': '\u0000\u0001binary' });
    expect(r).toMatchObject({ name: 'secrets', result: 'pass', reason: 'no secrets in release v1.2.0 (2 files)' });
  });

  it('lets an allowlisted finding through, by path glob or fingerprint, and lists it with its reason', async () => {
    const files = { 'dist/vendor/fixtures/aws.js': `k = "${AWS_KEY_ID}"\n`, 'dist/config.json': `"${TOKEN}"\n` };
    const fp = fingerprintOf('aws/AWSAccessKeyID', 'dist/vendor/fixtures/aws.js', AWS_KEY_ID);
    const r = await evaluate(files, {
      commits: false,
      allow: [
        { path: 'dist/vendor/**', reason: 'documentation examples' },
        { fingerprint: fingerprintOf('shipgate/configured-secret', 'dist/config.json', TOKEN), reason: 'the public demo token' },
      ],
    });
    expect(r.result).toBe('pass');
    expect(r.reason).toBe(
      `no secrets in release v1.2.0 (2 files); allowlisted: dist/config.json:1 shipgate/configured-secret (the value of API_TOKEN) [${fingerprintOf('shipgate/configured-secret', 'dist/config.json', TOKEN)}] (the public demo token), dist/vendor/fixtures/aws.js:1 aws/AWSAccessKeyID [${fp}] (documentation examples)`,
    );
    expect(r.details).toMatchObject({ findings: [], allowed: [{ file: 'dist/config.json', reason: 'the public demo token' }, { file: 'dist/vendor/fixtures/aws.js', reason: 'documentation examples' }] });
  });

  it('skips, saying why, when there is nothing to scan', async () => {
    const r = await createSecretsGate(CFG).evaluate(makeContext({ secretScan: facts(null) }));
    expect(r).toMatchObject({ result: 'skip', reason: 'nothing to scan: no release folder (no build step)' });
  });
});

describe('the secrets gate on commits', () => {
  async function repo(): Promise<{ dir: string; commit: (files: Record<string, string>) => string }> {
    const tmp = await makeTempDir('shipgate-repo-');
    dirs.push(tmp);
    const git = (...args: string[]): string => execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: tmp.path, encoding: 'utf8' }).trim();
    git('init', '-q');
    return {
      dir: tmp.path,
      commit: (files) => {
        for (const [path, content] of Object.entries(files)) execFileSync('sh', ['-c', 'mkdir -p "$(dirname "$1")" && printf %s "$2" > "$1"', 'sh', path, content], { cwd: tmp.path });
        git('add', '-A');
        git('commit', '-qm', 'change');
        return git('rev-parse', 'HEAD');
      },
    };
  }

  it('blocks what a commit since the live version added, even when a later commit removed it', async () => {
    const r = await repo();
    const live = r.commit({ 'README.md': 'hello\n' });
    const leak = r.commit({ 'src/aws.ts': `// a\n// b\nexport const k = "${AWS_KEY_ID}";\n` });
    const head = r.commit({ 'src/aws.ts': 'export const k = process.env.KEY;\n' });
    const ctx = makeContext({ gitSha: head, run: processRunner, secretScan: facts(null, { root: r.dir, live: { version: 'v1.1.0', sha: live } }) });
    const result = await createSecretsGate({ commits: true, allow: [] }).evaluate(ctx);
    expect(result.result).toBe('block');
    expect(result.reason).toBe(
      `found 1 possible secret in commits ${live.slice(0, 7)}..${head.slice(0, 7)} (2): ${leak.slice(0, 7)}:src/aws.ts:3 aws/AWSAccessKeyID [${fingerprintOf('aws/AWSAccessKeyID', 'src/aws.ts', AWS_KEY_ID)}]; remove it and rotate it, or allowlist a finding that is no secret in gates.secrets.allow with a reason; not scanned: no release folder (no build step)`,
    );
  });

  it('blocks when the range cannot be read, and says so', async () => {
    const r = await repo();
    const head = r.commit({ 'a.txt': 'a\n' });
    const ctx = makeContext({ gitSha: head, run: processRunner, secretScan: facts(null, { root: r.dir, live: { version: 'v1.1.0', sha: '0'.repeat(40) } }) });
    const result = await createSecretsGate({ commits: true, allow: [] }).evaluate(ctx);
    expect(result.result).toBe('block');
    expect(result.reason).toMatch(/^could not read the commits 0000000\.\.[0-9a-f]{7} with git: /);
  });

  it('says why commits were not scanned', async () => {
    const ctx = makeContext({ secretScan: facts(await release({ 'a.txt': 'a\n' })) });
    const r = await createSecretsGate({ commits: true, allow: [] }).evaluate(ctx);
    expect(r.reason).toBe('no secrets in release v1.2.3 (1 file); not scanned: no commits to scan (nothing is live yet)');
  });
});

describe('parseGitLog', () => {
  it('keeps the added lines of each commit and file at their line numbers', () => {
    const a = 'a'.repeat(40);
    const b = 'b'.repeat(40);
    const out = [
      `commit ${a}`,
      '',
      'diff --git a/x.txt b/x.txt',
      '--- a/x.txt',
      '+++ b/x.txt',
      '@@ -2,0 +3,2 @@',
      '+three',
      '++four',
      '@@ -9 +10 @@',
      '-old',
      '+ten',
      'diff --git a/gone.txt b/gone.txt',
      'deleted file mode 100644',
      '--- a/gone.txt',
      '+++ /dev/null',
      '@@ -1 +0,0 @@',
      '-bye',
      `commit ${b}`,
      '',
      'diff --git a/logo.png b/logo.png',
      'Binary files a/logo.png and b/logo.png differ',
    ];
    expect(parseGitLog(out)).toEqual([{ commit: a, file: 'x.txt', lines: ['', '', 'three', '+four', '', '', '', '', '', 'ten'] }]);
  });

  it('reads the range with git log -p, no context, no colors, no external diff', () => {
    expect(gitLogArgv('abc', 'def')).toEqual(['git', '-c', 'core.quotePath=false', 'log', '-p', '--no-color', '--no-ext-diff', '--no-renames', '--unified=0', '--format=commit %H', 'abc..def', '--']);
  });
});

describe('findings', () => {
  it('finds a configured value verbatim, with its line, and ignores values too short to search for', () => {
    const content = Buffer.from(`a\nb ${TOKEN}\nc\n${TOKEN}`);
    const found = findKnownSecrets('f.txt', content, [
      { name: 'API_TOKEN', value: TOKEN },
      { name: 'PIN', value: 'b' },
    ]);
    expect(found.map((f) => [f.line, f.secret])).toEqual([
      [2, 'API_TOKEN'],
      [4, 'API_TOKEN'],
    ]);
  });

  it('runs secretlint with the recommended preset, AWS key ids on, and keeps no secret text', async () => {
    const found = await lintTarget({ file: 'a.env', physicalPath: null, text: `x=1\nAWS_KEY=${AWS_KEY_ID}\n` });
    expect(found).toEqual([{ file: 'a.env', line: 2, rule: 'aws/AWSAccessKeyID', fingerprint: fingerprintOf('aws/AWSAccessKeyID', 'a.env', AWS_KEY_ID) }]);
    expect(await lintTarget({ file: 'a.txt', physicalPath: null, text: 'nothing here\n' })).toEqual([]);
  });

  it('describes a finding with its commit and variable', () => {
    const f: Finding = { file: 'src/a.ts', line: 4, rule: 'shipgate/configured-secret', fingerprint: '0123456789abcdef', commit: 'f'.repeat(40), secret: 'DB_PASSWORD' };
    expect(describeFinding(f)).toBe('fffffff:src/a.ts:4 shipgate/configured-secret (the value of DB_PASSWORD) [0123456789abcdef]');
  });
});

describe('the allowlist', () => {
  it.each([
    ['dist/**', 'dist/a/b/c.js', true],
    ['dist/**', 'src/a.js', false],
    ['**/*.map', 'dist/a/app.js.map', true],
    ['**/*.map', 'app.js.map', true],
    ['dist/*.js', 'dist/a/b.js', false],
    ['dist/?.js', 'dist/a.js', true],
    ['dist/a+b.js', 'dist/a+b.js', true],
    ['dist/a.js', 'dist/aXjs', false],
  ])('glob %s on %s: %s', (glob, path, expected) => {
    expect(globToRegExp(glob).test(path)).toBe(expected);
  });

  it('matches an entry only when every field it sets matches', () => {
    const f: Finding = { file: 'dist/a.js', line: 1, rule: 'aws/AWSAccessKeyID', fingerprint: '0123456789abcdef' };
    expect(applyAllowlist([f], [{ path: 'dist/**', fingerprint: 'ffffffffffffffff', reason: 'r' }]).blocking).toEqual([f]);
    expect(applyAllowlist([f], [{ path: 'dist/**', fingerprint: '0123456789abcdef', reason: 'r' }]).allowed).toEqual([{ ...f, reason: 'r' }]);
  });
});

describe('decideSecrets', () => {
  it('lists at most ten findings and counts the rest', () => {
    const findings = Array.from({ length: 12 }, (_, i): Finding => ({ file: `f${i}`, line: 1, rule: 'r/x', fingerprint: '0123456789abcdef' }));
    const v = decideSecrets({ scanned: ['release v1 (12 files)'], skipped: [], findings }, []);
    expect(v.reason).toContain('f9:1 r/x [0123456789abcdef] and 2 more; remove them and rotate them');
    expect(v.reason).toMatch(/^found 12 possible secrets in release v1 \(12 files\): /);
  });
});
