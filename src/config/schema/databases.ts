import { z } from 'zod';
import { parseIdentities, recipientProblem } from '../../databases/archive/age-keys.js';
import { DATABASE_TYPES } from '../../databases/contract.js';
import { type Duration } from '../duration.js';
import { SECRET_ISSUE } from '../issues.js';
import { duration } from './duration.js';
import { CommandSchema, NameSchema } from './primitives.js';

/** Where backups go when `backup.storage` is not set (relative to the config file). */
export const DEFAULT_BACKUP_PATH = '.shipgate/backups';
export const DEFAULT_BACKUP_KEEP = 10;
export const DEFAULT_BACKUP_MAX_AGE = '365d' as Duration;
export const DEFAULT_MIGRATIONS_DIR = 'migrations';
export const VERIFY_METHODS = ['restore', 'list', 'none'] as const;

const LocalStorageSchema = z.strictObject({
  type: z.literal('local').describe('A folder on this host.'),
  path: z.string().min(1).default(DEFAULT_BACKUP_PATH).describe('Folder for backup archives, relative to the config file.'),
});

const S3StorageSchema = z.strictObject({
  type: z.literal('s3').describe('An S3 or S3-compatible bucket.'),
  bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: 'expected an S3 bucket name (3-63 lowercase letters, digits, "." or "-")' }).describe('Bucket name.'),
  prefix: z.string().max(512).default('').describe('Key prefix, e.g. `prod/`.'),
  region: z.string().min(1).default('us-east-1').describe('Region of the bucket.'),
  endpoint: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional().describe('An S3-compatible endpoint (MinIO, R2, Ceph...); path-style addressing is used with it. Credentials come from the AWS SDK chain (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, profiles), never from this file.'),
});

export const StorageSchema = z
  .discriminatedUnion('type', [LocalStorageSchema, S3StorageSchema], { error: 'expected { type: local, path } or { type: s3, bucket, prefix, region }' })
  .describe('Where backup archives are kept.');
export type StorageConfig = z.infer<typeof StorageSchema>;

const AgeRecipientSchema = z.string({ error: 'expected an age recipient string (age1…)' }).superRefine((value, ctx) => {
  const problem = recipientProblem(value);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: problem, input: value });
});

const AgeIdentitySchema = z.string({ error: 'expected an age identity (use ${BACKUP_AGE_IDENTITY} from the environment)' }).superRefine((value, ctx) => {
  const parsed = parseIdentities(value);
  if ('problem' in parsed) ctx.addIssue({ code: 'custom', message: parsed.problem, params: SECRET_ISSUE });
});

const EncryptionSchema = z
  .strictObject({
    key: z.string().min(32, { error: 'expected at least 32 characters (use ${BACKUP_KEY} from the environment)' }).optional().describe('A passphrase from the environment (`${BACKUP_KEY}`); archives are encrypted with AES-256-GCM under a key derived from it (scrypt). Either this or `recipients`.'),
    recipients: z.array(AgeRecipientSchema, { error: 'expected a list of age recipients (age1…)' }).min(1, { error: 'expected at least one age recipient (age1…)' }).optional().describe('age X25519 public keys (`age1…`, as `age-keygen` prints): archives are encrypted so that any one of their identities can decrypt them (an `.age` file the `age` tool reads). Either this or `key`.'),
    identity: AgeIdentitySchema.optional().describe('With `recipients`: the age identity (`AGE-SECRET-KEY-1…`, or the text of an identity file) that decrypts archives for the proof and restores, from the environment (`${BACKUP_AGE_IDENTITY}`). Masked everywhere. Without it (nor `identityFile`), `verify` must be `list` (the sha256 only) or `none`.'),
    identityFile: z.string().min(1).optional().describe('With `recipients`: an age identity file (as `age-keygen -o` writes; relative to the config file, readable by its owner only), read when an archive is decrypted. Instead of `identity`.'),
  })
  .describe('Encrypts archives before they leave the host: with a passphrase (`key`) or to age recipients (`recipients`).');

