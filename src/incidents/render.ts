/** Pure: an incident as JSON (snake_case, like records) and as Markdown (the audit trail's entry). */
import type { IncidentRow } from '../store/contract.js';

export function incidentJson(i: IncidentRow): Record<string, unknown> {
  return {
    id: i.id,
    app: i.app,
    environment: i.environment,
    type: i.type,
    severity: i.severity,
    status: i.status,
    details: i.details,
    deployment_ids: i.deploymentIds,
    opened_by: i.openedBy,
    opened_at: i.openedAt,
    resolved_by: i.resolvedBy,
    resolved_at: i.resolvedAt,
    resolution: i.resolution,
    time_to_restore_seconds: i.resolvedAt ? (Date.parse(i.resolvedAt) - Date.parse(i.openedAt)) / 1000 : null,
  };
}

export function incidentMarkdown(i: IncidentRow): string {
  const lines = [
    `# Incident ${i.id}: ${i.type} (${i.severity})`,
    '',
    `- App: ${i.app}`,
    `- Environment: ${i.environment}`,
    `- Status: ${i.status}`,
    `- Opened: ${i.openedAt} by ${i.openedBy}`,
    ...(i.resolvedAt ? [`- Resolved: ${i.resolvedAt} by ${i.resolvedBy ?? 'unknown'}${i.resolution ? `: ${i.resolution}` : ''}`] : []),
    `- Deployments: ${i.deploymentIds.map((d) => `\`${d}\``).join(', ')}`,
    '',
    '## Details',
    '',
    i.details,
    '',
  ];
  return lines.join('\n');
}

/** One line for `incident list`. */
export function incidentLine(i: IncidentRow): string {
  const state = i.status === 'resolved' ? `resolved ${i.resolvedAt}` : 'open';
  return `${i.id}  ${i.environment}  ${i.type}/${i.severity}  ${state}  ${i.details.split('\n')[0]!.slice(0, 80)}`;
}
