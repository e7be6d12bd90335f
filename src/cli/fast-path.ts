import { parseArgs } from 'node:util';
import type { HistoryFlags } from './commands/history.js';

/*
 * `shipgate history` is what scripts and dashboards call in loops, so it has a
 * lean entry: a plain invocation is parsed here with node's own parseArgs and
 * runs without loading commander (about a fifth of the command's start-up).
 * Anything this parser does not accept exactly (help, a typo, an ambiguous
 * value, extra arguments) returns null and goes through commander, which owns
 * every message. A unit test pins that both parsers give the same options.
 */

/** A default commander gives too (main.ts declares its option with it). */
export const HISTORY_LIMIT_OPTION_DEFAULT = '20';

const HISTORY_OPTIONS = {
  config: { type: 'string', short: 'c' },
  env: { type: 'string', short: 'e' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
  'no-color': { type: 'boolean' },
  limit: { type: 'string' },
  before: { type: 'string' },
} as const;

/** The options commander would give `history` for `argv` (defaults included), or null to let commander parse it. */
export function fastHistoryFlags(argv: readonly string[]): HistoryFlags | null {
  if (argv[0] !== 'history') return null;
  let values: { [K in keyof typeof HISTORY_OPTIONS]?: (typeof HISTORY_OPTIONS)[K]['type'] extends 'string' ? string : boolean };
  try {
    values = parseArgs({ args: argv.slice(1), options: HISTORY_OPTIONS, strict: true, allowPositionals: false }).values;
  } catch {
    return null;
  }
  const flags: HistoryFlags = { color: values['no-color'] !== true, limit: values.limit ?? HISTORY_LIMIT_OPTION_DEFAULT };
  if (values.config !== undefined) flags.config = values.config;
  if (values.env !== undefined) flags.env = values.env;
  if (values.json !== undefined) flags.json = values.json;
  if (values.verbose !== undefined) flags.verbose = values.verbose;
  if (values.before !== undefined) flags.before = values.before;
  return flags;
}
