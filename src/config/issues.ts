import type { z } from 'zod';
import { formatPath } from './paths.js';
import { show } from './show.js';

export { show } from './show.js';

/**
 * Turns zod issues into one line each: `path: expected X (got Y)`. These lines are
 * the user-facing text of config errors and are pinned by tests.
 */

type Issue = z.core.$ZodIssue & { input?: unknown; note?: string; options?: unknown[] };
type Path = (string | number)[];

export interface FormatIssuesOptions {
  /** Maps a path in the parsed value to the path the user wrote (environment blocks). */
  rename?: (p: Path) => Path;
  /** The parsed value: when given, lines follow the order of its keys, as the file reads. */
  input?: unknown;
}

export function formatIssues(issues: readonly z.core.$ZodIssue[], schema: z.ZodType, opts: FormatIssuesOptions = {}): string[] {
  const rename = opts.rename ?? ((p: Path) => p);
  const lines: Line[] = [];
  for (const issue of flatten(issues as Issue[], [])) lines.push(...describeIssue(issue, issue.path as Path, schema, opts.input));
  const ranked = lines.map((line) => ({ line, rank: rankOf(opts.input, line.path) }));
  ranked.sort((a, b) => compareRanks(a.rank, b.rank));
  return [...new Set(ranked.map(({ line }) => `${formatPath(rename(line.path))}: ${line.text}`))];
}

/** Where `path` sits in `input`: the index of each segment among its siblings. */
function rankOf(input: unknown, path: Path): number[] {
  const rank: number[] = [];
  let node = input;
  for (const seg of path) {
    if (Array.isArray(node) && typeof seg === 'number') {
      rank.push(seg);
      node = node[seg];
    } else if (node !== null && typeof node === 'object') {
      const keys = Object.keys(node);
      const i = keys.indexOf(String(seg));
      // A missing key (a required one) sorts after the keys that are there.
      rank.push(i < 0 ? keys.length : i);
      node = i < 0 ? undefined : (node as Record<string, unknown>)[String(seg)];
    } else {
      rank.push(0);
      node = undefined;
    }
  }
  return rank;
}

function compareRanks(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/**
 * Unions report every branch. When every branch rejected the value itself (wrong
 * type at the union's own path), the union's message (or the branches' expectations
 * joined) says it best; otherwise keep the branch that got furthest, flattened.
 */
function flatten(issues: Issue[], prefix: Path): Issue[] {
  const out: Issue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...(issue.path as Path)];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const branches = issue.errors as Issue[][];
      if (branches.every((b) => failsAtRoot(b))) out.push(rootUnionIssue(issue, path));
      else out.push(...flatten(bestBranch(branches), path));
    } else {
      out.push({ ...issue, path } as Issue);
    }
  }
  return out;
}

/** True when the branch rejected the value itself rather than something inside it. */
function failsAtRoot(branch: Issue[]): boolean {
  return branch.some(
    (i) =>
      i.path.length === 0 &&
      (i.code === 'invalid_type' || i.code === 'invalid_value' || (i.code === 'invalid_union' && i.errors.length > 0 && (i.errors as Issue[][]).every(failsAtRoot))),
  );
}

function rootUnionIssue(issue: Issue, path: Path): Issue {
  const message = `expected ${expectationOf(issue)}`;
  if (issue.input === undefined) return { code: 'custom', path, message: `is required (${message})` } as Issue;
  return { code: 'custom', path, message, input: issue.input } as Issue;
}

/** What a root issue expected, without the leading "expected "; a union joins its branches. */
function expectationOf(issue: Issue): string {
  if (isCustom(issue.message)) return issue.message.replace(/^expected /, '');
  if (issue.code === 'invalid_type') return expectedType(issue.expected);
  if (issue.code === 'invalid_value') return oneOf(issue.values);
  if (issue.code === 'invalid_union') {
    const roots = (issue.errors as Issue[][]).map((b) => b.find((i) => i.path.length === 0)).filter((i) => i !== undefined);
    return [...new Set(roots.map(expectationOf))].join(' or ');
  }
  return 'something else';
}

function bestBranch(branches: Issue[][]): Issue[] {
  const score = (b: Issue[]): number => (failsAtRoot(b) ? 0 : 1 + Math.max(...b.map((i) => i.path.length)));
  return [...branches].sort((a, b) => score(b) - score(a) || a.length - b.length)[0] ?? [];
}

/** Messages we wrote start lowercase; zod's own start with a capital. */
function isCustom(message: string): boolean {
  return /^[a-z]/.test(message);
}

/**
 * A check of a secret marks its issue `params: { secret: true }`: no "(got …)" then, since
 * `show` cuts long values short and the masker would not recognise the rest of the secret.
 */
export const SECRET_ISSUE = { secret: true } as const;

function isSecretIssue(issue: Issue): boolean {
  const params = (issue as { params?: unknown }).params;
  return typeof params === 'object' && params !== null && (params as { secret?: unknown }).secret === true;
}

interface Line {
  path: Path;
  text: string;
}

