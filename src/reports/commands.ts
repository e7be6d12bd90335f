/** Pure: the shipgate commands a report tells a person to run, as argv arrays and as shell text. */

/** How the commands name the config: nothing when it is the default file in the project's folder. */
export interface CommandScope {
  environment: string;
  /** The config file relative to the project's folder, when it is not `shipgate.yaml`. */
  configFile?: string | null;
}

const SAFE_ARG = /^[A-Za-z0-9_./:=@%+,-]+$/;

/** One argument as the shell reads it: as is when plain, else single-quoted. */
export function shellQuote(arg: string): string {
  return SAFE_ARG.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function shellText(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}

function scoped(scope: CommandScope, rest: string[]): string[] {
  return ['shipgate', ...rest, ...(scope.configFile ? ['--config', scope.configFile] : []), '--env', scope.environment];
}

/** `shipgate rollback --to <version> --env <env>`: back to the version live before. */
export function rollbackArgv(scope: CommandScope, toVersion: string): string[] {
  return scoped(scope, ['rollback', '--to', toVersion]);
}

/** `shipgate backup restore <id> --db <name> --env <env>` (a safety backup of the current state is taken first). */
export function restoreArgv(scope: CommandScope, database: string, backupId: string): string[] {
  return scoped(scope, ['backup', 'restore', backupId, '--db', database]);
}

/** `shipgate deploy <version> --env <env>`: what puts a version back after a failure nothing undid. */
export function deployArgv(scope: CommandScope, version: string): string[] {
  return scoped(scope, ['deploy', version]);
}

export function showEventsCommand(deploymentId: string): string {
  return `shipgate show ${deploymentId} --events`;
}
