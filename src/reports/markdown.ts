/** Pure: a report as Markdown, for people (the JSON file is for machines). */
import type { DeploymentReport, FailureReport, ReportBackups, SuccessReport } from './contract.js';

const code = (text: string): string => `\`${text.replace(/`/g, "'")}\``;

function backupLines(b: ReportBackups): string[] {
  const note = `${b.note.charAt(0).toUpperCase()}${b.note.slice(1)}`;
  const lines = ['## Backup', '', `Available: ${b.available ? 'yes' : 'no'}. ${note}.`, ''];
  for (const x of b.backups) {
    lines.push(`- ${x.database}: ${code(x.backup_id)} at ${x.location} (${x.timestamp}, ${x.verified ? 'proven' : 'not proven'})`, `  - restore: ${code(x.restore_command)}`);
  }
  return b.backups.length > 0 ? [...lines, ''] : lines;
}

function failureMarkdown(r: FailureReport): string[] {
  return [
    `# ${r.action_required.urgent ? '🚨' : '⚠️'} ${r.kind === 'rollback' ? 'Rollback' : 'Deployment'} ${r.status.replace('_', ' ')}: ${r.app} ${r.version} to ${r.environment}`,
    '',
    `- Deployment: ${code(r.deployment_id)}`,
    `- Version: ${r.version}${r.previous_version ? ` (was ${r.previous_version})` : ''}`,
    `- Status: ${r.status}`,
    `- Started by ${r.triggered_by} at ${r.started_at}; finished ${r.finished_at ?? 'not recorded'}`,
    `- Failed stage: ${r.failed_stage ? `${r.failed_stage.name}${r.failed_stage.error ? `: ${r.failed_stage.error}` : ''}` : 'none recorded'}`,
    `- Error: ${r.error ?? 'none recorded'}`,
    `- Live now: ${r.live_now}`,
    '',
    '## What was undone',
    '',
    ...(r.undone.length > 0 ? r.undone.map((u) => `- ${u.stage}: ${u.undo.replace(/_/g, ' ')}`) : ['- nothing (no stage had begun changing anything, or undo was off)']),
    '',
    ...backupLines(r.backup),
    `## Action required${r.action_required.urgent ? ' (urgent)' : ''}`,
    '',
    ...r.action_required.steps.map((s, i) => `${i + 1}. ${s}`),
    '',
    `Journal: ${code(r.journal_command)}`,
  ];
}

function successMarkdown(r: SuccessReport): string[] {
  const rb = r.rollback;
  return [
    `# ✅ Rollback instructions: ${r.app} ${r.version} on ${r.environment}`,
    '',
    `- Deployment: ${code(r.deployment_id)}`,
    `- Version: ${r.version}${r.previous_version ? ` (was ${r.previous_version})` : ''}`,
    `- Finished: ${r.finished_at ?? 'not recorded'}`,
    `- Rollback window: ${rb.window_minutes} minutes${rb.deadline ? `, until ${rb.deadline}` : ''}`,
    '',
    '## Roll back',
    '',
    ...(rb.command ? ['```sh', rb.command, '```', ''] : []),
    rb.note,
    '',
    ...backupLines(r.backup),
    `Journal: ${code(r.journal_command)}`,
  ];
}

export function reportMarkdown(r: DeploymentReport): string {
  return `${(r.report === 'failure' ? failureMarkdown(r) : successMarkdown(r)).join('\n')}\n`;
}
