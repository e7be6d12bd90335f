import { resolve } from 'node:path';
import type { DatabaseConfig } from '../../config/schema/databases.js';
import type { Clock } from '../../runtime/clock.js';
import type { Runner } from '../../runtime/process.js';
import { Masker } from '../../runtime/secrets.js';
import { errorMessage } from '../../errors.js';
import type { SqlClient } from '../contract.js';
import { openSql } from '../connection.js';
import { createCommandMigrations, type CommandMigrations } from './command.js';
import { MigrationError } from './errors.js';
import { readMigrationFiles } from './files.js';
import { createMigrationRunner, type MigrationRunner } from './runner.js';

/**
 * The one door the pipeline and the CLI use: a database's configured migrations,
 * builtin or command, behind `{ status, validate, up, down, close }`.
 */

export { MigrationError } from './errors.js';
export { guardMigrations, destructiveStatements, type Finding, type GuardOptions } from './guard.js';
export type { CommandMigrations, CommandOutput } from './command.js';
export type { MigrationRunner, MigrationStatus } from './runner.js';
export type { MigrationProblem } from './plan.js';

export interface BuiltinMigrations extends MigrationRunner {
  tool: 'builtin';
  /** Closes the database connection. */
  close(): Promise<void>;
}

export type Migrations = BuiltinMigrations | CommandMigrations;

export interface OpenMigrationsOptions {
  /** The database's name in the config (`databases.<name>`), for errors. */
  name?: string;
  deploymentId?: string;
  clock?: Clock;
  /** How long a builtin runner waits for another's lock. @default DEFAULT_LOCK_TIMEOUT_MS */
  lockTimeoutMs?: number;
  /** Runs `tool: command` commands. @default processRunner */
  run?: Runner;
  /** Output of `tool: command` commands, masked. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  signal?: AbortSignal;
}

/** `root` is the config file's folder: `dir`, `sqlite:` paths and commands are relative to it. */
export async function openMigrations(db: DatabaseConfig, root: string, opts: OpenMigrationsOptions = {}): Promise<Migrations> {
  const name = opts.name ?? 'database';
  const config = db.migrations;
  if (!config) throw new MigrationError(`databases.${name}: no migrations configured`);
  if (config.tool === 'command') return createCommandMigrations({ config, type: db.type, url: db.url, name, cwd: root, deploymentId: opts.deploymentId, run: opts.run, onLine: opts.onLine, signal: opts.signal });
  if (db.type === 'mongodb') throw new MigrationError(`databases.${name}.migrations: tool builtin runs SQL files and needs postgres, mysql or sqlite (got mongodb); use tool: command`);
  const files = await readMigrationFiles(resolve(root, config.dir));
  const client = await connect(db.type, db.url, root, name);
  try {
    const runner = createMigrationRunner({ client, files, table: config.table, deploymentId: opts.deploymentId, clock: opts.clock, lockTimeoutMs: opts.lockTimeoutMs });
    return { tool: 'builtin', ...runner, close: () => client.close() };
  } catch (err) {
    await client.close();
    throw err;
  }
}

/** A connection failure names the database; the driver's text is masked (it may echo the URL). */
async function connect(type: SqlClient['type'], url: string, root: string, name: string): Promise<SqlClient> {
  try {
    return await openSql(type, url, root);
  } catch (err) {
    throw new MigrationError(`databases.${name}: cannot connect to the database (${new Masker([url]).mask(errorMessage(err))})`);
  }
}
