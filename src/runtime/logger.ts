/**
 * Structured logs: `--log-format json` (or `SHIPGATE_LOG_FORMAT=json`) makes the
 * CLI, `shipgate serve` and the local agent write one JSON object per line
 * (pino), every line masked as a whole just before it is written, so neither a
 * message nor a field can carry a secret out.
 */
import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import { UsageError } from '../errors.js';
import type { Masker } from './secrets.js';

export const LOG_FORMATS = ['human', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Human lines unless asked otherwise. */
export const DEFAULT_LOG_FORMAT: LogFormat = 'human';

/** Stands in for `--log-format`; daemons (the agent, its router) take their format from it. */
export const LOG_FORMAT_ENV = 'SHIPGATE_LOG_FORMAT';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** Pure: the format a flag (first) or the environment asks for; a bad value names where it came from. */
export function resolveLogFormat(flag: string | undefined, env: NodeJS.ProcessEnv): LogFormat {
  if (flag !== undefined) return parseLogFormat(flag, '--log-format');
  const fromEnv = env[LOG_FORMAT_ENV];
  return fromEnv === undefined || fromEnv === '' ? DEFAULT_LOG_FORMAT : parseLogFormat(fromEnv, LOG_FORMAT_ENV);
}

function parseLogFormat(value: string, source: string): LogFormat {
  if ((LOG_FORMATS as readonly string[]).includes(value)) return value as LogFormat;
  throw new UsageError(`${source}: expected ${LOG_FORMATS.join(' or ')} (got "${value}")`);
}

export interface JsonLoggerOptions {
  /** The masker in force when a line is written (a command learns its secrets after it starts). */
  masker: () => Masker;
  /** File descriptor written synchronously (a line is never lost when the process exits). @default 2 (stderr) */
  fd?: number;
  /** Fields on every line. @default { pid } */
  base?: Record<string, unknown>;
  /** @default 'info' */
  level?: LogLevel;
}

/**
 * pino, loaded on first use: only JSON logs need it, and importing it cost every command about
 * 35 ms of start-up. It is CommonJS, so `require` loads it synchronously.
 */
function loadPino(): typeof import('pino').default {
  return createRequire(import.meta.url)('pino') as typeof import('pino').default;
}

/** A pino logger: `{"level":"info","time":"<ISO>","pid":…,"msg":…}` per line, masked. */
export function createJsonLogger(opts: JsonLoggerOptions): Logger {
  const pino = loadPino();
  return pino(
    {
      level: opts.level ?? 'info',
      base: opts.base ?? { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      hooks: { streamWrite: (line) => opts.masker().mask(line) },
    },
    pino.destination({ fd: opts.fd ?? 2, sync: true }),
  );
}
