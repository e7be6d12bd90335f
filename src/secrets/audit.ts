import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readConfigDocument } from '../config/document.js';
import { lookup } from '../config/interpolate.js';
import type { KnownSecret } from '../gates/contract.js';
import { filesHolding } from '../gates/secrets/release-scan.js';
import { STATE_DIR } from '../pipeline/deps.js';
import { MANIFEST_FILE } from '../pipeline/release-manifest.js';
import { looksLikePlaceholder } from './placeholder.js';
import { secretReferences, type SecretReference, type SecretSource } from './references.js';

/** One secret of one environment. Never its value. */
export interface AuditRow {
  environment: string;
  /** The variable, or the key path of a value written into the config file. */
  secret: string;
  source: SecretSource;
  required: boolean;
  /** Set (and not empty) in this shell; always true for a value written into the file. */
  set: boolean;
  /** The value in use (the shell's, else a written default or literal) looks like `changeme`. */
  placeholder: boolean;
  /** Key paths that use it. */
  usedBy: string[];
  /** Kept releases whose files hold its value verbatim. */
  inReleases: string[];
}

/** Pure: the value a reference has in this shell (a set variable, else its written default or literal), or null. */
export function valueOf(ref: SecretReference, env: NodeJS.ProcessEnv): string | null {
  if (ref.source === 'file') return ref.written[0] ?? null;
  const v = lookup(env, ref.name);
  return v !== undefined && v !== '' ? v : (ref.written[0] ?? null);
}

/** Pure: the audit rows of one environment; `exposed` maps a secret to the releases holding its value. */
export function auditRows(environment: string, refs: readonly SecretReference[], env: NodeJS.ProcessEnv, exposed: ReadonlyMap<string, string[]>): AuditRow[] {
  return refs.map((ref) => {
    const shell = ref.source === 'env' ? lookup(env, ref.name) : undefined;
    const value = valueOf(ref, env);
    return {
      environment,
      secret: ref.name,
      source: ref.source,
      required: ref.required,
      set: ref.source === 'file' || (shell !== undefined && shell !== ''),
      placeholder: value !== null && looksLikePlaceholder(value),
      usedBy: ref.keys,
      inReleases: exposed.get(ref.name) ?? [],
    };
  });
}

/** Pure: the rows that fail the audit: a required secret not set, or a value found in a kept release. */
export function failingRows(rows: readonly AuditRow[]): { missing: AuditRow[]; exposed: AuditRow[] } {
  return { missing: rows.filter((r) => r.required && !r.set), exposed: rows.filter((r) => r.inReleases.length > 0) };
}

/** Kept releases: the folders under `<root>/.shipgate/releases/` with a manifest, by version. */
export async function keptReleases(root: string): Promise<{ version: string; dir: string }[]> {
  const releasesDir = join(root, STATE_DIR, 'releases');
  if (!existsSync(releasesDir)) return [];
  const entries = await readdir(releasesDir, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.') && existsSync(join(releasesDir, e.name, MANIFEST_FILE)))
    .map((e) => ({ version: e.name, dir: join(releasesDir, e.name) }))
    .sort((a, b) => a.version.localeCompare(b.version));
}

/** Which secrets' values (those with one, of at least the scanned length) appear in which kept releases. */
async function exposures(root: string, known: readonly KnownSecret[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (known.length === 0) return out;
  for (const release of await keptReleases(root)) {
    for (const f of await filesHolding(release.dir, known)) {
      const versions = out.get(f.secret!) ?? [];
      if (!versions.includes(release.version)) out.set(f.secret!, [...versions, release.version]);
    }
  }
  return out;
}

export interface AuditRequest {
  /** The config file. */
  path: string;
  root: string;
  environments: readonly string[];
  env: NodeJS.ProcessEnv;
}

/** `shipgate secrets audit`: one row per secret the config refers to, per environment. */
export async function auditSecrets(req: AuditRequest): Promise<AuditRow[]> {
  const doc = readConfigDocument(req.path);
  const perEnv = req.environments.map((environment) => ({ environment, refs: secretReferences(doc, environment) }));
  const known = new Map<string, KnownSecret>();
  for (const { refs } of perEnv) {
    for (const ref of refs) {
      const value = ref.source === 'file' ? ref.written[0] : lookup(req.env, ref.name);
      if (value) known.set(`${ref.name}\0${value}`, { name: ref.name, value });
    }
  }
  const exposed = await exposures(req.root, [...known.values()]);
  return perEnv.flatMap(({ environment, refs }) => auditRows(environment, refs, req.env, exposed));
}
