import type { Logger } from 'pino';
import { createJsonLogger, type LogFormat, type LogLevel } from '../runtime/logger.js';
import { Masker } from '../runtime/secrets.js';

/** Narrower terminals get plain lines instead of the live view. */
export const MIN_LIVE_COLUMNS = 40;

export type Hue = 'red' | 'green' | 'yellow' | 'dim' | 'bold' | 'cyan';

export interface GlobalOptions {
  config?: string;
  env?: string;
  json?: boolean;
  verbose?: boolean;
  color?: boolean;
  /** `--log-format`: as given; main.ts resolves it (with $SHIPGATE_LOG_FORMAT) before a command runs. */
  logFormat?: string;
}

/**
 * Whether to print colors, by the usual conventions: `--no-color` wins; then
 * `FORCE_COLOR` (empty, `1`, `2`, `3` or `true` force colors even without a
 * terminal; `0` or `false` turn them off); then a non-empty `NO_COLOR` turns them
 * off (an empty one does not: no-color.org); else colors in a terminal only.
 * `FORCE_COLOR` outranks `NO_COLOR` as it does for Node itself. `--json` output is never colored.
 */
export function colorEnabled(opts: Pick<GlobalOptions, 'color' | 'json'>, env: NodeJS.ProcessEnv, isTTY: boolean): boolean {
  if (opts.color === false || opts.json === true) return false;
  const forced = env.FORCE_COLOR;
  if (forced !== undefined) return forced !== '0' && forced.toLowerCase() !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return isTTY;
}

/** The level of a line written for stderr, by how it starts (`error: …`, `warning: …`). */
export function levelOf(text: string): LogLevel {
  const head = text.trimStart().toLowerCase();
  if (head.startsWith('error') || head.startsWith('!!!') || head.startsWith('shipgate stopped')) return 'error';
  if (head.startsWith('warning')) return 'warn';
  return 'info';
}

/**
 * Everything the CLI prints goes through here, masked. With `--json`, stdout
 * carries only the JSON result and progress goes to stderr. With
 * `--log-format json`, stderr carries only JSON lines (one per message; the
 * progress view is replaced by one line per lifecycle event), and stdout keeps
 * the command's result.
 */
export class Output {
  readonly json: boolean;
  readonly verbose: boolean;
  readonly color: boolean;
  readonly tty: boolean;
  /** The JSON logger of `--log-format json`; null for human lines. */
  readonly logger: Logger | null;
  masker: Masker = new Masker();

  constructor(opts: GlobalOptions & { logFormat?: LogFormat | string }, env: NodeJS.ProcessEnv = process.env) {
    this.json = opts.json === true;
    this.verbose = opts.verbose === true;
    this.logger = opts.logFormat === 'json' ? createJsonLogger({ masker: () => this.masker, level: this.verbose ? 'debug' : 'info' }) : null;
    // A terminal that reports no usable width (some CI pseudo-terminals) gets plain lines.
    this.tty = process.stdout.isTTY === true && (process.stdout.columns ?? 0) >= MIN_LIVE_COLUMNS && !this.json && this.logger === null && env.CI === undefined;
    this.color = this.logger === null && colorEnabled(opts, env, process.stdout.isTTY === true);
  }

  /** A line of human output (stderr under --json: then a JSON line with --log-format json). */
  line(text = ''): void {
    if (this.json && this.logger) this.log('info', text);
    else (this.json ? process.stderr : process.stdout).write(`${this.masker.mask(text)}\n`);
  }

  /** A line for stderr: warnings and errors (a JSON line with --log-format json, its level from its text). */
  err(text: string, fields: Record<string, unknown> = {}): void {
    if (this.logger) this.log(levelOf(text), text, fields);
    else process.stderr.write(`${this.masker.mask(text)}\n`);
  }

  /** A structured line: JSON with `fields` under --log-format json, else the text on stderr. Empty text is skipped in JSON. */
  log(level: LogLevel, text: string, fields: Record<string, unknown> = {}): void {
    if (!this.logger) {
      process.stderr.write(`${this.masker.mask(text)}\n`);
      return;
    }
    if (text.trim() === '' && Object.keys(fields).length === 0) return;
    this.logger[level](fields, text.trim());
  }

  /** The one JSON document of --json mode. */
  result(value: unknown): void {
    process.stdout.write(`${this.masker.mask(JSON.stringify(value, null, 2))}\n`);
  }

  paint(code: Hue, text: string): string {
    if (!this.color) return text;
    const codes = { red: [31, 39], green: [32, 39], yellow: [33, 39], dim: [2, 22], bold: [1, 22], cyan: [36, 39] }[code];
    return `\u001b[${codes[0]}m${text}\u001b[${codes[1]}m`;
  }
}

/** Fixed-width text table. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [fmt(headers), ...rows.map(fmt)].join('\n');
}
