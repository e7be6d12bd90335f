#!/usr/bin/env node
/** The agent process: `node dist/agent/daemon/entry.js --state-dir DIR [--handover] [--control-listen HOST:PORT [--control-tls-cert PEM --control-tls-key PEM]]`. */
import { readFileSync } from 'node:fs';
import { controlSettingsFrom } from '../control-args.js';
import { StartRefused } from './control-tcp.js';
import { runAgent } from './main.js';
import { installDaemonGuard } from '../process-log.js';
import { Masker } from '../../runtime/secrets.js';

// One masker for the agent's whole log: it learns the control token and each spec's secrets.
const masker = new Masker();
installDaemonGuard('agent', masker);

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
}

const stateDir = arg('--state-dir');
if (!stateDir) {
  process.stderr.write('usage: entry.js --state-dir DIR [--handover] [--control-listen HOST:PORT]\n');
  process.exit(2);
}
// The token is for the control API only: keep it out of the environment that instances could inherit.
const controlToken = process.env.SHIPGATE_AGENT_TOKEN;
delete process.env.SHIPGATE_AGENT_TOKEN;
const control = controlSettingsFrom(arg);
const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
runAgent({
  stateDir,
  agentVersion: pkg.version,
  handover: process.argv.includes('--handover'),
  controlListen: control?.listen,
  controlTls: control?.tls,
  controlFd: arg('--control-fd') === undefined ? undefined : Number(arg('--control-fd')),
  controlToken,
  masker,
}).catch((err: Error) => {
  process.stderr.write(masker.mask(`agent failed to start: ${err instanceof StartRefused ? err.message : (err.stack ?? err.message)}\n`));
  if (process.send) process.send({ type: 'failed', error: err.message });
  process.exit(1);
});
