import { NAME_RE } from '../constants.js';
import { z } from 'zod';

/** A command: an argv array (run directly) or a string (run through /bin/sh -c). */
export const CommandSchema = z
  .union([
    z.string({ error: 'expected a command: an argv array like ["./deploy.sh"] or a shell string' }).min(1, {
      error: 'expected a non-empty shell command',
    }),
    z.array(z.string({ error: 'expected a string argument' }), {
      error: 'expected a command: an argv array like ["./deploy.sh"] or a shell string',
    }).min(1, { error: 'expected at least the program name' }),
  ])
  .describe('An argv array, run directly (recommended), or a string run through /bin/sh -c.');
export type Command = z.infer<typeof CommandSchema>;

/** Turns a configured command into an argv array. */
export function toArgv(command: Command): string[] {
  return typeof command === 'string' ? ['/bin/sh', '-c', command] : [...command];
}

export const HttpUrlSchema = z
  .string({ error: 'expected an http(s) URL' })
  .refine((v) => isHttpUrl(v), { error: 'expected an http(s) URL' });

export function isHttpUrl(v: string): boolean {
  try {
    const u = new URL(v);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

const STATUS_MESSAGE = 'expected an HTTP status code (100-599)';

export const StatusListSchema = z
  .array(z.number({ error: STATUS_MESSAGE }).int({ error: STATUS_MESSAGE }).min(100, { error: STATUS_MESSAGE }).max(599, { error: STATUS_MESSAGE }), {
    error: 'expected a list of HTTP status codes like [200]',
  })
  .min(1, { error: 'expected at least one status code' });

export const EnvMapSchema = z.record(
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'expected an environment variable name' }),
  z.string({ error: 'expected a string (quote numbers and booleans)' }),
  { error: 'expected a map of NAME: value' },
);

export const NameSchema = z
  .string({ error: 'expected a name' })
  .regex(NAME_RE, { error: 'expected a name of letters, digits, ".", "_" or "-" (at most 63)' });
