import { describe, expect, it } from 'vitest';
import { checkIncidentFlags } from '../../../src/incidents/flags.js';
import { incidentJson, incidentMarkdown } from '../../../src/incidents/render.js';
import type { IncidentRow } from '../../../src/store/contract.js';

describe('incident export flags', () => {
  it('takes the seed runbook\'s flags', () => {
    expect(checkIncidentFlags({ type: 'rollback', severity: 'warning', details: ' Rolled back due to: 5xx ' })).toEqual({ type: 'rollback', severity: 'warning', details: 'Rolled back due to: 5xx', format: 'md' });
    expect(checkIncidentFlags({ type: 'outage', details: 'x' }, true)).toMatchObject({ severity: 'warning', format: 'json' });
  });

  it('refuses what is not on the lists, and missing details, with the flag and the allowed values', () => {
    expect(() => checkIncidentFlags({ details: 'x' })).toThrow('--type is required: one of rollback, outage, degradation, security, data, other');
    expect(() => checkIncidentFlags({ type: 'oops', details: 'x' })).toThrow('--type: expected one of rollback, outage, degradation, security, data, other (got "oops")');
    expect(() => checkIncidentFlags({ type: 'rollback', severity: 'high', details: 'x' })).toThrow('--severity: expected one of critical, error, warning, info (got "high")');
    expect(() => checkIncidentFlags({ type: 'rollback', details: '  ' })).toThrow(/^--details is required/);
    expect(() => checkIncidentFlags({ type: 'rollback', details: 'x', format: 'html' })).toThrow('--format: expected one of md, json (got "html")');
    expect(() => checkIncidentFlags({ type: 'rollback', details: 'x', format: 'md' }, true)).toThrow('--format md and --json disagree: pass one of them');
  });
});

describe('incident rendering', () => {
  const row: IncidentRow = {
    id: 'inc_20260101T100000Z_abcde',
    app: 'shop',
    environment: 'production',
    type: 'rollback',
    severity: 'warning',
    details: 'Rolled back due to: error rate 4%',
    status: 'resolved',
    deploymentIds: ['dep_20260101T095000Z_00abc'],
    openedBy: 'alice',
    openedAt: '2026-01-01T10:00:00.000Z',
    resolvedBy: 'bob',
    resolvedAt: '2026-01-01T10:30:00.000Z',
    resolution: 'v1.0.0 healthy',
  };

  it('JSON carries the time to restore; Markdown the audit entry', () => {
    expect(incidentJson(row)).toMatchObject({ id: row.id, deployment_ids: row.deploymentIds, time_to_restore_seconds: 1800 });
    expect(incidentMarkdown(row)).toContain('# Incident inc_20260101T100000Z_abcde: rollback (warning)');
    expect(incidentMarkdown(row)).toContain('- Resolved: 2026-01-01T10:30:00.000Z by bob: v1.0.0 healthy');
  });
});
