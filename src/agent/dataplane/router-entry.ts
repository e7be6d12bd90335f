#!/usr/bin/env node
/** The router process: `node dist/agent/dataplane/router-entry.js --state-dir DIR --listen HOST:PORT --listener-fd N [--restarts N] [--keeper-pid PID]` (started by the keeper). */
import { argValue } from './argv.js';
import { runRouterProcess } from './router-main.js';
import { installDaemonGuard } from '../process-log.js';

installDaemonGuard('router');

const stateDir = argValue('--state-dir');
const listen = argValue('--listen');
const fd = Number(argValue('--listener-fd'));
if (!stateDir || !listen || !Number.isInteger(fd)) {
  process.stderr.write('usage: router-entry.js --state-dir DIR --listen HOST:PORT --listener-fd N [--restarts N] [--keeper-pid PID]\n');
  process.exit(2);
}
const keeper = argValue('--keeper-pid');
runRouterProcess({ stateDir, listen, listenerFd: fd, restarts: Number(argValue('--restarts') ?? '0'), keeperPid: keeper === undefined ? null : Number(keeper) }).catch((err: Error) => {
  process.stderr.write(`router failed to start: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
