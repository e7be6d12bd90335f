import { createRequire } from 'node:module';
import type * as CommanderModule from 'commander';
import type { Command } from 'commander';
import { errorMessage, UsageError } from '../errors.js';
import { errorJson, wantsJson } from './error-json.js';
import { EXIT, exitCodeForError } from './exit-codes.js';
import { fastHistoryFlags, HISTORY_LIMIT_OPTION_DEFAULT } from './fast-path.js';
import { Output, type GlobalOptions } from './output.js';
import { installGuard } from './guard.js';

/** commander is CommonJS: `require` skips the ESM wrapper and its export scan (a few ms of every start). Loaded on first use. */
function commander(): typeof CommanderModule {
  return createRequire(import.meta.url)('commander') as typeof CommanderModule;
}

/** Options every command takes. */
function common(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'config file (default: $SHIPGATE_CONFIG, or shipgate.yaml here or in the nearest parent folder)')
    .option('-e, --env <name>', 'environment (default: the only one, or $SHIPGATE_ENV)')
    .option('--json', 'machine-readable output on stdout')
    .option('--verbose', 'more detail; stack traces on errors')
    .option('--no-color', 'no colors (also: a non-empty NO_COLOR, FORCE_COLOR=0)');
}

const DURATION_HINT = '(e.g. 30s, 10m, 1h)';