function describeIssue(issue: Issue, path: Path, schema: z.ZodType, input: unknown): Line[] {
  const custom = isCustom(issue.message) ? issue.message : undefined;
  const got = 'input' in issue && issue.input !== undefined && !isSecretIssue(issue) ? ` (got ${show(issue.input)})` : '';
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({ path: [...path, key], text: unknownKey(key, knownKeysAt(schema, path, input)) }));
    case 'invalid_type': {
      const expected = custom?.startsWith('expected ') ? custom : `expected ${expectedType(issue.expected)}`;
      if (issue.input === undefined) return [{ path, text: `is required (${expected})` }];
      return [{ path, text: `${custom ?? expected}${got}` }];
    }
    case 'invalid_value':
      return [{ path, text: `expected ${oneOf(issue.values)}${got}` }];
    case 'invalid_union':
      if (issue.note === 'No matching discriminator') return [discriminatorLine(issue, path)];
      return [{ path, text: `${custom ?? 'is not valid here'}${got}` }];
    case 'invalid_key':
      // The record's own message describes the whole map; the key's issue says what a key must be.
      return [{ path, text: `${keyExpectation(issue.issues as Issue[])}${got}` }];
    case 'too_small':
      return [{ path, text: `${custom ?? tooSmall(issue)}${got}` }];
    case 'too_big':
      return [{ path, text: `${custom ?? tooBig(issue)}${got}` }];
    default:
      return [{ path, text: `${custom ?? issue.message.replace(/^Invalid input: /, '')}${got}` }];
  }
}

/** `provider.type: expected "command" (got "kubernetes")`, or `is required (...)` when absent. */
function discriminatorLine(issue: Issue, path: Path): Line {
  const input = issue.input as Record<string, unknown> | undefined;
  const found = input && typeof input === 'object' ? input[String(path[path.length - 1])] : undefined;
  const expected = `expected ${oneOf(issue.options ?? [])}`;
  return { path, text: found === undefined ? `is required (${expected})` : `${expected} (got ${show(found)})` };
}

function keyExpectation(issues: Issue[]): string {
  const first = issues.find((i) => isCustom(i.message));
  return first ? first.message : 'expected a different key';
}

/** `"command"` or `one of "mon", "tue"`. */
function oneOf(values: readonly unknown[]): string {
  const shown = values.map((v) => show(v));
  return shown.length === 1 ? shown[0]! : `one of ${shown.join(', ')}`;
}

function tooSmall(issue: Extract<Issue, { code: 'too_small' }>): string {
  if (issue.origin === 'array') return `expected at least ${issue.minimum} item(s)`;
  if (issue.origin === 'string') return `expected at least ${issue.minimum} character(s)`;
  return `expected at least ${issue.minimum}`;
}

function tooBig(issue: Extract<Issue, { code: 'too_big' }>): string {
  if (issue.origin === 'array') return `expected at most ${issue.maximum} item(s)`;
  if (issue.origin === 'string') return `expected at most ${issue.maximum} character(s)`;
  return `expected at most ${issue.maximum}`;
}

function expectedType(expected: string): string {
  if (expected === 'int') return 'a whole number';
  if (expected === 'object' || expected === 'record' || expected === 'map') return 'a map of settings';
  if (expected === 'array') return 'a list';
  return `a ${expected}`;
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

/**
 * The keys an object schema accepts at `path`, looking through wrappers, arrays and
 * unions. Given the `input`, a union of object shapes told apart by `type` (the
 * providers) counts only the shape whose `type` the input names.
 */
export function knownKeysAt(schema: z.ZodType, path: Path, input?: unknown): string[] {
  let nodes: z.core.$ZodType[] = [schema as unknown as z.core.$ZodType];
  let value = input;
  for (const seg of path) {
    nodes = matching(nodes.flatMap((n) => unwrap(n)), value).flatMap((n) => child(n, seg));
    value = value !== null && typeof value === 'object' ? (value as Record<string | number, unknown>)[seg] : undefined;
  }
  const shapes = matching(nodes.flatMap((n) => unwrap(n)), value);
  return [...new Set(shapes.flatMap((n) => (n._zod.def.type === 'object' ? Object.keys((n._zod.def as z.core.$ZodObjectDef).shape) : [])))];
}

/** The object shapes whose literal `type` accepts the `type` that `value` names; all of them when none does (or nothing is named). */
function matching(nodes: z.core.$ZodType[], value: unknown): z.core.$ZodType[] {
  const named = value !== null && typeof value === 'object' ? (value as Record<string, unknown>).type : undefined;
  if (named === undefined) return nodes;
  const accepts = (n: z.core.$ZodType): boolean => {
    if (n._zod.def.type !== 'object') return false;
    const type = (n._zod.def as z.core.$ZodObjectDef).shape.type;
    const literal = type && unwrap(type as z.core.$ZodType).find((t) => t._zod.def.type === 'literal');
    return literal !== undefined && (literal._zod.def as z.core.$ZodLiteralDef<z.core.util.Literal>).values.includes(named as z.core.util.Literal);
  };
  const picked = nodes.filter(accepts);
  return picked.length > 0 ? picked : nodes;
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
  if (def.type === 'object' && typeof seg === 'string' && def.shape && Object.hasOwn(def.shape, seg)) return [def.shape[seg]!];
  if (def.type === 'array' && typeof seg === 'number' && def.element) return [def.element];
  if (def.type === 'record' && def.valueType) return [def.valueType];
  return [];
}
