import { Masker } from '../runtime/secrets.js';

/** Narrower terminals get plain lines instead of the live view. */
export const MIN_LIVE_COLUMNS = 40;

export interface GlobalOptions {
  config?: string;
  env?: string;
  json?: boolean;
  verbose?: boolean;
  color?: boolean;
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
    this.color = opts.color !== false && !('NO_COLOR' in env && env.NO_COLOR !== '') && process.stdout.isTTY === true && !this.json;
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

  paint(code: 'red' | 'green' | 'yellow' | 'dim' | 'bold' | 'cyan', text: string): string {
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
