#!/usr/bin/env node
/** The keeper: `node dist/agent/dataplane/keeper-entry.js --state-dir DIR --listen HOST:PORT --listener-fd N` (started by the agent with the bound socket). */
import { argValue } from './argv.js';
import { runKeeper } from './keeper.js';
import { installDaemonGuard } from '../process-log.js';

installDaemonGuard('keeper');

const stateDir = argValue('--state-dir');
const listen = argValue('--listen');
const fd = Number(argValue('--listener-fd'));
if (!stateDir || !listen || !Number.isInteger(fd)) {
  process.stderr.write('usage: keeper-entry.js --state-dir DIR --listen HOST:PORT --listener-fd N\n');
  process.exit(2);
}
runKeeper({ stateDir, listen, listenerFd: fd });
