/**
 * A flood of connections must not take the agent's own work down with it.
 * The issue: 21,000 idle connections used every file descriptor, and the
 * agent's readiness probes failed. Here a real agent runs under an open-file
 * limit of 400 and the router gets 600 connections that never finish their
 * request: the router holds what its cap allows (lowered to fit the limit),
 * answers the rest 503, and meanwhile the control API answers, the instance
 * stays ready under its probes, and afterwards traffic flows again.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { agentPaths } from '../../src/agent/paths.js';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FD_RESERVE, MAX_REFUSING } from '../../src/agent/router/connection-cap.js';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { eventually, freePort } from '../support/local-project.js';
import { APP } from './supervisor-harness.js';

const FD_LIMIT = 400;
const FLOOD = 600;

let agent: AgentProcess;
let port: number;
const flood: Socket[] = [];

interface Status {
  versions: { version: string; instances: { state: string }[] }[];
}

beforeAll(async () => {
  agent = await startAgent({ fdLimit: FD_LIMIT });
  const releaseDir = join(agent.tmp.path, 'release');
  mkdirSync(releaseDir);
  port = await freePort();
  await agent.call('POST', '/v1/configure', { app: 'flood', listen: `127.0.0.1:${port}`, router: { stickyCookie: false, versionHeader: true, bodyLimit: 1024, retry: true, ejectAfter: 5 } });
  const spec = { version: 'v1', releaseDir, argv: [process.execPath, APP], env: {}, readiness: { path: '/health', intervalMs: 100, timeoutMs: 1000, graceMs: 10_000 }, stopTimeoutMs: 1000 };
  await agent.call('POST', '/v1/versions/ensure', { spec, count: 1 });
  await agent.call('POST', '/v1/weights', { weights: { v1: 100 } });
});
afterAll(async () => {
  for (const s of flood) s.destroy();
  await agent?.dispose();
});

/** A connection that sends half a request head and waits (the router gives a head 60 s). */
function halfRequest(): Promise<{ socket: Socket; answer: Promise<string> }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let out = '';
    const answer = new Promise<string>((done) => {
      socket.on('data', (d: Buffer) => (out += d.toString('latin1')));
      socket.on('close', () => done(out));
    });
    socket.on('error', () => undefined);
    socket.once('connect', () => {
      socket.write('GET / HTTP/1.1\r\nHost: flood.test\r\n');
      resolve({ socket, answer });
    });
    socket.once('close', () => resolve({ socket, answer }));
  });
}

describe('a real agent under a connection flood, with an open-file limit of 400', () => {
  it('lowers the router cap to fit the limit', () => {
    const cap = Math.floor((FD_LIMIT - FD_RESERVE - MAX_REFUSING) / 2);
    // The router runs in a process of its own (same open-file limit, inherited); it logs to router.log.
    expect(readFileSync(agentPaths(agent.stateDir).routerLogFile, 'utf8')).toContain(`router: maxConnections 4096 lowered to ${cap}: this process may open ${FD_LIMIT} files, and keeps some for its control socket`);
  });

  it('holds at most its cap, refuses the rest with 503, and keeps its probes, instances and control API working', async () => {
    const answers: Promise<string>[] = [];
    for (let i = 0; i < FLOOD; i++) {
      const c = await halfRequest();
      flood.push(c.socket);
      answers.push(c.answer);
    }
    // Several probe intervals pass with the flood in place.
    const deadline = Date.now() + 2000;
    while (Date.now() < deadline) {
      const s = await agent.call<Status>('GET', '/v1/status');
      expect(s.versions.flatMap((v) => v.instances.map((i) => i.state))).toEqual(['ready']);
      await new Promise((r) => setTimeout(r, 200));
    }
    const probes = await agent.call<{ probes: { ok: boolean }[] }>('GET', '/v1/probe?version=v1');
    expect(probes.probes.map((p) => p.ok)).toEqual([true]);
    // What the router still holds: its cap (refused connections have long been closed).
    const held = flood.filter((s) => !s.destroyed && s.readyState === 'open').length;
    expect(held).toBe(Math.floor((FD_LIMIT - FD_RESERVE - MAX_REFUSING) / 2));
    for (const s of flood) s.destroy();
    const refused = (await Promise.all(answers)).filter((a) => a.startsWith('HTTP/1.1 503') && a.includes('x-shipgate-error: connection-limit'));
    expect(refused.length).toBeGreaterThan(0);
    expect(agent.output()).not.toMatch(/EMFILE/);
  });

  it('serves again once the flood is gone, as the same process', async () => {
    const body = await eventually(async () => {
      const res = await fetch(`http://127.0.0.1:${port}/`).catch(() => null);
      return res?.status === 200 ? res.text() : undefined;
    }, 'a request through the router');
    expect(body).toMatch(/^hello from v1/);
    expect(agent.alive()).toBe(true);
  });
});