export function buildProgram(run: (action: () => Promise<number>, opts: GlobalOptions, out: Output) => void, version: string): Command {
  const { Command: CommandClass, Option } = commander();
  const program = new CommandClass('shipgate')
    .description('One reliable command for your production deployment runbook.')
    .version(version, '-V, --version')
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const wire = <A extends unknown[]>(cmd: Command, load: () => Promise<(...args: [...A, GlobalOptions, Output]) => Promise<number>>) =>
    cmd.action((...args: unknown[]) => {
      const opts = withEnvDefault(cmd.opts() as GlobalOptions);
      const positional = args.slice(0, -2) as A;
      // One Output per command: an error (and the process guard) prints with the masker the command loaded.
      const out = new Output(opts);
      current.out = out;
      run(async () => (await load())(...positional, opts, out), opts, out);
    });

  wire<[string | undefined]>(
    common(program.command('deploy').argument('[version]', 'version to deploy, e.g. v1.2.3 (default: the tag on HEAD)').description('run the pipeline: gates, build, deploy, verify, smoke, record'))
      .option('--dry-run', 'evaluate the gates and print the plan; change nothing')
      .option('--reason <text>', 'why (recorded)')
      .option('--emergency', 'override the deploy window (needs --reason; recorded)')
      .option('--sha <sha>', 'commit being deployed (default: $GITHUB_SHA or git HEAD)')
      .option('--ref <ref>', 'git ref being deployed')
      .option('--actor <name>', 'who is deploying (default: $SHIPGATE_ACTOR, $GITHUB_ACTOR, $USER)')
      .option('--lock-wait <duration>', `wait this long for a running deployment to finish ${DURATION_HINT}`)
      .option('--timeout <duration>', `deadline of the whole deployment ${DURATION_HINT}`)
      .option('--no-rollback', 'do not undo on failure (overrides rollback.auto)')
      .option('--no-backup', 'skip the databases\' backups (recorded; undo of migrations then has only downs)')
      .option('--skip-migrations', 'do not run the databases\' migrations (recorded)')
      .option('--allow-destructive', 'let destructive migration statements through while two versions are live (recorded)'),
    async () => (await import('./commands/deploy.js')).deployCommand,
  );
  wire<[]>(
    common(program.command('rollback').description('redeploy the previous release (or --to VERSION) through the provider'))
      .option('--to <version>', 'a kept release to return to')
      .option('--reason <text>', 'why (recorded)')
      .option('--force', 'go past rollback.window (recorded)')
      .option('--actor <name>', 'who is rolling back')
      .option('--lock-wait <duration>', `wait for a running deployment ${DURATION_HINT}`)
      .option('--timeout <duration>', `deadline ${DURATION_HINT}`),
    async () => (await import('./commands/rollback.js')).rollbackCommand,
  );
  wire<[]>(
    common(program.command('resume').description('continue a paused rollout, or finish an interrupted deployment according to resume.policy'))
      .option('--actor <name>', 'who is acting')
      .option('--lock-wait <duration>', `wait for a running deployment ${DURATION_HINT}`),
    async () => (await import('./commands/rollback.js')).resumeCommand,
  );
  wire<[]>(common(program.command('status').description('what is live, what is running or interrupted, the lock')), async () => (await import('./commands/status.js')).statusCommand);
  wire<[]>(
    common(program.command('history').description('deployments, newest first'))
      .option('--limit <n>', 'how many', HISTORY_LIMIT_OPTION_DEFAULT)
      .option('--before <id>', 'page: only deployments older than this id'),
    async () => (await import('./commands/history.js')).historyCommand,
  );
  wire<[]>(
    common(program.command('logs').description('print the local agent\'s instance logs (last lines, or --follow)'))
      .addOption(new Option('--version <version>', 'only this version'))
      .option('--instance <id>', 'only this instance, e.g. v1.2.0#1')
      .option('-n, --lines <n>', 'last lines per instance (default: 100)')
      .option('-f, --follow', 'keep printing new lines until Ctrl-C'),
    async () => (await import('./commands/logs.js')).logsCommand,
  );
  wire<[string]>(common(program.command('show').argument('<id>', 'deployment id').description('print a deployment record')).option('--events', 'also print the journal'), async () => (await import('./commands/show.js')).showCommand);
  wire<[string]>(
    common(program.command('approve').argument('<id>', 'deployment id').description('approve a deployment waiting in the approval gate'))
      .option('--by <name>', 'approver (default: $SHIPGATE_ACTOR, $USER)')
      .option('--comment <text>', 'recorded with the approval'),
    async () => (await import('./commands/approve.js')).approveCommand,
  );
  wire<[string]>(
    common(program.command('ack').argument('<id>', 'the rollback_failed deployment').description('acknowledge a failed rollback after looking at the target: deploys and rollbacks may start again'))
      .option('--reason <text>', 'what you found and did (required; recorded)')
      .option('--actor <name>', 'who looked (default: $SHIPGATE_ACTOR, $USER)'),
    async () => (await import('./commands/ack.js')).ackCommand,
  );
  wire<[]>(common(program.command('releases').description('kept releases and where they are live')), async () => (await import('./commands/releases.js')).releasesCommand);

  const backup = program.command('backup').description('database backups: create, list, verify, restore (databases.<name>.backup)');
  const dbOption = ['--db <name>', 'one database of the config (default: every one)'] as const;
  wire<[]>(common(backup.command('create').description('take a backup of each database and prove it (backup.verify)')).option(...dbOption), async () => (await import('./commands/backup.js')).backupCreateCommand);
  wire<[]>(common(backup.command('list').description('backups in storage, newest first, with how each was proven')).option(...dbOption), async () => (await import('./commands/backup.js')).backupListCommand);
  wire<[string]>(
    common(backup.command('verify').argument('<id>', 'backup id (shipgate backup list)').description('prove a stored backup again: restore into a scratch database and compare, or list'))
      .option(...dbOption)
      .option('--method <method>', 'restore or list (default: backup.verify)'),
    async () => (await import('./commands/backup.js')).backupVerifyCommand,
  );
  wire<[string]>(
    common(backup.command('restore').argument('<id>', 'backup id (shipgate backup list)').description('restore a backup (a safety backup of the current state is taken first)'))
      .option(...dbOption)
      .option('--target-url <url>', 'restore into another database instead (env:NAME reads the URL from the environment, out of the process list)')
      .option('--dry-run', 'say what would happen; change nothing'),
    async () => (await import('./commands/backup.js')).backupRestoreCommand,
  );
  const migrate = program.command('migrate').description('database migrations: status, up, down, validate (databases.<name>.migrations)');
  for (const action of ['status', 'up', 'down', 'validate'] as const) {
    const about = { status: 'applied and pending migrations', up: 'apply pending migrations', down: 'revert the last migration (--steps N)', validate: 'check applied migrations against their files (drift)' }[action];
    const cmd = common(migrate.command(action).description(about)).option(...dbOption);
    if (action === 'down') cmd.option('--steps <n>', 'how many to revert (default 1)');
    wire<[]>(cmd, async () => (await import('./commands/migrate.js')).migrateCommand(action));
  }
  const agent = program.command('agent').description('the local agent: supervisor, router and control socket (provider type local)');
  wire<[]>(common(agent.command('start').description('start the agent (detached; --foreground for systemd)')).option('--foreground', 'run in this process'), async () => (await import('./commands/agent.js')).agentStartCommand);
  wire<[]>(
    common(agent.command('stop').description('stop the agent, its instances and the router'))
      .option('--keep-instances', 'leave the instances and the router running')
      .option('--legacy', 'stop the one agent of an older shipgate (.shipgate/agent/agent.sock) instead'),
    async () => (await import('./commands/agent.js')).agentStopCommand,
  );
  wire<[]>(common(agent.command('restart').description('hand over to a new agent process without dropping traffic')).option('--router', 'also replace the router process (new code), refusing no connection'), async () => (await import('./commands/agent.js')).agentRestartCommand);
  wire<[]>(common(agent.command('status').description('the agent and the router (even with the agent down), weights and instances')), async () => (await import('./commands/agent.js')).agentStatusCommand);
  wire<[]>(common(program.command('promote').description('end the current rollout step now')).option('--full', 'go straight to 100%'), async () => {
    const { rolloutCommand } = await import('./commands/rollout-control.js');
    return (flags: GlobalOptions & { full?: boolean }, out: Output) => rolloutCommand(flags.full ? 'promote-full' : 'promote', flags, out);
  });
  wire<[]>(common(program.command('abort').description('abort the rollout in progress: traffic back to stable, then undo')), async () => {
    const { rolloutCommand } = await import('./commands/rollout-control.js');
    return (flags: GlobalOptions, out: Output) => rolloutCommand('abort', flags, out);
  });
  wire<[]>(common(program.command('pause').description('pause the rollout in progress (analysis keeps running)')), async () => {
    const { rolloutCommand } = await import('./commands/rollout-control.js');
    return (flags: GlobalOptions, out: Output) => rolloutCommand('pause', flags, out);
  });

  program
    .command('demo')
    .description('a scripted tour: agent, canary promoted by analysis, a bad canary rolled back automatically')
    .action(() => run(async () => (await import('../demo/run-demo.js')).runDemo(), {}, new Output({})));

  const gates = program.command('gates').description('gate commands');
  wire<[string | undefined]>(
    common(gates.command('check').argument('[version]').description('evaluate every gate without deploying'))
      .addOption(new Option('--version <version>', 'version to check'))
      .option('--at <iso-time>', 'evaluate the window at this moment')
      .option('--sha <sha>', 'commit for the checks gate')
      .option('--actor <name>', 'who would deploy')
      .option('--emergency', 'as with deploy --emergency')
      .option('--reason <text>', 'reason for --emergency')
      .option('--rollback', 'evaluate as for a rollback'),
    async () => (await import('./commands/gates-check.js')).gatesCheckCommand,
  );

  const config = program.command('config').description('config commands');
  wire<[]>(common(config.command('validate').description('validate the config for every environment (or --env)')), async () => (await import('./commands/config.js')).configValidateCommand);
  wire<[]>(common(config.command('print').description('print the resolved config of an environment, secrets masked')), async () => (await import('./commands/config.js')).configPrintCommand);
  wire<[]>(common(config.command('schema').description('print the JSON Schema of shipgate.yaml')), async () => (await import('./commands/config.js')).configSchemaCommand);
  return program;
}

