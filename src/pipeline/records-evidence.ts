import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Record files looked at, newest first, before giving up (the folder holds every app and environment). */
export const DEFAULT_RECORDS_SCANNED = 200;

/** What the records folder says went live last in one environment. */
export interface RecordedLive {
  deploymentId: string;
  version: string;
  finishedAt: string | null;
  path: string;
}

/** Record files are `<deployment id>.json`, and ids sort by time. */
const RECORD_FILE_RE = /^dep_[0-9A-Za-z_]+\.json$/;

/**
 * The newest succeeded deployment of app/environment according to
 * `.shipgate/records/*.json`: evidence that outlives the store (a deleted or
 * emptied `state.db`, a store URL pointed at a new database, an older copy put
 * back). Null when the folder holds none (or none among the newest `limit` files).
 */
export async function newestRecordedLive(recordsDir: string, app: string, environment: string, limit = DEFAULT_RECORDS_SCANNED): Promise<RecordedLive | null> {
  const names = (await readdir(recordsDir).catch(() => [] as string[])).filter((n) => RECORD_FILE_RE.test(n)).sort().reverse().slice(0, limit);
  for (const name of names) {
    const path = join(recordsDir, name);
    const r = await readRecord(path);
    if (r && r.app === app && r.environment === environment && r.status === 'succeeded' && typeof r.version === 'string') {
      return { deploymentId: String(r.deployment_id), version: r.version, finishedAt: typeof r.finished_at === 'string' ? r.finished_at : null, path };
    }
  }
  return null;
}

async function readRecord(path: string): Promise<Record<string, unknown> | null> {
  try {
    const value: unknown = JSON.parse(await readFile(path, 'utf8'));
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : null;
  } catch {
    return null; // unreadable or half-written: not evidence
  }
}
