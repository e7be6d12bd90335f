import { readFile, stat } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { checkMongoDbName, mongodumpArgv, mongorestoreArgv, mongoToolConfig, writeMongoToolConfig } from '../../../src/databases/mongodb/argv.js';
import { mysqlClientArgv, mysqlDumpArgv, parseMysqlUrl, tablesOfDump } from '../../../src/databases/mysql/argv.js';
import { stripDefiner } from '../../../src/databases/mysql/definers.js';
import { parsePostgresUrl, pgDumpArgv, pgListArgv, pgRestoreArgv, tablesOfList, withDatabase } from '../../../src/databases/postgres/argv.js';
import { makeTempDir } from '../../support/tmp.js';

const PASSWORD = 'p@ss w0rd/secret';
const PG_URL = `postgres://app:${encodeURIComponent(PASSWORD)}@db.internal:6543/shop?sslmode=require`;

describe('pg_dump and pg_restore argv', () => {
  const { conn, env, password } = parsePostgresUrl(PG_URL);

  it('splits the URL into separate arguments, with the password only in the environment', () => {
    expect(conn).toEqual({ host: 'db.internal', port: '6543', user: 'app', database: 'shop' });
    expect(env).toEqual({ PGPASSWORD: PASSWORD, PGSSLMODE: 'require' });
    expect(password).toBe(PASSWORD);
    expect(parsePostgresUrl('postgres://127.0.0.1/x')).toEqual({ conn: { host: '127.0.0.1', port: '5432', user: 'postgres', database: 'x' }, env: {}, password: null });
  });

  it('builds exact argv', () => {
    expect(pgDumpArgv(conn, '00000003-00000002-1')).toEqual(['pg_dump', '--format=custom', '--snapshot=00000003-00000002-1', '--no-password', '--host', 'db.internal', '--port', '6543', '--username', 'app', '--dbname', 'shop']);
    expect(pgRestoreArgv(conn, '/w/dump', { clean: false })).toEqual(['pg_restore', '--no-owner', '--no-acl', '--single-transaction', '--exit-on-error', '--no-password', '--host', 'db.internal', '--port', '6543', '--username', 'app', '--dbname', 'shop', '/w/dump']);
    expect(pgRestoreArgv(conn, '/w/dump', { clean: true })).toEqual(['pg_restore', '--no-owner', '--no-acl', '--single-transaction', '--exit-on-error', '--no-password', '--clean', '--if-exists', '--host', 'db.internal', '--port', '6543', '--username', 'app', '--dbname', 'shop', '/w/dump']);
    expect(pgListArgv('/w/dump')).toEqual(['pg_restore', '--list', '/w/dump']);
    for (const argv of [pgDumpArgv(conn, 's'), pgRestoreArgv(conn, 'f', { clean: true })]) expect(argv.join(' ')).not.toContain('w0rd');
  });

  it('refuses bad URLs without quoting them', () => {
    expect(() => parsePostgresUrl(`mysql://u:${encodeURIComponent(PASSWORD)}@h/db`)).toThrow('the database url must start with postgres:// (got mysql://)');
    expect(() => parsePostgresUrl('postgres://u:pw@h/')).toThrow('the database url must name a database (a plain name, after the last "/")');
    expect(() => parsePostgresUrl('postgres://u:pw@h/host=evil')).toThrow('must name a database');
    expect(() => parsePostgresUrl('not a url with pw')).toThrow(/^the database url is not a valid postgres:\/\/ URL$/);
  });

  it('points a URL at another database, keeping the rest', () => {
    expect(withDatabase(PG_URL, 'shipgate_verify_ab')).toBe(`postgres://app:${encodeURIComponent(PASSWORD)}@db.internal:6543/shipgate_verify_ab?sslmode=require`);
  });

  it('reads table names from pg_restore --list', () => {
    const lines = [';', '; Archive created at 2026-12-03', '215; 1259 16386 TABLE public users postgres', '3345; 0 16386 TABLE DATA public users postgres', '3346; 0 16390 TABLE DATA billing my table app', '3347; 0 0 SEQUENCE SET public users_id_seq postgres'];
    expect(tablesOfList(lines)).toEqual(['billing.my table', 'public.users']);
  });
});

