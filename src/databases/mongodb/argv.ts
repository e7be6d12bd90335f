import { join } from 'node:path';
import { writePrivateFile } from '../../runtime/private-files.js';
import { BackupError } from '../errors.js';

/**
 * argv of mongodump and mongorestore (no MongoDB server runs here, so only the
 * argv exists so far). The connection URI holds the password, so it never goes
 * in argv: the tools read it from a YAML file given with --config, written 0600
 * into the private work folder.
 */

export const MONGO_CONFIG_FILE = 'mongo-tools.yaml';

/** The --config file's text: the URI as a YAML double-quoted string (JSON escapes are valid YAML). */
export function mongoToolConfig(uri: string): string {
  return `uri: ${JSON.stringify(uri)}\n`;
}

/** Writes the --config file (0600) into `dir` and returns its path. */
export async function writeMongoToolConfig(dir: string, uri: string): Promise<string> {
  const path = join(dir, MONGO_CONFIG_FILE);
  await writePrivateFile(path, mongoToolConfig(uri));
  return path;
}

/** A gzip archive of the URI's database(s), to stdout (`--archive` without a file), streamed into the archive like the other engines' dumps. */
export function mongodumpArgv(o: { configFile: string }): string[] {
  return ['mongodump', `--config=${o.configFile}`, '--archive', '--gzip'];
}

const DB_NAME_RE = /^[^\s/\\."$*<>:|?]{1,63}$/;

/** A database name usable in --nsFrom/--nsTo, or a clear error. */
export function checkMongoDbName(name: string, what: string): string {
  if (!DB_NAME_RE.test(name)) throw new BackupError(`${what}: "${name}" is not a MongoDB database name (1 to 63 characters, none of / \\ . " $ * < > : | ? or spaces)`);
  return name;
}

export interface MongorestoreOptions {
  configFile: string;
  archive: string;
  /** Restore database `from` of the archive as `to` (a scratch database for the proof). */
  rename?: { from: string; to: string };
  /** Drop each collection before restoring it. */
  drop: boolean;
}

export function mongorestoreArgv(o: MongorestoreOptions): string[] {
  const argv = ['mongorestore', `--config=${o.configFile}`, `--archive=${o.archive}`, '--gzip'];
  if (o.rename) {
    const from = checkMongoDbName(o.rename.from, 'the database in the archive');
    const to = checkMongoDbName(o.rename.to, 'the target database');
    argv.push(`--nsFrom=${from}.*`, `--nsTo=${to}.*`);
  }
  if (o.drop) argv.push('--drop');
  return argv;
}
