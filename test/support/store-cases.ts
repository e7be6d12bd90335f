import { join } from 'node:path';
import { createTestDatabase } from './pg.js';
import { makeTempDir } from './tmp.js';

/** A fresh, empty state store URL and how to remove it. */
export type StoreCase = () => Promise<{ url: string; done(): Promise<void> }>;

/** The two stores shipgate supports, for `describe.each`: an SQLite file in a temp folder, and a PostgreSQL database of its own. */
export const STORE_CASES: [string, StoreCase][] = [
  ['sqlite', async () => {
    const tmp = await makeTempDir();
    return { url: `sqlite:${join(tmp.path, 'state.db')}`, done: () => tmp.cleanup() };
  }],
  ['postgres', async () => {
    const db = await createTestDatabase();
    return { url: db.url, done: () => db.drop() };
  }],
];
