import { auditSecrets, failingRows, type AuditRow } from '../../secrets/audit.js';
import { lightConfig } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { table, type GlobalOptions, type Output } from '../output.js';

function setText(r: AuditRow): string {
  if (r.source === 'file') return 'written in the config';
  if (r.set) return 'yes';
  return r.required ? 'NO (required)' : 'no (optional)';
}

function rowCells(r: AuditRow): string[] {
  const source = r.source === 'env' ? 'environment' : 'config file';
  return [r.environment, r.secret, source, setText(r), r.placeholder ? 'PLACEHOLDER' : '-', r.inReleases.length > 0 ? `EXPOSED: ${r.inReleases.join(', ')}` : '-', r.usedBy.join(', ')];
}

/** A row as `--json` prints it (snake_case, like the records). */
function jsonRow(r: AuditRow): Record<string, unknown> {
  return { environment: r.environment, secret: r.secret, source: r.source, required: r.required, set: r.set, placeholder: r.placeholder, used_by: r.usedBy, in_releases: r.inReleases };
}

/** "FLY_API_TOKEN (production, staging)" per secret. */
function byName(rows: readonly AuditRow[]): string {
  const envs = new Map<string, string[]>();
  for (const r of rows) envs.set(r.secret, [...(envs.get(r.secret) ?? []), r.environment]);
  return [...envs].map(([name, e]) => `${name} (${e.join(', ')})`).join(', ');
}

/**
 * `shipgate secrets audit`: every secret the config refers to, per environment:
 * where it comes from, whether it is set here, a placeholder, in a kept release.
 * Exit 1 when a required one is not set or a kept release holds one.
 */
export async function secretsAuditCommand(flags: GlobalOptions, out: Output): Promise<number> {
  const settings = await lightConfig(flags, out);
  const environments = settings.environment ? [settings.environment] : settings.environments;
  const rows = await auditSecrets({ path: settings.path, root: settings.root, environments, env: process.env });
  const { missing, exposed } = failingRows(rows);
  const ok = missing.length === 0 && exposed.length === 0;
  if (out.json) {
    out.result({ app: settings.app, ok, secrets: rows.map(jsonRow) });
    return ok ? EXIT.ok : EXIT.failed;
  }
  out.line(rows.length === 0 ? 'the config refers to no secrets' : table(['ENVIRONMENT', 'SECRET', 'SOURCE', 'SET HERE', 'PLACEHOLDER', 'IN RELEASES', 'USED BY'], rows.map(rowCells)));
  if (missing.length > 0) out.line(`required secrets not set in this shell: ${byName(missing)}`);
  if (exposed.length > 0) out.line(`secrets found in kept releases (rotate them, and delete those releases): ${byName(exposed)}`);
  const placeholders = rows.filter((r) => r.placeholder);
  if (placeholders.length > 0) out.line(`values that look like placeholders: ${byName(placeholders)}`);
  if (ok) out.line(`${rows.length === 0 ? 'nothing to check' : 'every required secret is set'}`);
  return ok ? EXIT.ok : EXIT.failed;
}