const RetentionSchema = z.strictObject({
  keep: z.number().int().min(1).max(10_000).default(DEFAULT_BACKUP_KEEP).describe('At most this many backups are kept per database; older ones are deleted.'),
  maxAge: duration().default(DEFAULT_BACKUP_MAX_AGE).describe('Backups older than this are deleted (never one a deployment inside its rollback window may need).'),
});

export const BackupSchema = z.strictObject({
  enabled: z.boolean().default(true).describe('Take a backup before migrations run.'),
  verify: z.enum(VERIFY_METHODS).default('restore').describe('`restore`: restore into a scratch database and compare per-table row counts and checksums with the source; `list`: read the archive\'s table of contents and check its sha256; `none`: no proof (not recommended).'),
  verifyUrl: z.string().min(1).optional().describe('Server for the scratch database of `verify: restore` (default: the same server).'),
  storage: StorageSchema.default({ type: 'local', path: DEFAULT_BACKUP_PATH }),
  compression: z.enum(['auto', 'gzip', 'none']).default('auto').describe('Compression of the archive. auto: gzip, except for PostgreSQL, whose custom-format dump pg_dump compresses already (gzip would only spend CPU on it).'),
  encryption: EncryptionSchema.optional(),
  retention: RetentionSchema.default({ keep: DEFAULT_BACKUP_KEEP, maxAge: DEFAULT_BACKUP_MAX_AGE }).describe('Which backups are kept.'),
});

const BuiltinMigrationsSchema = z.strictObject({
  tool: z.literal('builtin').describe('shipgate runs the SQL files itself, with a history table and a lock.'),
  dir: z.string().min(1).default(DEFAULT_MIGRATIONS_DIR).describe('Folder of `0001_name.up.sql` and `0001_name.down.sql`, relative to the config file.'),
  table: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, { error: 'expected a table name of letters, digits and "_"' }).default('shipgate_migrations').describe('History table.'),
});

const CommandMigrationsSchema = z.strictObject({
  tool: z.literal('command').describe('The team\'s own tool (Prisma, Knex, Rails...) runs as a step.'),
  command: CommandSchema.describe('Applies pending migrations (e.g. `["npx", "prisma", "migrate", "deploy"]`).'),
  status: CommandSchema.optional().describe('Prints the migration status (shown by `shipgate migrate status`).'),
  down: CommandSchema.optional().describe('Reverts the last migration; without it, undo restores the backup.'),
  timeout: duration().default('30m' as Duration).describe('Deadline of each command.'),
});

export const MigrationsSchema = z
  .discriminatedUnion('tool', [BuiltinMigrationsSchema, CommandMigrationsSchema], { error: 'expected { tool: builtin, dir } or { tool: command, command }' })
  .describe('How schema migrations run.');
export type MigrationsConfig = z.infer<typeof MigrationsSchema>;

export const DatabaseSchema = z.strictObject({
  type: z.enum(DATABASE_TYPES).describe('`postgres`, `mysql` (MariaDB too), `sqlite` or `mongodb`.'),
  url: z.string({ error: 'expected a connection URL (use ${DATABASE_URL})' }).min(1, { error: 'expected a connection URL (use ${DATABASE_URL})' }).describe('Connection URL, usually `${DATABASE_URL}`; `sqlite:PATH` for SQLite. Its password is masked everywhere.'),
  backup: BackupSchema.default({ enabled: true, verify: 'restore', storage: { type: 'local', path: DEFAULT_BACKUP_PATH }, compression: 'auto', retention: { keep: DEFAULT_BACKUP_KEEP, maxAge: DEFAULT_BACKUP_MAX_AGE } }).describe('The backup taken before migrations.'),
  migrations: MigrationsSchema.optional(),
});
export type DatabaseConfig = z.infer<typeof DatabaseSchema>;

export const DatabasesSchema = z.record(NameSchema, DatabaseSchema, { error: 'expected a map of database name to settings' }).describe('Databases backed up and migrated with each deploy (several per app).');
