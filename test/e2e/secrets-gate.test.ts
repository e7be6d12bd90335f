import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintOf } from '../../src/gates/secrets/findings.js';
import { AWS_KEY_ID, privateKeyPem } from '../support/leaks.js';
import { makeProject, type CliResult, type Project } from '../support/project.js';

/**
 * Acceptance (secrets gate): a release holding an AWS-style key, a private key
 * block or a configured secret's value is blocked (exit 3) with a pinned message
 * that does not hold the secret; a clean release passes; an allowlisted finding
 * passes and is recorded. `gates check` runs the gate too.
 */

const TOKEN = 'tok-e2e-9f3a-7c21-secret';
const PEM = privateKeyPem();

const CONFIG = `
app: leaktest
provider:
  type: command
  deploy: ["./scripts/deploy.sh"]
  env: { API_TOKEN: "\${SG_API_TOKEN}" }
build:
  command: ["./scripts/build.sh"]
  artifacts: [dist]
gates:
  secrets:
    allow:
      - { path: "dist/vendor/**", reason: "documentation examples of the vendored SDK" }
`;

const SCRIPTS = {
  'scripts/deploy.sh': '#!/bin/sh\necho "$SHIPGATE_VERSION" > live.txt\n',
  // What the build puts into dist/ is chosen by $LEAK; the secrets come in through the environment.
  'scripts/build.sh': `#!/bin/sh
rm -rf dist && mkdir -p dist/vendor
printf 'console.log("app %s");\\n' "$SHIPGATE_VERSION" > dist/app.js
case "$LEAK" in
  aws) printf 'const region = "eu";\\nconst key = "%s";\\n' "$LEAK_AWS" >> dist/app.js ;;
  key) printf '# deploy key\\n%s\\n' "$LEAK_PEM" > dist/id_rsa ;;
  token) printf '{\\n  "token": "%s"\\n}\\n' "$SG_API_TOKEN" > dist/config.json ;;
  vendor) printf 'example("%s");\\n' "$LEAK_AWS" > dist/vendor/sdk-example.js ;;
esac
`,
};

const NEXT = 'remove it and rotate it, or allowlist a finding that is no secret in gates.secrets.allow with a reason';

let p: Project;
const outputs: CliResult[] = [];

async function deploy(version: string, leak: string, extra: string[] = []): Promise<CliResult> {
  const r = await p.run(['deploy', version, ...extra], { env: { SG_API_TOKEN: TOKEN, LEAK: leak, LEAK_AWS: AWS_KEY_ID, LEAK_PEM: PEM } });
  outputs.push(r);
  return r;
}

interface Rec {
  status: string;
  gates: { name: string; result: string; reason: string }[];
  secrets_scan?: { result: string; scanned: string[]; findings: { file: string; rule: string }[]; allowed: { file: string; rule: string; reason: string }[] };
}

/** The newest record (their names start with the time of the deployment). */
async function lastRecord(): Promise<Rec> {
  const names = (await readdir(join(p.dir, '.shipgate/records'))).filter((n) => n.endsWith('.json')).sort();
  return JSON.parse(await p.read(`.shipgate/records/${names.at(-1)!}`)) as Rec;
}

const released = (v: string): boolean => existsSync(join(p.dir, '.shipgate/releases', v));

beforeAll(async () => {
  p = await makeProject(CONFIG, SCRIPTS);
});
afterAll(async () => p?.cleanup());

