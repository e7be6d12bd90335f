import { toMs } from '../../config/duration.js';
import { toArgv, type Command } from '../../config/schema/primitives.js';
import type { MigrationsConfig } from '../../config/schema/databases.js';
import type { SqlClient } from '../contract.js';
import { describeRunFailure, processRunner, type Runner } from '../../runtime/process.js';
import { Masker } from '../../runtime/secrets.js';
import { MigrationError } from './errors.js';

/**
 * `tool: command`: the team's own migration tool (Prisma, Knex, Rails...) runs
 * as an argv command. The connection goes by environment, never by argv (the
 * process list is readable by every user of the host).
 */

type CommandConfig = Extract<MigrationsConfig, { tool: 'command' }>;

/** Output lines kept in a failure's message. */
export const DEFAULT_FAILURE_TAIL_LINES = 5;

export interface CommandOutput {
  /** The argv that ran (it holds no secret: an argv with the URL or password is refused). */
  argv: string[];
  /** Its output, secrets masked. */
  lines: string[];
}

export interface CommandMigrationsOptions {
  config: CommandConfig;
  type: SqlClient['type'] | 'mongodb';
  url: string;
  /** The database's name in the config, for errors. */
  name: string;
  cwd: string;
  deploymentId?: string;
  /** @default processRunner */
  run?: Runner;
  /** Each output line, masked, as it arrives. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  signal?: AbortSignal;
}

export interface CommandMigrations {
  tool: 'command';
  /** Runs `status`; null when none is configured. */
  status(): Promise<CommandOutput | null>;
  /** The tool checks its own history: nothing to compare here. */
  validate(): Promise<[]>;
  up(): Promise<CommandOutput>;
  /** Runs `down`; throws when none is configured. */
  down(): Promise<CommandOutput>;
  close(): Promise<void>;
}

/**
 * The variables a migration command gets: DATABASE_URL, the password in the
 * engine's own variable (PGPASSWORD, MYSQL_PWD), libpq's PGHOST/PGPORT/PGUSER/
 * PGDATABASE, and SHIPGATE_DEPLOYMENT_ID.
 */
export function migrationCommandEnv(type: CommandMigrationsOptions['type'], url: string, deploymentId?: string): Record<string, string> {
  const env: Record<string, string> = { DATABASE_URL: url };
  if (deploymentId !== undefined) env.SHIPGATE_DEPLOYMENT_ID = deploymentId;
  const parsed = parseUrl(url);
  if (!parsed) return env;
  const password = decodeURIComponent(parsed.password);
  if (type === 'postgres') Object.assign(env, libpqEnv(parsed), password ? { PGPASSWORD: password } : {});
  if (type === 'mysql' && password) env.MYSQL_PWD = password;
  return env;
}

function libpqEnv(u: URL): Record<string, string> {
  const env: Record<string, string> = {};
  if (u.hostname) env.PGHOST = u.hostname.replace(/^\[|\]$/g, '');
  if (u.port) env.PGPORT = u.port;
  if (u.username) env.PGUSER = decodeURIComponent(u.username);
  if (u.pathname.length > 1) env.PGDATABASE = decodeURIComponent(u.pathname.slice(1));
  return env;
}

function parseUrl(url: string): URL | null {
  try {
    return /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? new URL(url) : null;
  } catch {
    return null;
  }
}

/** The index of the first argument carrying the URL or its password (`${DATABASE_URL}` written into a command), or -1. */
export function secretArgIndex(argv: readonly string[], url: string): number {
  const password = parseUrl(url)?.password ?? '';
  const secrets = [url, password, password && decodeURIComponent(password)].filter((s) => s.length >= 4);
  return argv.findIndex((arg) => secrets.some((s) => arg.includes(s)));
}

function assertNoSecret(command: Command, url: string, where: string): void {
  const i = secretArgIndex(typeof command === 'string' ? [command] : command, url);
  if (i < 0) return;
  const at = typeof command === 'string' ? where : `${where}[${i}]`;
  throw new MigrationError(`${at} contains the database URL or password, which would show in the process list; the command gets them as DATABASE_URL and PGPASSWORD or MYSQL_PWD in its environment`);
}

export function createCommandMigrations(opts: CommandMigrationsOptions): CommandMigrations {
  const where = `databases.${opts.name}.migrations`;
  const masker = new Masker([opts.url]);
  const exec = async (key: 'command' | 'status' | 'down', command: Command): Promise<CommandOutput> => {
    assertNoSecret(command, opts.url, `${where}.${key}`);
    return runCommand(opts, masker, `${where}.${key}`, toArgv(command));
  };
  return {
    tool: 'command',
    status: async () => (opts.config.status === undefined ? null : exec('status', opts.config.status)),
    validate: async () => [],
    up: () => exec('command', opts.config.command),
    down: async () => {
      if (opts.config.down === undefined) throw new MigrationError(`${where}: no down command configured; undo restores the backup instead`);
      return exec('down', opts.config.down);
    },
    close: async () => undefined,
  };
}

async function runCommand(opts: CommandMigrationsOptions, masker: Masker, where: string, argv: string[]): Promise<CommandOutput> {
  const lines: string[] = [];
  const timeoutMs = toMs(opts.config.timeout);
  const onLine = (line: string, stream: 'stdout' | 'stderr'): void => {
    const masked = masker.mask(line);
    lines.push(masked);
    opts.onLine?.(masked, stream);
  };
  const env = migrationCommandEnv(opts.type, opts.url, opts.deploymentId);
  const result = await (opts.run ?? processRunner)({ argv, cwd: opts.cwd, env, timeoutMs, signal: opts.signal, onLine });
  if (result.exitCode === 0) return { argv, lines };
  const tail = lines.slice(-DEFAULT_FAILURE_TAIL_LINES).map((l) => `\n  ${l}`).join('');
  throw new MigrationError(`${where} ${JSON.stringify(argv)} ${describeRunFailure(result, timeoutMs)}${tail}`);
}
