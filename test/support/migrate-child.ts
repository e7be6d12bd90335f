/**
 * One migration runner in a process of its own, for the concurrency test: SQLite's
 * driver is synchronous, so runners in one process would block each other's event
 * loop instead of competing for the database's lock.
 *
 * argv[2] is JSON { type, url, dir, table }. Prints "ready" once connected, waits
 * for "go" on stdin, runs `up`, prints the applied names as JSON, exits.
 */
import { createInterface } from 'node:readline';
import { openSql } from '../../src/databases/connection.js';
import { readMigrationFiles } from '../../src/databases/migrations/files.js';
import { createMigrationRunner } from '../../src/databases/migrations/runner.js';

const { type, url, dir, table } = JSON.parse(process.argv[2]!) as { type: 'postgres' | 'mysql' | 'sqlite'; url: string; dir: string; table: string };
const client = await openSql(type, url);
const runner = createMigrationRunner({ client, files: await readMigrationFiles(dir), table });
const lines = createInterface({ input: process.stdin });
process.stdout.write('ready\n');
for await (const line of lines) if (line === 'go') break;
lines.close();
const applied = await runner.up();
process.stdout.write(`${JSON.stringify(applied.map((a) => a.name))}\n`);
await client.close();
