import { readFileSync } from 'node:fs';
import { agentPaths, agentsDir } from '../../agent/paths.js';
import { agentStatus, ensureAgent, restartAgent, restartRouter, stopAgent } from '../../agent/lifecycle.js';
import { findLegacyAgent, refuseLegacyAgent } from '../../agent/legacy.js';
import type { AgentStatus } from '../../agent/contract.js';
import { UsageError, errorMessage } from '../../errors.js';
import { controlStartOptions } from '../../agent/control-endpoint.js';
import type { StartOptions } from '../../agent/lifecycle.js';
import { describeWeights } from '../../agent/describe.js';
import { agentAbsence, observeRouter } from '../../agent/observe.js';
import { routerText } from '../render/router-line.js';
import { agentDirOf, lightConfig } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { table, type GlobalOptions, type Output } from '../output.js';

export interface AgentFlags extends GlobalOptions {
  foreground?: boolean;
  keepInstances?: boolean;
  /** `agent restart --router`: also replace the router process. */
  router?: boolean;
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
    if (running) throw new UsageError(`an agent already runs for this project (pid ${running.pid}); stop it first`);
    const control = await controlOptions(flags, out);
    const { runAgent } = await import('../../agent/daemon/main.js');
    await runAgent({ stateDir: dir, agentVersion: version(), controlListen: control.controlListen, controlToken: control.controlToken, controlTls: control.controlTls });
    await new Promise<never>(() => undefined);
  }
  const { status, started } = await ensureAgent(dir, await controlOptions(flags, out));
  if (out.json) out.result({ started, pid: status.pid, socket: agentPaths(dir).socket });
  else out.line(started ? `agent started (pid ${status.pid}); log: ${agentPaths(dir).logFile}` : `agent already running (pid ${status.pid})`);
  return EXIT.ok;
}

/**
 * The TCP control port (`provider.control`), as a deploy would open it: the agent
 * started here (systemd's `agent start --foreground`, say) serves it too. It needs
 * the environment's whole config (its token is a secret); when that does not load
 * here, the agent starts with its unix socket only, and says so.
 */
async function controlOptions(flags: GlobalOptions, out: Output): Promise<StartOptions> {
  const { loadConfig } = await import('../../config/load.js');
  let loaded;
  try {
    loaded = loadConfig({ configPath: flags.config, environment: flags.env });
  } catch (err) {
    out.err(`note: the agent starts without a TCP control port: the config did not load (${errorMessage(err).split('\n')[0]})`);
    return {};
  }
  const provider = loaded.config.provider;
  return provider.type === 'local' ? controlStartOptions(provider.control, loaded.root) : {};
}

/** `shipgate agent stop [--keep-instances]` */
export async function agentStopCommand(flags: AgentFlags, out: Output): Promise<number> {
  if (flags.legacy) return stopLegacyAgent(flags, out);
  const pid = await stopAgent(await stateDir(flags, out), flags.keepInstances === true);
  if (out.json) out.result({ stopped: pid !== null, pid });
  else out.line(pid === null ? 'no agent is running' : `agent (pid ${pid}) stopped${flags.keepInstances ? '; instances and router left running (the next agent adopts them)' : ' with its instances and the router'}`);
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

/**
 * `shipgate agent restart [--router]`: a new agent process takes over; the router
 * keeps serving throughout. `--router` also replaces the router process (new code
 * after an upgrade); no connection is refused and in-flight requests finish.
 */
export async function agentRestartCommand(flags: AgentFlags, out: Output): Promise<number> {
  const dir = await stateDir(flags, out);
  const { from, to } = await restartAgent(dir);
  const router = flags.router ? await restartRouter(dir) : null;
  if (out.json) out.result({ from, to: to.pid, ...(router ? { router: { from: router.from, to: router.to.pid } } : {}) });
  else {
    out.line(`agent restarted: pid ${from} handed over to pid ${to.pid} (instances and traffic kept)`);
    if (router) out.line(`router replaced: pid ${router.from} -> pid ${router.to.pid} on the same socket (no connection refused; in-flight requests finished)`);
  }
  return EXIT.ok;
}

/** `shipgate agent status`: the agent's view; when it does not answer, what its files and the router's own socket say. */
export async function agentStatusCommand(flags: AgentFlags, out: Output): Promise<number> {
  const paths = agentPaths(await stateDir(flags, out));
  const status = await agentStatus(paths);
  if (status) {
    if (out.json) out.result({ running: true, ...status });
    else printAgent(status, out);
    return EXIT.ok;
  }
  const down = agentAbsence(paths);
  const router = await observeRouter(paths);
  if (out.json) out.result({ running: false, agent: down === null ? 'not_running' : 'down', reason: down, router });
  else {
    out.line(down === null ? 'agent:   not running (shipgate agent start)' : `agent:   ${out.paint('red', 'DOWN')} (${down})`);
    if (down !== null || router.state !== 'not_running') out.line(`router:  ${routerText(router, out, true)}`);
  }
  return EXIT.ok;
}

export function printAgent(s: AgentStatus, out: Output): void {
  out.line(`agent:   pid ${s.pid}, up since ${s.startedAt}, shipgate ${s.agentVersion}`);
  out.line(`router:  ${s.router.state === 'not_running' && s.listen === null ? 'not configured yet (the first deploy does)' : routerText(s.router, out, false)}`);
  if (s.router.state !== 'serving') out.line(`weights: ${describeWeights(s.weights)} (the agent's; no router serves them now)`);
  if (s.rollout && s.rollout.state !== 'ended') out.line(`rollout: ${s.rollout.id} ${s.rollout.candidate} (${s.rollout.state}${s.rollout.paused ? ', paused' : ''})`);
  const rows = s.versions.flatMap((v) => v.instances.map((i) => [v.version, i.id, String(i.pid ?? '-'), String(i.port), i.state, String(i.restarts), v.warmUntil ? `warm until ${v.warmUntil}` : '']));
  if (rows.length > 0) out.line(table(['VERSION', 'INSTANCE', 'PID', 'PORT', 'STATE', 'RESTARTS', ''], rows));
}
