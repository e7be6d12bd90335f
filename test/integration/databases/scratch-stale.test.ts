/**
 * Stale scratch databases on real PostgreSQL and MariaDB: one whose process is
 * gone is dropped; one of a live process, another host's, or an older name is kept.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { openSql } from '../../../src/databases/connection.js';
import { currentOwner, dropStaleScratch, scratchName } from '../../../src/databases/scratch.js';
import { MYSQL_ADMIN_URL } from '../../support/mysql.js';
import { ADMIN_URL } from '../../support/pg.js';

const SERVERS = { postgres: ADMIN_URL, mysql: MYSQL_ADMIN_URL } as const;
const made: [keyof typeof SERVERS, string][] = [];

async function exec(type: keyof typeof SERVERS, text: string): Promise<void> {
  const sql = await openSql(type, SERVERS[type]);
  try {
    await sql.exec(text);
  } finally {
    await sql.close();
  }
}

async function create(type: keyof typeof SERVERS, name: string): Promise<string> {
  made.push([type, name]);
  await exec(type, type === 'postgres' ? `CREATE DATABASE "${name}"` : `CREATE DATABASE \`${name}\``);
  return name;
}

afterAll(async () => {
  for (const [type, name] of made) await exec(type, type === 'postgres' ? `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)` : `DROP DATABASE IF EXISTS \`${name}\``);
});

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  return child.pid!;
}

for (const type of ['postgres', 'mysql'] as const) {
  describe(`stale scratch databases (${type})`, () => {
    it('drops those whose process is gone or whose pid now runs another process; keeps a live one, another host\'s, and an older name', async () => {
      const me = currentOwner();
      const live = await create(type, scratchName());
      const dead = await create(type, scratchName({ ...me, pid: await deadPid() }));
      const reused = await create(type, scratchName({ ...me, start: '00000000' }));
      const elsewhere = await create(type, scratchName({ ...me, pid: await deadPid(), host: '00000000' }));
      const older = await create(type, `shipgate_verify_${'ab'.repeat(6)}`);
      const sweep = await dropStaleScratch(type, SERVERS[type]);
      expect(sweep.errors).toEqual([]);
      expect(sweep.dropped).toEqual(expect.arrayContaining([dead, reused]));
      expect(sweep.dropped).not.toEqual(expect.arrayContaining([live]));
      expect(sweep.kept).toEqual(
        expect.arrayContaining([
          { name: live, why: 'its process still runs (a proof under way)' },
          { name: elsewhere, why: 'made on another host or by an older shipgate: whose it is cannot be told' },
          { name: older, why: 'made on another host or by an older shipgate: whose it is cannot be told' },
        ]),
      );
      const again = await dropStaleScratch(type, SERVERS[type]);
      expect(again.dropped).not.toContain(dead);
      expect(again.kept.map((k) => k.name)).toEqual(expect.arrayContaining([live, elsewhere, older]));
    });
  });
}
