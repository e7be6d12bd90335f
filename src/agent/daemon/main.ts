import { rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { ensurePrivateDir, writePrivateFileSync } from '../../runtime/private-files.js';
import { controlArgs } from '../control-args.js';
import { describeWeights } from '../describe.js';
import { AGENT_ENTRY, agentPaths, type AgentPaths } from '../paths.js';
import { processLogger } from '../process-log.js';
import { Masker } from '../../runtime/secrets.js';
import { Agent } from './agent.js';
import { createControlServer, listenOnSocket } from './control-server.js';
import { listenControlTcp, prepareControlTcp } from './control-tcp.js';
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
  /** PEM certificate and key files: the TCP control API speaks HTTPS (required off loopback). */
  controlTls?: { cert: string; key: string };
  /** The inherited TCP control socket (handover). */
  controlFd?: number;
  /** Masks the agent's log: knows the control token and the secrets of the specs it is sent. @default a new one */
  masker?: Masker;
}

/** Runs the agent in this process until it is stopped or hands over. */
export async function runAgent(opts: RunAgentOptions): Promise<void> {
  const paths = agentPaths(opts.stateDir);
  // Checked before anything is bound: an agent that refuses its control settings leaves nothing behind.
  const tcp = opts.controlListen && opts.controlToken ? prepareControlTcp({ listen: opts.controlListen, tls: opts.controlTls }) : null;
  ensurePrivateDir(paths.logsDir);
  const masker = opts.masker ?? new Masker();
  masker.add(opts.controlToken);
  const log = processLogger('agent', masker);
  const agent = new Agent({ paths, agentVersion: opts.agentVersion, log, masker });
  const controlHandle = opts.controlFd === undefined ? null : { fd: opts.controlFd };
  if (opts.handover) {
    agent.restore(await receiveHandover());
  } else {
    const restored = readState(paths.stateFile);
    if (restored) agent.restore(restored.state, restored.incomplete);
  }
  // The router is a process of its own: adopt the one that runs (it kept serving), or start it.
  await agent.attachRouter();
  const stop = lifecycle(agent, paths, opts, log);
  const routes = agentRoutes(agent, {
    restart: () => stop.restart(),
    stop: (stopInstances) => void stop.stop(stopInstances),
  });
  const control = createControlServer(routes, { log });
  await listenOnSocket(control, paths.socket, { replace: opts.handover === true });
  stop.setUnixControl(control);
  if (tcp && opts.controlToken) stop.setTcpControl(await listenControlTcp(tcp, routes, opts.controlToken, log, controlHandle));
  writePrivateFileSync(paths.pidFile, `${process.pid}\n`);
  const router = agent.dataPlane.listen;
  log(`serving: control ${paths.socket}${router ? `; router ${router} with ${describeWeights(agent.currentWeights())}` : ''}${opts.handover ? ' (taken over)' : ''}`);
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
  /**
   * After a handover the unix server is left open: closing it would unlink the
   * successor's socket path. Without `stopInstances` the router keeps serving
   * the table it has (it is not this process's): the next agent adopts it.
   */
  const retire = async (how: string, stopInstances: boolean, handedOver: boolean): Promise<void> => {
    if (stopInstances) await agent.stopEverything();
    else await agent.detach();
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
      const extra = opts.controlListen && opts.controlToken ? controlArgs({ listen: opts.controlListen, tls: opts.controlTls }) : [];
      const child = spawnSuccessor(AGENT_ENTRY, paths, extra, tcpControl, opts.controlToken);
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
      await retire(stopInstances ? 'stopped with its instances and the router' : 'stopped; instances and router left running', stopInstances, false);
    },
  };
  // systemd and Ctrl-C: leave the instances running; the next agent adopts them.
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => void l.stop(false));
  return l;
}
