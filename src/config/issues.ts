import type { z } from 'zod';
import { formatPath } from './paths.js';

/**
 * Turns zod issues into one line each: `path: expected X (got Y)`. These lines are
 * the user-facing text of config errors and are pinned by tests.
 */

type Issue = z.core.$ZodIssue & { input?: unknown; note?: string; options?: unknown[] };
type Path = (string | number)[];

export function formatIssues(issues: readonly z.core.$ZodIssue[], schema: z.ZodType, rename: (p: Path) => Path = (p) => p): string[] {
  const lines: string[] = [];
  for (const issue of flatten(issues as Issue[], [])) {
    const path = issue.path as Path;
    for (const line of describeIssue(issue, path, schema)) lines.push(`${formatPath(rename(line.path))}: ${line.text}`);
  }
  return [...new Set(lines)];
}

/** Unions report every branch; keep the branch that got furthest, flattened to plain issues. */
function flatten(issues: Issue[], prefix: Path): Issue[] {
  const out: Issue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...(issue.path as Path)];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      out.push(...flatten(bestBranch(issue.errors as Issue[][]), path));
    } else {
      out.push({ ...issue, path } as Issue);
    }
  }
  return out;
}

function bestBranch(branches: Issue[][]): Issue[] {
  const score = (b: Issue[]): number =>
    b.some((i) => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_value')) ? 0 : 1 + Math.max(...b.map((i) => i.path.length));
  return [...branches].sort((a, b) => score(b) - score(a) || a.length - b.length)[0] ?? [];
}

interface Line {
  path: Path;
  text: string;
}

function describeIssue(issue: Issue, path: Path, schema: z.ZodType): Line[] {
  const custom = /^[a-z]/.test(issue.message) ? issue.message : undefined;
  const got = 'input' in issue && issue.input !== undefined ? ` (got ${show(issue.input)})` : '';
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({ path: [...path, key], text: unknownKey(key, knownKeysAt(schema, path)) }));
    case 'invalid_type':
      if (issue.input === undefined) return [{ path, text: custom && !custom.startsWith('expected') ? custom : 'is required' }];
      return [{ path, text: `${custom ?? `expected ${expectedType(issue.expected)}`}${got}` }];
    case 'invalid_value':
      return [{ path, text: `expected ${issue.values.map((v) => show(v)).join(', ')}${got}` }];
    case 'invalid_union':
      if (issue.note === 'No matching discriminator') {
        const input = issue.input as Record<string, unknown> | undefined;
        const found = input && typeof input === 'object' ? input[String(path[path.length - 1])] : undefined;
        const opts = (issue.options ?? []).map((o) => show(o)).join(', ');
        return [{ path, text: `expected one of ${opts}${found === undefined ? '' : ` (got ${show(found)})`}` }];
      }
      return [{ path, text: `${custom ?? 'is not valid here'}${got}` }];
    case 'too_small':
      return [{ path, text: `${custom ?? tooSmall(issue)}${got}` }];
    case 'too_big':
      return [{ path, text: `${custom ?? tooBig(issue)}${got}` }];
    default:
      return [{ path, text: `${custom ?? issue.message.replace(/^Invalid input: /, '')}${got}` }];
  }
}

function tooSmall(issue: Extract<Issue, { code: 'too_small' }>): string {
  if (issue.origin === 'array') return `expected at least ${issue.minimum} item(s)`;
  if (issue.origin === 'string') return `expected at least ${issue.minimum} character(s)`;
  return `must be at least ${issue.minimum}`;
}

function tooBig(issue: Extract<Issue, { code: 'too_big' }>): string {
  if (issue.origin === 'array') return `expected at most ${issue.maximum} item(s)`;
  if (issue.origin === 'string') return `expected at most ${issue.maximum} character(s)`;
  return `must be at most ${issue.maximum}`;
}

function expectedType(expected: string): string {
  if (expected === 'int') return 'a whole number';
  if (expected === 'object') return 'a map of keys';
  if (expected === 'array') return 'a list';
  return `a ${expected}`;
}

/** Short JSON-ish rendering of a bad value, for "(got ...)". */
export function show(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return v.length === 0 ? '[]' : 'a list';
  if (typeof v === 'object') return 'a map';
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}..."` : s;
}

function unknownKey(key: string, known: string[]): string {
  const near = known.filter((k) => distance(k.toLowerCase(), key.toLowerCase()) <= Math.max(1, Math.floor(k.length / 4)));
  if (near.length > 0) return `unknown key (did you mean "${near[0]}"?)`;
  return known.length > 0 ? `unknown key (expected one of ${known.join(', ')})` : 'unknown key';
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

/** The keys an object schema accepts at `path`, looking through wrappers, arrays and unions. */
export function knownKeysAt(schema: z.ZodType, path: Path): string[] {
  let nodes: z.core.$ZodType[] = [schema as unknown as z.core.$ZodType];
  for (const seg of path) nodes = nodes.flatMap((n) => unwrap(n)).flatMap((n) => child(n, seg));
  return [...new Set(nodes.flatMap((n) => unwrap(n)).flatMap((n) => (n._zod.def.type === 'object' ? Object.keys((n._zod.def as z.core.$ZodObjectDef).shape) : [])))];
}

function unwrap(n: z.core.$ZodType): z.core.$ZodType[] {
  const def = n._zod.def as unknown as { type: string; innerType?: z.core.$ZodType; in?: z.core.$ZodType; options?: z.core.$ZodType[] };
  if (def.innerType) return unwrap(def.innerType);
  if (def.type === 'pipe' && def.in) return unwrap(def.in);
  if (def.type === 'union' && def.options) return def.options.flatMap(unwrap);
  return [n];
}

function child(n: z.core.$ZodType, seg: string | number): z.core.$ZodType[] {
  const def = n._zod.def as unknown as { type: string; shape?: Record<string, z.core.$ZodType>; element?: z.core.$ZodType; valueType?: z.core.$ZodType };
  if (def.type === 'object' && typeof seg === 'string' && def.shape?.[seg]) return [def.shape[seg]];
  if (def.type === 'array' && typeof seg === 'number' && def.element) return [def.element];
  if (def.type === 'record' && def.valueType) return [def.valueType];
  return [];
}
