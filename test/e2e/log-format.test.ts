import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, makeProject, type Project } from '../support/project.js';

/**
 * `--log-format json` (and `SHIPGATE_LOG_FORMAT=json`): stderr carries one JSON object per
 * line, stdout keeps the result, and the config's secrets never appear, neither in an
 * error message nor inside a URL.
 */

const SECRET = 'lf-s3cret-Tok3n-9f8e7d';
const SERVE_TOKEN = 'lf-serve-token-0123456789abcdef';

const CONFIG = `app: logfmt
provider:
  type: command
  deploy: ["node", "deploy.js"]
  env: { API_TOKEN: "\${API_TOKEN}" }
gates: { semver: false }
`;

/** Fails when FAIL is set, after printing the token alone and inside a URL. */
const DEPLOY = `if (process.env.FAIL) {
  console.log('token is ' + process.env.API_TOKEN);
  console.error('GET https://deploy:' + process.env.API_TOKEN + '@api.example.com/v1?key=' + encodeURIComponent(process.env.API_TOKEN));
  process.exit(3);
}
console.log('deployed');
`;

interface LogLine {
  level: string;
  time: string;
  msg: string;
  pid: number;
  event?: string;
  deployment_id?: string;
  stage?: string;
  exit_code?: number;
  req?: { url?: string };
}

/** Every non-empty line parsed as JSON (the test fails on the first that is not). */
function jsonLines(text: string): LogLine[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      try {
        return JSON.parse(l) as LogLine;
      } catch {
        throw new Error(`not a JSON line: ${l}`);
      }
    });
}

let p: Project;
beforeAll(async () => {
  p = await makeProject(CONFIG, { 'deploy.js': DEPLOY });
});
afterAll(async () => p?.cleanup());

describe('--log-format json', () => {
  it('a failing deploy: every stderr line is a JSON object with level, time, msg and the event, deployment and stage; the secret appears nowhere', async () => {
    const r = await p.run(['deploy', 'v1.0.0', '--log-format', 'json'], { env: { API_TOKEN: SECRET, FAIL: '1' } });
    expect(r.code, r.stderr).toBe(1);
    const lines = jsonLines(r.stderr);
    for (const l of lines) {
      expect(typeof l.msg).toBe('string');
      expect(Number.isNaN(Date.parse(l.time))).toBe(false);
      expect(['debug', 'info', 'warn', 'error', 'fatal']).toContain(l.level);
    }
    const started = lines.find((l) => l.event === 'deploy:started')!;
    expect(started.deployment_id).toMatch(/^dep_/);
    expect(lines.find((l) => l.event === 'stage:failed')).toMatchObject({ level: 'error', stage: 'deploy', deployment_id: started.deployment_id });
    expect(lines.find((l) => l.event === 'deploy:finished')).toMatchObject({ level: 'error', deployment_id: started.deployment_id });
    // The output of the failed command (token in a URL, token alone) is in the log, masked.
    expect(r.stderr).toContain('https://deploy:***@api.example.com/v1?key=***');
    expect(r.stderr + r.stdout).not.toContain(SECRET);
    // stdout keeps the human result.
    expect(r.stdout).toContain(`✖ deploy v1.0.0 to logfmt/production failed`);
  });

  it('SHIPGATE_LOG_FORMAT=json with --json: stdout is the one JSON result, stderr JSON lines', async () => {
    const r = await p.run(['deploy', 'v1.0.1', '--json'], { env: { API_TOKEN: SECRET, SHIPGATE_LOG_FORMAT: 'json' } });
    expect(r.code, r.stderr).toBe(0);
    expect(json<{ status: string; version: string }>(r)).toMatchObject({ status: 'succeeded', version: 'v1.0.1' });
    const lines = jsonLines(r.stderr);
    expect(lines.filter((l) => l.event === 'stage:finished').map((l) => l.stage)).toEqual(['gates', 'deploy']);
  });

  it('an error a command ends with is a JSON line with its exit code, its secret masked', async () => {
    // A version that is refused: the message quotes it (here, with the secret inside a URL).
    const r = await p.run(['deploy', `https://x:${SECRET}@example.com/`, '--log-format=json'], { env: { API_TOKEN: SECRET } });
    expect(r.code).toBe(2);
    const [line, ...rest] = jsonLines(r.stderr);
    expect(rest).toEqual([]);
    expect(line).toMatchObject({ level: 'error', exit_code: 2 });
    expect(line!.msg).toContain('***');
    expect(r.stderr).not.toContain(SECRET);
  });

  it('a bad value is refused with a message that names the flag or the variable', async () => {
    const flag = await p.run(['status', '--log-format', 'xml']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('--log-format: expected human or json (got "xml")');
    const env = await p.run(['history'], { env: { SHIPGATE_LOG_FORMAT: 'yaml' } });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('SHIPGATE_LOG_FORMAT: expected human or json (got "yaml")');
    // commander's own messages (an unknown option) are JSON lines too.
    const unknown = await p.run(['status', '--log-format', 'json', '--bogus']);
    expect(unknown.code).toBe(2);
    expect(jsonLines(unknown.stderr)[0]).toMatchObject({ level: 'error', msg: "unknown option '--bogus'" });
  });

  it('shipgate serve logs each request as a JSON line; a token in a URL is masked', async () => {
    const server = p.spawn(['serve', '--port', '0', '--log-format', 'json'], { env: { SHIPGATE_SERVE_TOKEN: SERVE_TOKEN } });
    const base = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(await server.waitFor(/on http:\/\/127\.0\.0\.1:\d+/))![1]!;
    const auth = { authorization: `Bearer ${SERVE_TOKEN}` };
    expect((await fetch(`${base}/api/health?probe=${SERVE_TOKEN}`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${base}/api/deployments/dep_nope?t=${SERVE_TOKEN}`)).status).toBe(401);
    server.child.kill('SIGTERM');
    const done = await server.done;
    expect(done.code).toBe(0);
    const lines = jsonLines(done.stderr);
    const urls = lines.map((l) => l.req?.url).filter((u) => u !== undefined);
    expect(urls).toEqual(['/api/health?probe=***', '/api/deployments/dep_nope?t=***']);
    expect(lines.filter((l) => l.msg === 'request completed')).toHaveLength(2);
    expect(done.stdout + done.stderr).not.toContain(SERVE_TOKEN);
  });
});
