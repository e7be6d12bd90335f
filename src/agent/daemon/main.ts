import { rmSync } from 'node:fs';
import { createServer as createTcpServer, type Server } from 'node:http';
import { parseListen } from '../../config/schema/local.js';
import { ensurePrivateDir, writePrivateFileSync } from '../../runtime/private-files.js';
import { AGENT_ENTRY, agentPaths, type AgentPaths } from '../paths.js';
import { Agent } from './agent.js';
import { createControlHandler, createControlServer, listenOnSocket } from './control-server.js';
import { handOver, receiveHandover, spawnSuccessor, tellPredecessor } from './handover.js';
import { agentRoutes } from './routes.js';
import { readState } from './state-file.js';
import { notifySystemd } from './systemd.js';

export interface RunAgentOptions {
  stateDir: string;
  agentVersion: string;
  /** Started by a predecessor that hands over its state and socket. */
  handover?: boolean;
  /** Optional TCP control API (token required). */
  controlListen?: string;
  controlToken?: string;
  /** Inherited listening sockets (handover). */
  listenerFd?: number;
  controlFd?: number;
}

/** How long in-flight requests of a retiring agent may take to finish. */
export const RETIRE_TIMEOUT_MS = 30_000;

function logger(): (line: string) => void {
  return (line) => process.stdout.write(`${new Date().toISOString()} [agent ${process.pid}] ${line}\n`);
}

async function listenRouter(agent: Agent, listen: string, handle: unknown): Promise<void> {
  const server = agent.router!.server;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (handle) server.listen(handle as never, () => resolve());
    else {
      const { host, port } = parseListen(listen);
      server.listen(port, host, () => resolve());
    }
  });
}

/** Runs the agent in this process until it is stopped or hands over. */
export async function runAgent(opts: RunAgentOptions): Promise<void> {
  const paths = agentPaths(opts.stateDir);
  ensurePrivateDir(paths.logsDir);
  const log = logger();
  const agent = new Agent({ paths, agentVersion: opts.agentVersion, log });
  const listener = opts.listenerFd === undefined ? null : { fd: opts.listenerFd };
  const controlHandle = opts.controlFd === undefined ? null : { fd: opts.controlFd };
  if (opts.handover) {
    agent.restore(await receiveHandover());
  } else {
    const restored = readState(paths.stateFile);
    if (restored) agent.restore(restored.state, restored.incomplete);
  }
  const snapshot = agent.settings();
  if (snapshot.app && snapshot.listen && snapshot.router) {
    agent.configure({ app: snapshot.app, listen: snapshot.listen, router: snapshot.router });
    await listenRouter(agent, snapshot.listen, listener);
  }
  const stop = lifecycle(agent, paths, opts, log);
  const routes = agentRoutes(agent, {
    onRouterCreated: () => listenRouter(agent, agent.settings().listen!, null),
    restart: () => stop.restart(),
    stop: (stopInstances) => void stop.stop(stopInstances),
  });
  const control = createControlServer(routes, { log });
  await listenOnSocket(control, paths.socket, { replace: opts.handover === true });
  stop.setUnixControl(control);
  if (opts.controlListen && opts.controlToken) {
    const tcp = createTcpServer((req, res) => void createControlHandler(routes, { token: opts.controlToken, log })(req, res));
    const { host, port } = parseListen(opts.controlListen);
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', (err: Error) => reject(new Error(`cannot listen on the control address ${opts.controlListen}: ${err.message}`)));
      if (controlHandle) tcp.listen(controlHandle as never, resolve);
      else tcp.listen(port, host, resolve);
    });
    stop.setTcpControl(tcp);
  }
  writePrivateFileSync(paths.pidFile, `${process.pid}\n`);
  log(`serving: control ${paths.socket}${snapshot.listen ? `, router ${snapshot.listen}` : ''}${opts.handover ? ' (taken over)' : ''}`);
  if (opts.handover) tellPredecessor({ type: 'serving', pid: process.pid });
  notifySystemd({ MAINPID: String(process.pid), READY: '1' });
}

interface Lifecycle {
  setUnixControl(s: Server): void;
  setTcpControl(s: Server): void;
  restart(): Promise<{ pid: number }>;
  stop(stopInstances: boolean): Promise<void>;
}

function close(s: Server | null): Promise<void> {
  return s ? new Promise<void>((r) => s.close(() => r())) : Promise.resolve();
}

function lifecycle(agent: Agent, paths: AgentPaths, opts: RunAgentOptions, log: (l: string) => void): Lifecycle {
  let unixControl: Server | null = null;
  let tcpControl: Server | null = null;
  let leaving = false;
  /** After a handover the unix server is left open: closing it would unlink the successor's socket path. */
  const retire = async (how: string, stopInstances: boolean, handedOver: boolean): Promise<void> => {
    if (stopInstances) await agent.stopEverything();
    else {
      // Finish what is in flight with the routing table as it is, then stop watching.
      const shutdown = agent.router?.shutdown({ timeoutMs: RETIRE_TIMEOUT_MS });
      await agent.detach();
      await shutdown;
    }
    await close(tcpControl);
    if (!handedOver) await close(unixControl);
    log(`${how}; exiting`);
    process.exit(0);
  };
  const l: Lifecycle = {
    setUnixControl: (s) => void (unixControl = s),
    setTcpControl: (s) => void (tcpControl = s),
    restart: async () => {
      if (leaving) throw new Error('the agent is already stopping');
      leaving = true;
      const extra = opts.controlListen && opts.controlToken ? ['--control-listen', opts.controlListen] : [];
      const child = spawnSuccessor(AGENT_ENTRY, paths, extra, { listener: agent.router?.server ?? null, controlTcp: tcpControl }, opts.controlToken);
      const pid = await handOver(child, agent.handoverState()).catch((err: Error) => {
        leaving = false;
        child.kill('SIGKILL');
        throw err;
      });
      child.disconnect();
      child.unref();
      setImmediate(() => void retire(`handed over to pid ${pid}`, false, true));
      return { pid };
    },
    stop: async (stopInstances) => {
      if (leaving) return;
      leaving = true;
      rmSync(paths.pidFile, { force: true });
      await retire(stopInstances ? 'stopped with its instances' : 'stopped; instances left running', stopInstances, false);
    },
  };
  // systemd and Ctrl-C: leave the instances running; the next agent adopts them.
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => void l.stop(false));
  return l;
}
