import type { DeploymentRecord } from '../record.js';
import { backupRecordFields } from './backup-output.js';
import { migrateRecordFields } from './migrate-output.js';
import { secretsRecordFields } from './secrets-output.js';

/** Record fields each stage contributes from its journaled output (pure; the stages' own modules say how). */
export const STAGE_RECORD_FIELDS: Readonly<Record<string, (output: Record<string, unknown> | null) => Partial<DeploymentRecord>>> = {
  backup: backupRecordFields,
  migrate: migrateRecordFields,
  secrets: secretsRecordFields,
};