/** `$SHIPGATE_ENV` and `$SHIPGATE_CONFIG` stand in for `--env` and `--config`. */
function withEnvDefault<T extends GlobalOptions>(opts: T): T {
  const { SHIPGATE_ENV, SHIPGATE_CONFIG } = process.env;
  return { ...opts, ...(opts.env === undefined && SHIPGATE_ENV ? { env: SHIPGATE_ENV } : {}), ...(opts.config === undefined && SHIPGATE_CONFIG ? { config: SHIPGATE_CONFIG } : {}) };
}

/** The command's output (its masker knows the config's secrets): what the process guard prints through. */
const current: { out: Output | null } = { out: null };

/** Runs the CLI; resolves to the exit code. Only here is every error caught. */
export async function main(argv: string[], version: string): Promise<number> {
  installGuard(() => current.out ?? new Output({}));
  const history = fastHistoryFlags(argv);
  if (history) {
    const opts = withEnvDefault(history);
    const out = new Output(opts);
    return (await import('./commands/history.js')).historyCommand(opts, out).catch((err: unknown) => handleError(err, opts, out));
  }
  let pending: Promise<number> | undefined;
  const program = buildProgram((action, opts, out) => {
    pending = action().catch((err: unknown) => handleError(err, opts, out));
  }, version);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof commander().CommanderError) return usageError(err, argv);
    return handleError(err, {});
  }
  return pending ?? EXIT.ok;
}

/** commander has printed its message; under --json, stdout still gets its JSON document. */
function usageError(err: { exitCode: number; message: string }, argv: string[]): number {
  if (err.exitCode === 0) return EXIT.ok;
  if (wantsJson(argv)) new Output({ json: true }).result(errorJson(new UsageError(err.message.replace(/^error: /, '')), EXIT.usage));
  return EXIT.usage;
}

/** The error on stderr, as always; under --json also as the one JSON document on stdout. */
function handleError(err: unknown, opts: GlobalOptions, out: Output = new Output(opts)): number {
  const code = exitCodeForError(err);
  if (opts.json) out.result(errorJson(err, code));
  const prefix = code === EXIT.failed ? 'error: ' : '';
  out.err(`${prefix}${errorMessage(err)}`);
  if (opts.verbose && err instanceof Error && err.stack) out.err(err.stack);
  else if (code === EXIT.failed) out.err('(run with --verbose for details)');
  return code;
}
