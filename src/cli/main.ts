import { createRequire } from 'node:module';
import type * as CommanderModule from 'commander';
import type { Command } from 'commander';
import { errorMessage, UsageError } from '../errors.js';
import { errorJson, wantsJson } from './error-json.js';
import { EXIT, exitCodeForError } from './exit-codes.js';
import { fastHistoryFlags, HISTORY_LIMIT_OPTION_DEFAULT } from './fast-path.js';
import { Output, type GlobalOptions } from './output.js';
import { installGuard } from './guard.js';
import { LOG_FORMAT_ENV, resolveLogFormat, type LogFormat } from '../runtime/logger.js';

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
    .option('--no-color', 'no colors (also: a non-empty NO_COLOR, FORCE_COLOR=0)')
    .option('--log-format <format>', `human (default) or json: one JSON object per line on stderr (also: $${LOG_FORMAT_ENV})`);
}

const DURATION_HINT = '(e.g. 30s, 10m, 1h)';

export function buildProgram(run: (action: () => Promise<number>, opts: GlobalOptions, out: Output) => void, version: string, jsonLogs = false): Command {
  const { Command: CommandClass, Option } = commander();
  const program = new CommandClass('shipgate')
    .description('One reliable command for your production deployment runbook.')
    .version(version, '-V, --version')
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  // Set before any subcommand exists: each copies the output settings when it is added.
  if (jsonLogs) {
    const logs = new Output({ logFormat: 'json' });
    program.configureOutput({ writeErr: (text) => logs.log('error', text.replace(/^error: /, '').trimEnd()) });
  }
  const wire = <A extends unknown[]>(cmd: Command, load: () => Promise<(...args: [...A, GlobalOptions, Output]) => Promise<number>>) =>
    cmd.action((...args: unknown[]) => {
      const opts = withEnvDefault(cmd.opts() as GlobalOptions);
      const positional = args.slice(0, -2) as A;
      // One Output per command: an error (and the process guard) prints with the masker the command loaded.
      const { out, refused } = outputFor(opts);
      current.out = out;
      run(async () => (refused ? Promise.reject(refused) : (await load())(...positional, opts, out)), opts, out);
    });

  wire<[string | undefined]>(
    common(program.command('deploy').argument('[version]', 'version to deploy, e.g. v1.2.3 (default: the tag on HEAD)').description('run the pipeline: gates, build, deploy, verify, smoke, record'))
      .option('--dry-run', 'evaluate the gates and print the plan; change nothing')
      .option('--reason <text>', 'why (recorded)')
      .option('--emergency', 'override the deploy window (needs --reason; recorded)')
      .option('--sha <sha>', 'commit being deployed (default: $GITHUB_SHA or git HEAD)')
      .option('--ref <ref>', 'git ref being deployed')
      .option('--commit-at <time>', 'when the deployed commit was made, ISO-8601 (default: $SHIPGATE_COMMIT_AT, or git\'s commit time of the sha); DORA lead time')
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
    common(
      program
        .command('rollback')
        .description('roll back the live deployment: the app (redeploy the previous release, or --to VERSION), its migrations, its database backup, or auto (the app, then the data as the undo rules choose)'),
    )
      .option('--type <type>', 'app (default), migration (run the downs of what the deployment applied), database (restore its backup, losing later writes), or auto')
      .option('--to <version>', 'app, auto: a kept release to return to')
      .option('--db <name>', 'migration, database, auto: one database (default: every one concerned)')
      .option('--steps <n>', 'migration: revert at most N of the deployment\'s migrations, newest first (default: all)')
      .option('--backup <id>', 'database: the backup to restore (default: the one the deployment took; shipgate backup list)')
      .option('--dry-run', 'say what would be done, data included; change nothing')
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
  const notify = program.command('notify').description('notifications: the outbox, sending failed ones again, a test message per channel');
  wire<[]>(
    common(notify.command('list').description('deliveries in the outbox, newest first'))
      .option('--status <status>', 'only pending, sent or failed')
      .option('--limit <n>', 'at most this many (default 50)'),
    async () => (await import('./commands/notify.js')).notifyListCommand,
  );
  wire<[string[]]>(
    common(notify.command('retry').argument('[ids...]', 'deliveries to send again (default: every failed one)').description('send failed deliveries again, and whatever is due')),
    async () => (await import('./commands/notify.js')).notifyRetryCommand,
  );
  wire<[]>(
    common(notify.command('test').description('send a test message to each channel now'))
      .option('--channel <name>', 'only this channel'),
    async () => (await import('./commands/notify.js')).notifyTestCommand,
  );
  // Internal: the background sender a command starts at exit for what it left pending.
  wire<[]>(
    common(notify.command('flush', { hidden: true }).description('send what is pending, retrying for a bounded time (started by a command at its exit)')),
    async () => (await import('./commands/notify-flush.js')).notifyFlushCommand,
  );
  const incident = program.command('incident').description('incidents: export one to the audit trail (and the channels that ask for incidents), list, resolve');
  wire<[]>(
    common(incident.command('export').description('record an incident linked to deployments; prints it as Markdown (or --format json / --json)'))
      .option('--type <type>', 'rollback, outage, degradation, security, data or other (required)')
      .option('--severity <severity>', 'critical, error, warning or info (default: warning)')
      .option('--details <text>', 'what happened (required; recorded, secrets masked)')
      .option('--deployment <id>', 'a deployment it concerns; repeat for more (default: the newest of the environment, and what it rolled back)', (v: string, prev: string[] = []) => [...prev, v])
      .option('--format <format>', 'md (default) or json')
      .option('--actor <name>', 'who reports it (default: $SHIPGATE_ACTOR, $USER)'),
    async () => (await import('./commands/incident.js')).incidentExportCommand,
  );
  wire<[]>(
    common(incident.command('list').description('incidents of the environment, newest first'))
      .option('--status <status>', 'only open or resolved')
      .option('--all', 'every environment')
      .option('--limit <n>', 'at most this many (default 50)'),
    async () => (await import('./commands/incident.js')).incidentListCommand,
  );
  wire<[string]>(
    common(incident.command('resolve').argument('<id>', 'incident id (shipgate incident list)').description('service is restored: ends the incident (its time to restore counts in DORA)'))
      .option('--resolution <text>', 'what restored it (recorded)')
      .option('--actor <name>', 'who resolves it (default: $SHIPGATE_ACTOR, $USER)'),
    async () => (await import('./commands/incident.js')).incidentResolveCommand,
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

  wire<[]>(
    common(program.command('serve').description('the monitoring API, /metrics and the journal as server-sent events, over the state store (bearer token from $SHIPGATE_SERVE_TOKEN or --token-file)'))
      .option('--host <address>', 'address to bind (default: 127.0.0.1, loopback only)')
      .option('--port <n>', 'port (default: 7420; 0 picks a free one)')
      .option('--token-file <file>', 'file holding the bearer token (mode 600)'),
    async () => (await import('./commands/serve.js')).serveCommand,
  );

  const secrets = program.command('secrets').description('secret commands');
  wire<[]>(
    common(secrets.command('audit').description('every secret the config refers to, per environment: where it comes from, set here, placeholder, in a kept release (exit 1 when a required one is unset or exposed)')),
    async () => (await import('./commands/secrets-audit.js')).secretsAuditCommand,
  );

  const init = program.command('init').description('write shipgate.yaml (asks in a terminal; flags in CI); `init github` writes the GitHub workflows');
  wire<[]>(
    common(init)
      .option('--app <name>', 'application name (asked in a terminal)')
      .option('--provider <type>', 'command (default), local or fly')
      .option('--deploy <cmd>', 'command provider: the deploy command (default: ./scripts/deploy.sh); local: the start command')
      .option('--rollback <cmd>', 'command provider: the rollback command (default: ./scripts/rollback.sh)')
      .option('--health-url <url>', 'command and fly providers: the deployed app\'s health URL (fly: production\'s; default https://<app>.fly.dev/health)')
      .option('--regions <list>', 'fly provider: comma-separated Fly.io regions (e.g. iad,ord; asked in a terminal)')
      .option('--environments <list>', 'comma-separated environments (default: staging,production; none for one)')
      .option('--force', 'overwrite an existing file'),
    async () => (await import('./commands/init.js')).initCommand,
  );
  wire<[]>(
    common(init.command('github').description('write .github/workflows: deploy.yml (v* tags, dispatch), rollback.yml, staging.yml (pushes), preview.yml (pull requests)'))
      .option('--branch <name>', 'pushes to this branch deploy to staging (default: main)')
      .option('--runs-on <label>', 'runner of the jobs (default: ubuntu-latest; self-hosted for the local provider)')
      .option('--node-version <v>', 'Node.js of the jobs (default: 20)')
      .option('--install <cmd>', 'installs the project\'s dependencies, shipgate among them (default: npm ci)')
      .option('--dir <path>', 'repository root (default: the config file\'s folder)')
      .option('--force', 'overwrite existing workflow files'),
    async () => (await import('./commands/init.js')).initGithubCommand,
  );

  const preview = program.command('preview').description('a preview per pull request: its own Fly.io app (provider fly) or port (provider local), made from the preview (else staging) environment');
  const prOption = ['--pr <n>', 'the pull request number (required)'] as const;
  wire<[]>(
    common(preview.command('up').description('deploy the pull request\'s preview with the normal pipeline; prints its URL (in --json too)'))
      .option(...prOption)
      .addOption(new Option('--version <version>', 'version to deploy (default: v0.0.0-pr.<n>.g<short sha of --sha, $HEAD_SHA, $GITHUB_SHA>)'))
      .option('--sha <sha>', 'commit being previewed (default: $HEAD_SHA, $GITHUB_SHA or git HEAD)'),
    async () => (await import('./commands/preview.js')).previewUpCommand,
  );
  wire<[]>(common(preview.command('down').description('remove the pull request\'s preview: its Fly.io app, or its local agent and instances')).option(...prOption), async () => (await import('./commands/preview.js')).previewDownCommand);
  wire<[]>(
    common(preview.command('prune').description('remove the previews with no sign of life for longer than --older-than (Fly.io: found on the platform, from any host)'))
      .option('--older-than <duration>', 'e.g. 7d, 12h (required)')
      .option('--dry-run', 'say which previews would be removed and why; remove nothing'),
    async () => (await import('./commands/preview.js')).previewPruneCommand,
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

/**
 * The command's Output in the log format asked for (`--log-format`, then $SHIPGATE_LOG_FORMAT).
 * A bad value is refused as a usage error, printed in human lines. A JSON run exports its
 * format, so the agent (and its router) a command starts log JSON lines too.
 */
function outputFor(opts: GlobalOptions): { out: Output; refused: unknown } {
  let format: LogFormat;
  try {
    format = resolveLogFormat(opts.logFormat, process.env);
  } catch (err) {
    return { out: new Output({ ...opts, logFormat: 'human' }), refused: err };
  }
  if (format === 'json') process.env[LOG_FORMAT_ENV] = 'json';
  return { out: new Output({ ...opts, logFormat: format }), refused: null };
}

/** Pure: whether argv or the environment asks for JSON lines (for commander's own messages, printed before any command runs). */
export function wantsJsonLogs(argv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  const i = argv.indexOf('--log-format');
  const flag = i === -1 ? argv.find((a) => a.startsWith('--log-format='))?.slice('--log-format='.length) : argv[i + 1];
  return (flag ?? env[LOG_FORMAT_ENV]) === 'json';
}

/** The command's output (its masker knows the config's secrets): what the process guard prints through. */
const current: { out: Output | null } = { out: null };

/** Runs the CLI; resolves to the exit code. Only here is every error caught. */
export async function main(argv: string[], version: string): Promise<number> {
  installGuard(() => current.out ?? new Output({}));
  const history = fastHistoryFlags(argv);
  if (history) {
    const opts = withEnvDefault(history);
    const { out, refused } = outputFor(opts);
    current.out = out;
    return (refused ? Promise.reject(refused) : (await import('./commands/history.js')).historyCommand(opts, out)).catch((err: unknown) => handleError(err, opts, out));
  }
  let pending: Promise<number> | undefined;
  const program = buildProgram((action, opts, out) => {
    pending = action().catch((err: unknown) => handleError(err, opts, out));
  }, version, wantsJsonLogs(argv, process.env));
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
  if (out.logger) {
    const stack = opts.verbose && err instanceof Error && err.stack ? { stack: err.stack } : {};
    out.log('error', errorMessage(err), { exit_code: code, error: err instanceof Error ? err.name : typeof err, ...stack });
    return code;
  }
  const prefix = code === EXIT.failed ? 'error: ' : '';
  out.err(`${prefix}${errorMessage(err)}`);
  if (opts.verbose && err instanceof Error && err.stack) out.err(err.stack);
  else if (code === EXIT.failed) out.err('(run with --verbose for details)');
  return code;
}