describe('mariadb-dump and mariadb argv', () => {
  const { conn, env } = parseMysqlUrl(`mysql://app:${encodeURIComponent(PASSWORD)}@db.internal:3307/shop`);

  it('keeps the password in MYSQL_PWD and builds exact argv', () => {
    expect(env).toEqual({ MYSQL_PWD: PASSWORD });
    expect(mysqlDumpArgv('mariadb-dump', conn)).toEqual(['mariadb-dump', '--single-transaction', '--routines', '--triggers', '--hex-blob', '--default-character-set=utf8mb4', '--host', 'db.internal', '--port', '3307', '--user', 'app', 'shop']);
    expect(mysqlClientArgv('mysql', conn)).toEqual(['mysql', '--default-character-set=utf8mb4', '--binary-mode', '--host', 'db.internal', '--port', '3307', '--user', 'app', 'shop']);
    expect(parseMysqlUrl('mariadb://h/x').conn).toEqual({ host: 'h', port: '3306', user: 'root', database: 'x' });
    expect(() => parseMysqlUrl('mysql://h/-x')).toThrow('the database url must name a database');
  });

  it('finds CREATE TABLE statements and strips DEFINER clauses outside data', () => {
    expect(tablesOfDump(['CREATE TABLE `users` (', 'CREATE TABLE `we``ird` (', 'INSERT INTO `users` VALUES (1)'])).toEqual(['users', 'we`ird']);
    expect(stripDefiner('/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`127.0.0.1`*/ /*!50003 TRIGGER t AFTER INSERT')).toBe('/*!50003 CREATE*/ /*!50003 TRIGGER t AFTER INSERT');
    expect(stripDefiner('CREATE DEFINER=`a``b`@`%` PROCEDURE p()')).toBe('CREATE PROCEDURE p()');
    expect(stripDefiner("INSERT INTO `t` VALUES ('DEFINER=`root`@`x`')")).toBe("INSERT INTO `t` VALUES ('DEFINER=`root`@`x`')");
  });
});

describe('mongodump and mongorestore argv', () => {
  const uri = `mongodb://app:${encodeURIComponent(PASSWORD)}@mongo.internal:27017/shop?authSource=admin`;

  it('passes the URI in a 0600 --config file, never in argv', async () => {
    const dir = await makeTempDir();
    try {
      const file = await writeMongoToolConfig(dir.path, uri);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect(await readFile(file, 'utf8')).toBe(`uri: "${uri}"\n`);
      const dump = mongodumpArgv({ configFile: file });
      expect(dump).toEqual(['mongodump', `--config=${file}`, '--archive', '--gzip']);
      expect(dump.join(' ')).not.toContain(encodeURIComponent(PASSWORD));
    } finally {
      await dir.cleanup();
    }
    expect(mongoToolConfig('mongodb://u:"q\\@h/d')).toBe('uri: "mongodb://u:\\"q\\\\@h/d"\n');
  });

  it('restores with a rename into a scratch database, or in place with --drop', () => {
    expect(mongorestoreArgv({ configFile: '/w/c.yaml', archive: '/w/dump', rename: { from: 'shop', to: 'shipgate_verify_ab12' }, drop: false })).toEqual(['mongorestore', '--config=/w/c.yaml', '--archive=/w/dump', '--gzip', '--nsFrom=shop.*', '--nsTo=shipgate_verify_ab12.*']);
    expect(mongorestoreArgv({ configFile: '/w/c.yaml', archive: '/w/dump', drop: true })).toEqual(['mongorestore', '--config=/w/c.yaml', '--archive=/w/dump', '--gzip', '--drop']);
    expect(() => checkMongoDbName('a.b', 'the target database')).toThrow('the target database: "a.b" is not a MongoDB database name (1 to 63 characters, none of / \\ . " $ * < > : | ? or spaces)');
  });
});
