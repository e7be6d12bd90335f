import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { ensurePrivateDir, writePrivateFileSync } from '../runtime/private-files.js';
import { isPlainObject } from './merge.js';

/*
 * The read-only commands (`history`, `status`, `show`, ...) need only a few
 * keys of the config. Loading the YAML parser is a sizeable part of their
 * start-up, so the keys they read are kept, parsed, in
 * `.shipgate/cache/config-<hash>.json` next to the config file, together with
 * the exact text they were parsed from. A cache entry is used only when the
 * config's text is byte for byte the text it holds; anything else (a missing,
 * unreadable, older or foreign entry) means parsing the YAML again. The entry
 * holds values as written, before `${VAR}` interpolation: no secret from the
 * environment ever reaches it. It is written only where `.shipgate/` already
 * exists, so a read-only command never creates that folder.
 */

/** Bump when the entry's shape or the meaning of its keys changes. */
const FORMAT = 3;
/** Top-level keys the light reader uses, and the keys it reads from each environment's block. */
const TOP_KEYS = ['app', 'store', 'rollback', 'provider'] as const;
const ENVIRONMENT_KEYS = ['store', 'rollback', 'provider'] as const;

interface Entry {
  format: number;
  path: string;
  source: string;
  doc: Record<string, unknown>;
}

/** The cache file of the config at the absolute `path`. */
export function lightCachePath(path: string): string {
  return join(dirname(path), '.shipgate', 'cache', `config-${fnv1a(path)}.json`);
}

/** The cached light document of `path` if it was parsed from exactly `source`, else undefined. */
export function readLightCache(path: string, source: string): Record<string, unknown> | undefined {
  let entry: Partial<Entry>;
  try {
    entry = JSON.parse(readFileSync(lightCachePath(path), 'utf8')) as Partial<Entry>;
  } catch {
    return undefined;
  }
  return entry.format === FORMAT && entry.path === path && entry.source === source && isPlainObject(entry.doc) ? entry.doc : undefined;
}

/** The part of the parsed `doc` the light reader uses. */
export function lightDocument(doc: Record<string, unknown>): Record<string, unknown> {
  const light = pick(doc, TOP_KEYS);
  if (Object.hasOwn(doc, 'environments')) {
    const envs = doc.environments;
    light.environments = isPlainObject(envs) ? Object.fromEntries(Object.entries(envs).map(([name, block]) => [name, isPlainObject(block) ? pick(block, ENVIRONMENT_KEYS) : block])) : envs;
  }
  return light;
}

/** Keeps `doc` (a {@link lightDocument}) for `source`, when it survives JSON unchanged (YAML can hold `.nan` and `-0`, JSON cannot). */
export function writeLightCache(path: string, source: string, doc: Record<string, unknown>): void {
  const file = lightCachePath(path);
  const json = JSON.stringify({ format: FORMAT, path, source, doc } satisfies Entry);
  if (!isDeepStrictEqual((JSON.parse(json) as Entry).doc, doc)) return;
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    // Without `.shipgate/` nothing is written.
    if (!existsSync(dirname(dirname(file)))) return;
    ensurePrivateDir(dirname(file));
    writePrivateFileSync(tmp, json);
    renameSync(tmp, file);
  } catch {
    // A cache that cannot be written costs the next run a YAML parse, nothing more.
    rmSync(tmp, { force: true });
  }
}

function pick(obj: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (Object.hasOwn(obj, k)) out[k] = obj[k];
  return out;
}

/** 32-bit FNV-1a of the UTF-16 code units, as 8 hex digits: a short, stable file name. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}
