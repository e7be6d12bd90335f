/**
 * The TCP control API runs code for whoever holds its token, so it listens
 * beyond loopback only over TLS. A real agent refuses a plain non-loopback
 * address at start; with a certificate (self-signed, made here with openssl)
 * it speaks HTTPS, and the client verifies it: against the certificate itself
 * or a CA, never a stranger's. The whole chain from shipgate.yaml through a
 * deploy and an agent restart is covered too.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient, AgentRequestFailed } from '../../src/agent/client.js';
import { controlEndpoint } from '../../src/agent/control-endpoint.js';
import { agentThatExits, startAgent, type AgentProcess } from '../support/agent-process.js';
import { freePort, makeLocalProject, type LocalProject } from '../support/local-project.js';
import { makeTempDir, type TempDir } from '../support/tmp.js';

const TOKEN = 'a-long-enough-secret-token';
let certs: TempDir;

/** A self-signed certificate for 127.0.0.1 (and another one nobody trusts). */
function makeCert(dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=shipgate agent', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  return { cert, key };
}

let good: { cert: string; key: string };
let stranger: { cert: string; key: string };

beforeAll(async () => {
  certs = await makeTempDir('shipgate-certs-');
  good = makeCert(certs.path, 'agent');
  stranger = makeCert(certs.path, 'stranger');
});
afterAll(async () => certs?.cleanup());

/** Whether anything accepts TCP connections on 127.0.0.1:port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

describe('the agent refuses a plain TCP control port off loopback', () => {
  it.each(['0.0.0.0', ''])('listen "%s:PORT" without TLS: the agent exits with one clear line and binds nothing', async (host) => {
    const port = await freePort();
    const { code, output } = await agentThatExits(['--control-listen', `${host}:${port}`], { SHIPGATE_AGENT_TOKEN: TOKEN });
    expect(code).toBe(1);
    expect(output.trim()).toBe(
      `agent failed to start: provider.control.listen: expected a loopback address like "127.0.0.1:7070" unless provider.control.tls is set: the token grants code execution as the agent's user and must not cross a network in clear text (got "${host}:${port}")`,
    );
    expect(await accepts(port)).toBe(false);
  });

  it('names a certificate file it cannot read', async () => {
    const port = await freePort();
    const { code, output } = await agentThatExits(['--control-listen', `0.0.0.0:${port}`, '--control-tls-cert', join(certs.path, 'missing.crt'), '--control-tls-key', good.key], { SHIPGATE_AGENT_TOKEN: TOKEN });
    expect(code).toBe(1);
    expect(output.trim()).toBe(`agent failed to start: cannot read provider.control.tls.cert (${join(certs.path, 'missing.crt')}): ENOENT`);
  });
});

describe('the TCP control API over TLS', () => {
  let agent: AgentProcess;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    agent = await startAgent({ args: ['--control-listen', `0.0.0.0:${port}`, '--control-tls-cert', good.cert, '--control-tls-key', good.key], env: { SHIPGATE_AGENT_TOKEN: TOKEN } });
  });
  afterAll(async () => agent?.dispose());

  it('answers a client that verifies the certificate', async () => {
    const client = new AgentClient({ host: '127.0.0.1', port, token: TOKEN, ca: readFileSync(good.cert) });
    expect((await client.status()).pid).toBe(agent.pid);
  });

  it('still wants the token', async () => {
    const client = new AgentClient({ host: '127.0.0.1', port, token: 'wrong-token-wrong-token', ca: readFileSync(good.cert) });
    await expect(client.status()).rejects.toThrow(new AgentRequestFailed(401, 'authorization: expected the bearer token'));
  });

  it('is refused by a client that trusts another certificate', async () => {
    const client = new AgentClient({ host: '127.0.0.1', port, token: TOKEN, ca: readFileSync(stranger.cert) });
    await expect(client.status()).rejects.toThrow(/self[- ]signed certificate|unable to verify/i);
  });

  it('does not speak plain HTTP', async () => {
    const plain = await new Promise<string>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/v1/status', headers: { authorization: `Bearer ${TOKEN}` }, agent: false, timeout: 5000 }, (res) => resolve(`answered ${res.statusCode}`));
      req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
      req.on('timeout', () => req.destroy());
      req.end();
    });
    expect(plain).not.toBe('answered 200');
  });
});

describe('provider.control.tls from shipgate.yaml to the agent', () => {
  let p: LocalProject;
  let control: number;
  beforeAll(async () => {
    control = await freePort();
    p = await makeLocalProject('', `  control: { listen: "0.0.0.0:${control}", token: "\${AGENT_TOKEN}", tls: { cert: certs/agent.crt, key: certs/agent.key } }\n`);
    await p.write('certs/agent.crt', readFileSync(good.cert, 'utf8'));
    await p.write('certs/agent.key', readFileSync(good.key, 'utf8'));
  });
  afterAll(async () => p?.dispose());

  const endpoint = () => controlEndpoint({ listen: `0.0.0.0:${control}`, token: TOKEN, tls: { cert: 'certs/agent.crt', key: 'certs/agent.key' } }, p.dir);

  it('a deploy starts the agent with HTTPS on the TCP port, its files relative to the config', async () => {
    const r = await p.run(['deploy', 'v1.0.0'], { env: { AGENT_TOKEN: TOKEN } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const status = await new AgentClient(endpoint()).status();
    expect(status.weights).toEqual({ 'v1.0.0': 100 });
  });

  it('a restarted agent serves HTTPS on the same port', async () => {
    const before = await new AgentClient(endpoint()).status();
    const r = await p.run(['agent', 'restart']);
    expect(r.code, r.stderr).toBe(0);
    const after = await new AgentClient(endpoint()).status();
    expect(after.pid).not.toBe(before.pid);
  });
});