describe('the secrets gate in a deploy', () => {
  it('passes a clean release and records what it scanned', async () => {
    const r = await deploy('v1.0.0', 'none');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const rec = await lastRecord();
    expect(rec.gates.find((g) => g.name === 'secrets')).toEqual({ name: 'secrets', result: 'pass', reason: 'no secrets in release v1.0.0 (1 file)' });
    expect(rec.secrets_scan).toEqual({ result: 'pass', scanned: ['release v1.0.0 (1 file)'], skipped: [], findings: [], allowed: [] });
  });

  it('blocks a release with an AWS-style key (exit 3), deletes it, deploys nothing', async () => {
    const r = await deploy('v1.1.0', 'aws');
    expect(r.code).toBe(3);
    const fp = fingerprintOf('aws/AWSAccessKeyID', 'dist/app.js', AWS_KEY_ID);
    expect(r.stdout + r.stderr).toContain(
      `blocked by gate "secrets": found 1 possible secret in release v1.1.0 (1 file): dist/app.js:3 aws/AWSAccessKeyID [${fp}]; ${NEXT}; release v1.1.0 was deleted (the next deploy builds it again)`,
    );
    expect(await p.read('live.txt')).toBe('v1.0.0\n');
    expect(released('v1.1.0')).toBe(false);
    const rec = await lastRecord();
    expect(rec.status).toBe('blocked');
    expect(rec.gates.find((g) => g.name === 'secrets')?.result).toBe('block');
    expect(rec.secrets_scan?.findings).toEqual([{ file: 'dist/app.js', line: 3, rule: 'aws/AWSAccessKeyID', fingerprint: fp }]);
  });

  it('blocks a release with a private key block', async () => {
    const r = await deploy('v1.1.1', 'key');
    expect(r.code).toBe(3);
    expect((r.stdout + r.stderr).replace(/\[[0-9a-f]{16}\]/g, '[fp]')).toContain(
      `blocked by gate "secrets": found 1 possible secret in release v1.1.1 (2 files): dist/id_rsa:2 privatekey/PrivateKey [fp]; ${NEXT}; release v1.1.1 was deleted`,
    );
  });

  it('blocks a release holding the value of a configured secret, naming the variable', async () => {
    const r = await deploy('v1.1.2', 'token');
    expect(r.code).toBe(3);
    const fp = fingerprintOf('shipgate/configured-secret', 'dist/config.json', TOKEN);
    expect(r.stdout + r.stderr).toContain(
      `blocked by gate "secrets": found 1 possible secret in release v1.1.2 (2 files): dist/config.json:2 shipgate/configured-secret (the value of SG_API_TOKEN) [${fp}]; ${NEXT}; release v1.1.2 was deleted`,
    );
  });

  it('lets an allowlisted finding through, and records it with its reason', async () => {
    const r = await deploy('v1.2.0', 'vendor');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const fp = fingerprintOf('aws/AWSAccessKeyID', 'dist/vendor/sdk-example.js', AWS_KEY_ID);
    const rec = await lastRecord();
    expect(rec.gates.find((g) => g.name === 'secrets')?.reason).toBe(
      `no secrets in release v1.2.0 (2 files); allowlisted: dist/vendor/sdk-example.js:1 aws/AWSAccessKeyID [${fp}] (documentation examples of the vendored SDK)`,
    );
    expect(rec.secrets_scan?.allowed).toEqual([{ file: 'dist/vendor/sdk-example.js', line: 1, rule: 'aws/AWSAccessKeyID', fingerprint: fp, reason: 'documentation examples of the vendored SDK' }]);
  });

  it('runs in gates check: a kept release with a finding blocks (exit 3), a version not built yet is skipped', async () => {
    await p.write('strict.yaml', CONFIG.replace(/\n {4}allow:[\s\S]*$/, '\n    allow: []\n'));
    const env = { SG_API_TOKEN: TOKEN };
    const blocked = await p.run(['gates', 'check', 'v1.2.0', '-c', 'strict.yaml'], { env });
    outputs.push(blocked);
    expect(blocked.code).toBe(3);
    expect(blocked.stdout).toMatch(/secrets\s+block\s+found 1 possible secret in release v1\.2\.0 \(2 files\): dist\/vendor\/sdk-example\.js:1 aws\/AWSAccessKeyID/);
    const skipped = await p.run(['gates', 'check', 'v9.0.0'], { env });
    expect(skipped.code).toBe(0);
    expect(skipped.stdout).toMatch(/secrets\s+skip\s+nothing to scan: no release v9\.0\.0 yet \(the deploy scans it right after the build\)/);
  });

  it('never prints or records a secret', async () => {
    const all = outputs.map((o) => o.stdout + o.stderr).join('\n') + JSON.stringify(await lastRecord());
    expect(all).not.toContain(AWS_KEY_ID);
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain(PEM.split('\n')[1]!);
  });
});

describe('the secrets gate on the commits since the live version', () => {
  it('blocks what a commit added since the live version, in gates check and in the deploy', async () => {
    const config = `app: committest
provider: { type: command, deploy: ["./scripts/deploy.sh"] }
gates: { secrets: { commits: true } }
`;
    const q = await makeProject(config, { 'scripts/deploy.sh': '#!/bin/sh\necho "$SHIPGATE_VERSION" > live.txt\n' });
    try {
      const git = (...args: string[]): string =>
        execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: q.dir, encoding: 'utf8' }).trim();
      git('init', '-q');
      git('add', 'shipgate.yaml', 'scripts');
      git('commit', '-qm', 'start');
      expect((await q.run(['deploy', 'v1.0.0'])).code).toBe(0);
      const live = git('rev-parse', 'HEAD');
      await q.write('src/settings.ts', `export const region = 'eu';\nexport const key = '${AWS_KEY_ID}';\n`);
      git('add', 'src');
      git('commit', '-qm', 'settings');
      const head = git('rev-parse', 'HEAD');
      const fp = fingerprintOf('aws/AWSAccessKeyID', 'src/settings.ts', AWS_KEY_ID);
      const found = `found 1 possible secret in commits ${live.slice(0, 7)}..${head.slice(0, 7)} (1): ${head.slice(0, 7)}:src/settings.ts:2 aws/AWSAccessKeyID [${fp}]; ${NEXT}; not scanned: no release folder (no build step)`;

      const check = await q.run(['gates', 'check', 'v1.1.0']);
      expect(check.code).toBe(3);
      expect(check.stdout).toContain(`secrets   block      ${found}`);
      const r = await q.run(['deploy', 'v1.1.0']);
      expect(r.code).toBe(3);
      expect(r.stdout + r.stderr).toContain(`blocked by gate "secrets": ${found}`);
      expect(await q.read('live.txt')).toBe('v1.0.0\n');
      expect(check.stdout + r.stdout + r.stderr).not.toContain(AWS_KEY_ID);
    } finally {
      await q.cleanup();
    }
  });
});
