import type { DatabaseConfig } from '../config/schema/databases.js';
import type { BackupEngine, EngineOptions } from './engine.js';
import { BackupError } from './errors.js';
import { createMysqlEngine } from './mysql/engine.js';
import { createPostgresEngine } from './postgres/engine.js';
import { createSqliteEngine } from './sqlite/engine.js';

/** The backup engine of a database's `type`. */
export function createEngine(type: DatabaseConfig['type'], opts: EngineOptions): BackupEngine {
  if (type === 'postgres') return createPostgresEngine(opts);
  if (type === 'mysql') return createMysqlEngine(opts);
  if (type === 'sqlite') return createSqliteEngine(opts);
  throw new BackupError('mongodb backups are not supported yet (only the mongodump and mongorestore argv exist); set backup.enabled: false for this database');
}
