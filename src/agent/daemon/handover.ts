import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync } from 'node:fs';
import type { Server } from 'node:net';
import { openPrivate } from '../../runtime/private-files.js';
import type { AgentPaths } from '../paths.js';
import type { HandoverState } from './state-file.js';

/**
 * Restarting the agent. The router is a process of its own (see
 * ../dataplane/), so traffic never depends on the agent: the successor adopts
 * the running router and the instances (separate process groups) as they are.
 * The old agent starts its successor with the TCP control socket (if any) as
 * an inherited file descriptor, and passes it the state (in memory, secrets
 * included) over an IPC channel; once the successor serves its control
 * sockets, the old agent exits.
 *
 * (Sending the server over IPC instead would not do: Node wraps a received
 * server handle in a net.Server that starts accepting before the receiver can
 * attach a handler, and connections accepted in that moment hang.)
 */

export type HandoverMessage = { type: 'state'; state: HandoverState };
export type SuccessorMessage = { type: 'serving'; pid: number } | { type: 'failed'; error: string };

export const HANDOVER_TIMEOUT_MS = 30_000;
/** Where the successor finds the inherited TCP control socket (after stdin, stdout, stderr and the IPC channel). */
export const CONTROL_TCP_FD = 4;

/** The file descriptor under a listening server (Unix). */
export function fdOf(server: Server | null): number | null {
  const fd = (server as unknown as { _handle?: { fd?: number } } | null)?._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : null;
}

export function spawnSuccessor(entry: string, paths: AgentPaths, extraArgs: string[], controlTcp: Server | null, controlToken?: string): ChildProcess {
  const log = openPrivate(paths.logFile, 'a');
  const control = fdOf(controlTcp);
  const fdArgs = control === null ? [] : ['--control-fd', String(CONTROL_TCP_FD)];
  const child = spawn(process.execPath, [entry, '--state-dir', paths.dir, '--handover', ...fdArgs, ...extraArgs], {
    detached: true,
    env: controlToken ? { ...process.env, SHIPGATE_AGENT_TOKEN: controlToken } : process.env,
    stdio: ['ignore', log, log, 'ipc', control ?? 'ignore'],
  });
  closeSync(log);
  return child;
}

/** Old side: sends the state, resolves with the successor's pid when it serves. */
export function handOver(child: ChildProcess, state: HandoverState): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the new agent did not take over within ${HANDOVER_TIMEOUT_MS / 1000}s`)), HANDOVER_TIMEOUT_MS);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      reject(err);
    };
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`the new agent exited (code ${code}) before taking over; see the agent log`)));
    child.on('message', (m: SuccessorMessage) => {
      if (m.type === 'failed') return fail(new Error(`the new agent could not take over: ${m.error}`));
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve(m.pid);
    });
    child.send({ type: 'state', state } satisfies HandoverMessage);
  });
}

/** New side: waits for the state. */
export function receiveHandover(): Promise<HandoverState> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no handover from the previous agent')), HANDOVER_TIMEOUT_MS);
    process.once('message', (m: HandoverMessage) => {
      clearTimeout(timer);
      resolve(m.state);
    });
  });
}

export function tellPredecessor(m: SuccessorMessage): void {
  process.send?.(m);
}
