/** Pure: the checks of `shipgate incident export` flags; each error names the flag and the allowed values. */
import { UsageError } from '../errors.js';
import { INCIDENT_SEVERITIES, INCIDENT_TYPES, type IncidentSeverity, type IncidentType } from '../store/contract.js';

export const INCIDENT_FORMATS = ['md', 'json'] as const;
export type IncidentFormat = (typeof INCIDENT_FORMATS)[number];
/** `--severity` when not given. */
export const DEFAULT_INCIDENT_SEVERITY: IncidentSeverity = 'warning';
/** Longest `--details` kept (an audit entry, not a log). */
export const MAX_INCIDENT_DETAILS = 4000;

export interface IncidentExportInput {
  type?: string;
  severity?: string;
  details?: string;
  format?: string;
}

export interface IncidentExportChoice {
  type: IncidentType;
  severity: IncidentSeverity;
  details: string;
  format: IncidentFormat;
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`${flag}: expected one of ${allowed.join(', ')} (got "${value}")`);
}

export function checkIncidentFlags(f: IncidentExportInput, json = false): IncidentExportChoice {
  if (f.type === undefined) throw new UsageError(`--type is required: one of ${INCIDENT_TYPES.join(', ')}`);
  const type = oneOf('--type', f.type, INCIDENT_TYPES);
  const severity = oneOf('--severity', f.severity ?? DEFAULT_INCIDENT_SEVERITY, INCIDENT_SEVERITIES);
  const details = f.details?.trim() ?? '';
  if (!details) throw new UsageError('--details is required: what happened, e.g. --details "Rolled back due to: error rate 4% after v1.4.2"');
  if (details.length > MAX_INCIDENT_DETAILS) throw new UsageError(`--details: at most ${MAX_INCIDENT_DETAILS} characters (got ${details.length})`);
  const format = oneOf('--format', f.format ?? (json ? 'json' : 'md'), INCIDENT_FORMATS);
  if (json && format !== 'json') throw new UsageError('--format md and --json disagree: pass one of them');
  return { type, severity, details, format };
}
