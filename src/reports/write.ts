/**
 * Writes a finished deployment's report: `<reportsDir>/<id>-<kind>.json` and `.md`, and
 * the store. A report is a courtesy: a write that fails becomes a warning, never the
 * deployment's failure, and nothing here waits on anything but the disk and the store.
 */
import { join } from 'node:path';
import { errorMessage } from '../errors.js';
import type { DeploymentRecord } from '../pipeline/record.js';
import { ensurePrivateDir, writePrivateFile } from '../runtime/private-files.js';
import type { Masker } from '../runtime/secrets.js';
import type { Store } from '../store/contract.js';
import { buildReport } from './build.js';
import type { CommandScope } from './commands.js';
import type { ReportPaths } from './contract.js';
import { reportMarkdown } from './markdown.js';

export interface ReportWriteDeps {
  store: Pick<Store, 'saveReport'>;
  reportsDir: string;
  masker: Masker;
}

export interface ReportWriteResult {
  paths: ReportPaths | null;
  /** Why the report (or part of it) was not written; masked. */
  warning: string | null;
}

export function reportPaths(reportsDir: string, deploymentId: string, kind: ReportPaths['kind']): ReportPaths {
  const base = join(reportsDir, `${deploymentId}-${kind}`);
  return { kind, json: `${base}.json`, markdown: `${base}.md` };
}

/** Never throws: what fails is returned as a warning. */
export async function writeReport(record: DeploymentRecord, scope: CommandScope, deps: ReportWriteDeps): Promise<ReportWriteResult> {
  let report;
  try {
    report = buildReport(record, scope, deps.masker);
  } catch (err) {
    return { paths: null, warning: deps.masker.mask(`the deployment report was not built: ${errorMessage(err)}`) };
  }
  if (!report) return { paths: null, warning: null };
  const paths = reportPaths(deps.reportsDir, record.deployment_id, report.report);
  const problems: string[] = [];
  try {
    ensurePrivateDir(deps.reportsDir);
    await writePrivateFile(paths.json, `${JSON.stringify(report, null, 2)}\n`);
    await writePrivateFile(paths.markdown, reportMarkdown(report));
  } catch (err) {
    problems.push(`its files were not written (${errorMessage(err)})`);
  }
  await deps.store.saveReport(record.deployment_id, report.report, report as unknown as Record<string, unknown>).catch((err: unknown) => problems.push(`the store did not keep it (${errorMessage(err)})`));
  const warning = problems.length > 0 ? deps.masker.mask(`the ${report.report} report of ${record.deployment_id}: ${problems.join('; ')}`) : null;
  return { paths: problems.some((p) => p.startsWith('its files')) ? null : paths, warning };
}
