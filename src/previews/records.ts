import { readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir, writePrivateFileSync } from '../runtime/private-files.js';

/**
 * What `preview down` and `preview prune` need to find a preview again, one JSON file per pull
 * request under `.shipgate/previews/`. The deployments themselves are in the store (environment
 * `pr-<n>`); this is only the bookkeeping the store has no table for. No secrets.
 */
export interface PreviewRecord {
  pr: number;
  /** The environment the preview runs as (`pr-<n>`). */
  environment: string;
  /** The environment whose config it was made from. */
  base: string;
  provider: string;
  url: string;
  version: string;
  /** Fly.io: the preview app. */
  app?: string;
  /** Local: the router's port. */
  port?: number;
  createdAt: string;
  /** The last `preview up`: what `prune --older-than` measures from. */
  updatedAt: string;
}

export function previewsDir(root: string): string {
  return join(root, '.shipgate', 'previews');
}

const fileOf = (root: string, pr: number): string => join(previewsDir(root), `${pr}.json`);

export function readPreview(root: string, pr: number): PreviewRecord | null {
  try {
    return JSON.parse(readFileSync(fileOf(root, pr), 'utf8')) as PreviewRecord;
  } catch {
    return null;
  }
}

/** Written whole (0600, as everything under .shipgate/) then renamed: a killed command never leaves half a file. */
export function writePreview(root: string, record: PreviewRecord): void {
  ensurePrivateDir(previewsDir(root));
  const tmp = `${fileOf(root, record.pr)}.${process.pid}.tmp`;
  writePrivateFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(tmp, fileOf(root, record.pr));
}

export function removePreview(root: string, pr: number): void {
  rmSync(fileOf(root, pr), { force: true });
}

export function listPreviews(root: string): PreviewRecord[] {
  let names: string[];
  try {
    names = readdirSync(previewsDir(root));
  } catch {
    return [];
  }
  const prs = names.map((n) => /^([0-9]+)\.json$/.exec(n)?.[1]).filter((n): n is string => n !== undefined);
  return prs.map((n) => readPreview(root, Number(n))).filter((r): r is PreviewRecord => r !== null).sort((a, b) => a.pr - b.pr);
}
