#!/usr/bin/env node
// Entry point. `--version` answers without loading the CLI, to keep cold start short.
import { readFileSync } from 'node:fs';
import * as nodeModule from 'node:module';

// A closed pipe (`shipgate history | head`) is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const args = process.argv.slice(2);
const version = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${version}\n`);
} else {
  // Node >= 22.1 can cache compiled modules between runs (start-up of every command); Node 20 has no such cache.
  nodeModule.enableCompileCache?.();
  // The background sender (`notify flush`, started detached by a command) waits for that
  // command's exit before it loads the CLI: its loading takes no CPU from that command.
  if (args[0] === 'notify' && args[1] === 'flush' && process.env.SHIPGATE_NOTIFY_AFTER_PID) {
    const { waitForStarterExit } = await import('../dist/notify/starter-exit.js');
    await waitForStarterExit();
  }
  const { main } = await import('../dist/cli/main.js');
  process.exitCode = await main(args, version);
}
