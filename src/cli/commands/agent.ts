import { readFileSync } from 'node:fs';
import { agentPaths, agentsDir } from '../../agent/paths.js';
import { agentStatus, ensureAgent, restartAgent, stopAgent } from '../../agent/lifecycle.js';
import { findLegacyAgent, refuseLegacyAgent } from '../../agent/legacy.js';
import type { AgentStatus } from '../../agent/contract.js';
import { agentDirOf, lightConfig } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { table, type GlobalOptions, type Output } from '../output.js';

export interface AgentFlags extends GlobalOptions {
  foreground?: boolean;
  keepInstances?: boolean;
  /** `agent stop --legacy`: the one agent of the layout before per-environment agents. */
  legacy?: boolean;
}

/** The environment's agent folder (`--env`, or the only environment). */
async function stateDir(flags: GlobalOptions, out: Output): Promise<string> {
  return (await agentDirOf(flags, out)).dir;
}

function version(): string {
  return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** `shipgate agent start [--foreground]`: detached by default; `--foreground` is for systemd. */
export async function agentStartCommand(flags: AgentFlags, out: Output): Promise<number> {
  const { root, dir } = await agentDirOf(flags, out);
  await refuseLegacyAgent(root);
  if (flags.foreground) {
    const running = await agentStatus(agentPaths(dir));
    if (running) {
      out.err(`an agent already runs for this project (pid ${running.pid}); stop it first`);
      return EXIT.usage;
    }
    const { runAgent } = await import('../../agent/daemon/main.js');
    await runAgent({ stateDir: dir, agentVersion: version() });
    await new Promise<never>(() => undefined);
  }
  const { status, started } = await ensureAgent(dir);
  if (out.json) out.result({ started, pid: status.pid, socket: agentPaths(dir).socket });
  else out.line(started ? `agent started (pid ${status.pid}); log: ${agentPaths(dir).logFile}` : `agent already running (pid ${status.pid})`);
  return EXIT.ok;
}

/** `shipgate agent stop [--keep-instances]` */
export async function agentStopCommand(flags: AgentFlags, out: Output): Promise<number> {
  if (flags.legacy) return stopLegacyAgent(flags, out);
  const pid = await stopAgent(await stateDir(flags, out), flags.keepInstances === true);
  if (out.json) out.result({ stopped: pid !== null, pid });
  else out.line(pid === null ? 'no agent is running' : `agent (pid ${pid}) stopped${flags.keepInstances ? '; instances left running' : ' with its instances'}`);
  return EXIT.ok;
}

/** `shipgate agent stop --legacy`: retires the agent of the old layout (`.shipgate/agent/agent.sock`). */
async function stopLegacyAgent(flags: AgentFlags, out: Output): Promise<number> {
  const { root } = await lightConfig(flags, out);
  const legacy = await findLegacyAgent(root);
  const pid = legacy ? await stopAgent(agentsDir(root), flags.keepInstances === true) : null;
  if (out.json) out.result({ stopped: pid !== null, pid, legacy: true });
  else out.line(pid === null ? 'no agent of the old layout is running' : `old-layout agent (pid ${pid}) stopped${flags.keepInstances ? '; instances left running' : ' with its instances'}`);
  return EXIT.ok;
}

/** `shipgate agent restart`: a new agent process takes over the socket; no request is dropped. */
export async function agentRestartCommand(flags: AgentFlags, out: Output): Promise<number> {
  const { from, to } = await restartAgent(await stateDir(flags, out));
  if (out.json) out.result({ from, to: to.pid });
  else out.line(`agent restarted: pid ${from} handed over to pid ${to.pid} (instances and traffic kept)`);
  return EXIT.ok;
}

/** `shipgate agent status` */
export async function agentStatusCommand(flags: AgentFlags, out: Output): Promise<number> {
  const status = await agentStatus(agentPaths(await stateDir(flags, out)));
  if (out.json) {
    out.result(status ?? { running: false });
    return EXIT.ok;
  }
  if (!status) {
    out.line('agent: not running (shipgate agent start)');
    return EXIT.ok;
  }
  printAgent(status, out);
  return EXIT.ok;
}

export function printAgent(s: AgentStatus, out: Output): void {
  out.line(`agent:   pid ${s.pid}, up since ${s.startedAt}, shipgate ${s.agentVersion}`);
  out.line(`router:  ${s.listen ?? 'not configured yet'}  weights: ${Object.entries(s.weights).map(([v, w]) => `${v}=${w}%`).join(' ') || 'none'}`);
  if (s.rollout && s.rollout.state !== 'ended') out.line(`rollout: ${s.rollout.id} ${s.rollout.candidate} (${s.rollout.state}${s.rollout.paused ? ', paused' : ''})`);
  const rows = s.versions.flatMap((v) => v.instances.map((i) => [v.version, i.id, String(i.pid ?? '-'), String(i.port), i.state, String(i.restarts), v.warmUntil ? `warm until ${v.warmUntil}` : '']));
  if (rows.length > 0) out.line(table(['VERSION', 'INSTANCE', 'PID', 'PORT', 'STATE', 'RESTARTS', ''], rows));
}
