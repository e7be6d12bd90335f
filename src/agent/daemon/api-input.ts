import type { z } from 'zod';
import { formatIssues } from '../../config/issues.js';
import { ENV_VALUE_ISSUE } from './api-schemas.js';
import { AgentApiError } from './errors.js';

/**
 * Turns a request's body or query into a typed value, or a 400 whose message
 * names each bad field the way config errors do:
 * `weights.v1: expected a whole number from 0 to 100 (got 150)`.
 */

type Issue = z.core.$ZodIssue;

/** An environment value may be a secret: its issue never shows the value. */
function isEnvValue(path: readonly PropertyKey[]): boolean {
  return path.length === 3 && path[0] === 'spec' && path[1] === 'env';
}

function redact(issues: readonly Issue[]): Issue[] {
  return issues.map((i) => (isEnvValue(i.path) && i.code !== 'invalid_key' ? ({ code: 'custom', path: i.path, message: ENV_VALUE_ISSUE } as Issue) : i));
}

/** `root`: what a whole-value issue is called (`body: expected a map of settings (got a list)`). */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown, root: 'body' | 'query'): T {
  const r = schema.safeParse(value, { reportInput: true });
  if (r.success) return r.data;
  const lines = formatIssues(redact(r.error.issues), schema, { input: value }).map((l) => {
    const named = l.startsWith('(root)') ? `${root}${l.slice('(root)'.length)}` : l;
    return root === 'query' ? named.replace(': unknown key', ': unknown query parameter') : named;
  });
  throw new AgentApiError(400, lines.join('; '));
}

/** Query parameters as an object of strings; a parameter given twice is an error (which one would count?). */
export function queryObject(params: URLSearchParams): Record<string, string> {
  // No prototype: `__proto__` is a key like any other (and so refused as unknown).
  const out = Object.create(null) as Record<string, string>;
  for (const [key, value] of params) {
    if (Object.hasOwn(out, key)) throw new AgentApiError(400, `${key}: expected once in the query (got it more than once)`);
    out[key] = value;
  }
  return out;
}
