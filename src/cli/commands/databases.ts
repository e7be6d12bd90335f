import { loadConfig, type LoadedConfig } from '../../config/load.js';
import { UsageError } from '../../errors.js';
export { selectDatabases } from '../../databases/manual.js';
import { EXIT } from '../exit-codes.js';
import { table, type GlobalOptions, type Output } from '../output.js';

/** Flags of `shipgate backup ...` and `shipgate migrate ...`. */
export interface DatabaseFlags extends GlobalOptions {
  db?: string;
  steps?: string;
  targetUrl?: string;
  dryRun?: boolean;
  method?: string;
}

/** The full config (these commands touch databases, so they need its secrets), with the masker on the output. */
export function loadForDatabases(flags: GlobalOptions, out: Output): LoadedConfig {
  const loaded = loadConfig({ configPath: flags.config, environment: flags.env });
  out.masker = loaded.masker;
  return loaded;
}

/** `--steps N`: a whole number from 1. */
export function stepsFlag(value: string | undefined): number {
  if (value === undefined) return 1;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new UsageError(`--steps: expected a whole number from 1 to 10000 (got ${JSON.stringify(value)})`);
  return n;
}

export function printRows(out: Output, head: string[], rows: string[][], empty: string): void {
  out.line(rows.length === 0 ? empty : table(head, rows));
}

export { EXIT };
