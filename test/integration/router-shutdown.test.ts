/**
 * Graceful shutdown and the hand-over of the listening socket to a successor:
 * in-flight requests finish, later answers carry `Connection: close`, idle
 * keep-alive connections close after a grace period, and a busy keep-alive
 * client sees no failed request while a second process takes over the socket.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fdOf } from '../../src/agent/daemon/handover.js';

/** Where the successor below finds the listening socket (after stdin, stdout, stderr and its IPC channel). */
const LISTENER_FD = 4;
import { EventEmitter, once } from 'node:events';
import { Agent, request } from 'node:http';
import { connect, type Server } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { RoutingTable } from '../../src/agent/contract.js';
import { createRouter, type Router } from '../../src/agent/router/index.js';
import { backendOf, listenLocal, send, startUpstream, until, type SimpleResponse, type Upstream } from '../support/upstream.js';
import { pace } from '../support/pace.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
let cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const fn of cleanups.reverse()) await fn();
  cleanups = [];
});

async function setup(): Promise<{ router: Router; url: string; up: Upstream; agent: Agent }> {
  const up = await startUpstream({ id: 'a' });
  const router = createRouter({ stickyCookie: false, versionHeader: true, bodyLimit: 1024, retry: true });
  router.setTable({ weights: { v1: 100 }, backends: [backendOf(up, 'v1')] });
  const url = await listenLocal(router.server);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  cleanups.push(() => up.close(), () => router.close(), () => agent.destroy());
  return { router, url, up, agent };
}

function refused(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const s = connect({ host: hostname, port: Number(port) });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

describe('router: shutdown', () => {
  it('stops accepting, lets the in-flight request finish with Connection: close, then resolves', async () => {
    const { router, url, up, agent } = await setup();
    const held = send(`${url}/hold`, { agent });
    await up.arrival('/hold');
    let done = false;
    const shutdown = router.shutdown({ timeoutMs: 10_000, idleGraceMs: 5_000 }).then(() => (done = true));
    expect(await refused(url)).toBe(true);
    expect(done).toBe(false);
    up.release();
    const res = await held;
    expect([res.status, res.headers.connection]).toEqual([200, 'close']);
    await shutdown; // the only connection closed after its answer: no need to wait for the grace
  });

  it('answers a request on an idle keep-alive connection with Connection: close', async () => {
    const { router, url, agent } = await setup();
    expect((await send(`${url}/`, { agent })).headers.connection).toBe('keep-alive');
    const shutdown = router.shutdown({ timeoutMs: 10_000, idleGraceMs: 5_000 });
    const res = await send(`${url}/`, { agent }); // reuses the idle socket
    expect([res.status, res.headers.connection]).toEqual([200, 'close']);
    await shutdown;
  });

  it('closes a keep-alive connection that stays idle for idleGraceMs', async () => {
    const { router, url, agent } = await setup();
    await send(`${url}/`, { agent });
    const socket = Object.values(agent.freeSockets)[0]![0]!;
    const closed = once(socket, 'close');
    const started = performance.now();
    await router.shutdown({ timeoutMs: 10_000, idleGraceMs: 100 });
    await closed;
    expect(performance.now() - started).toBeGreaterThanOrEqual(90);
  });

  it('closes what remains after timeoutMs', async () => {
    const { router, url, up } = await setup();
    const held = send(`${url}/hold`).catch((err: NodeJS.ErrnoException) => err.code);
    await up.arrival('/hold');
    await router.shutdown({ timeoutMs: 50, idleGraceMs: 10 });
    expect(await held).toBe('ECONNRESET');
  });
});

/**
 * A second router in a child process that inherits the listening socket as a file
 * descriptor and listens on it, as a restarted router process does (see src/agent/dataplane/keeper.ts).
 */
function startSuccessor(table: RoutingTable, listener: Server): { child: ChildProcess; listening: Promise<void> } {
  const routerUrl = pathToFileURL(resolve(ROOT, 'src/agent/router/index.ts')).href;
  const code = `
    const { createRouter } = await import(${JSON.stringify(routerUrl)});
    const router = createRouter({ stickyCookie: false, versionHeader: true, bodyLimit: 1024, retry: true });
    router.setTable(${JSON.stringify(table)});
    router.server.listen({ fd: ${LISTENER_FD} }, () => process.send('listening'));
    process.on('message', (msg) => {
      if (msg === 'stop') router.close().then(() => process.exit(0));
    });
  `;
  const fd = fdOf(listener);
  if (fd === null) throw new Error('the router is not listening');
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc', fd] });
  const listening = new Promise<void>((resolve, reject) => {
    child.once('message', (m) => (m === 'listening' ? resolve() : reject(new Error(String(m)))));
    child.once('exit', (code) => reject(new Error(`successor exited with ${code}`)));
  });
  return { child, listening };
}

function get(url: string, agent: Agent): Promise<SimpleResponse> {
  return new Promise((resolve, reject) => {
    request(url, { agent }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

describe('router: hand-over to a successor process', () => {
  it('a busy keep-alive client sees zero failed requests', async () => {
    const [oldApp, newApp] = await Promise.all([startUpstream({ id: 'old' }), startUpstream({ id: 'new' })]);
    const router = createRouter({ stickyCookie: false, versionHeader: true, bodyLimit: 1024, retry: true });
    router.setTable({ weights: { v1: 100 }, backends: [backendOf(oldApp, 'v1')] });
    const url = await listenLocal(router.server);
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    cleanups.push(
      () => oldApp.close(),
      () => newApp.close(),
      () => router.close(),
      () => agent.destroy(),
    );
    const served = { old: 0, new: 0 };
    const failures: string[] = [];
    let stop = false;
    const progress = new EventEmitter();
    const client = async (): Promise<void> => {
      while (!stop) {
        try {
          const res = await get(`${url}/`, agent);
          if (res.status !== 200) failures.push(`status ${res.status}: ${res.body}`);
          else served[res.headers['x-instance'] as 'old' | 'new']++;
        } catch (err) {
          failures.push(String((err as NodeJS.ErrnoException).code ?? err));
        }
        progress.emit('answer');
        await pace();
      }
    };
    const answered = (check: () => boolean): Promise<void> => until(check, progress, 'answer');
    const clients = Array.from({ length: 4 }, client);

    await answered(() => served.old >= 200);
    const successor = startSuccessor({ weights: { v1: 100 }, backends: [backendOf(newApp, 'v1')] }, router.server);
    cleanups.push(async () => {
      if (successor.child.exitCode !== null) return;
      successor.child.send('stop');
      await once(successor.child, 'exit');
    });
    await successor.listening; // both processes accept for a moment
    await router.shutdown({ timeoutMs: 10_000, idleGraceMs: 1_000 });
    const handedOverAt = served.new;
    await answered(() => served.new >= handedOverAt + 200);
    stop = true;
    await Promise.all(clients);

    expect(failures).toEqual([]);
    expect(served.old).toBeGreaterThanOrEqual(200);
    expect(served.new).toBeGreaterThanOrEqual(200);
  });
});
