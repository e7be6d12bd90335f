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

/**
 * Everything the CLI prints goes through here, masked. With `--json`, stdout
 * carries only the JSON result and progress goes to stderr.
 */
export class Output {
  readonly json: boolean;
  readonly verbose: boolean;
  readonly color: boolean;
  readonly tty: boolean;
  masker: Masker = new Masker();

  constructor(opts: GlobalOptions, env: NodeJS.ProcessEnv = process.env) {
    this.json = opts.json === true;
    this.verbose = opts.verbose === true;
    // A terminal that reports no usable width (some CI pseudo-terminals) gets plain lines.
    this.tty = process.stdout.isTTY === true && (process.stdout.columns ?? 0) >= MIN_LIVE_COLUMNS && !this.json && env.CI === undefined;
    this.color = colorEnabled(opts, env, process.stdout.isTTY === true);
  }

  /** A line of human output (stderr under --json). */
  line(text = ''): void {
    (this.json ? process.stderr : process.stdout).write(`${this.masker.mask(text)}\n`);
  }

  /** A line for stderr: warnings and errors. */
  err(text: string): void {
    process.stderr.write(`${this.masker.mask(text)}\n`);
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
