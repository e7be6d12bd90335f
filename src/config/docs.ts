import { z } from 'zod';
import { DURATION_RE } from './duration.js';
import { CommandSchema, ConfigSchema, DATE_RE, HOURS_RE, HttpUrlSchema, NameSchema } from './schema/index.js';

/**
 * The README's config reference, generated from the zod schema so the two cannot
 * drift: one row per key with its path, type, default and `.describe()` text.
 * `npm run docs:config` writes it; a unit test fails when the README is stale.
 */

export const DOCS_START_MARKER = '<!-- config-reference:start -->';
export const DOCS_END_MARKER = '<!-- config-reference:end -->';

type Schema = z.core.$ZodType;
type Def = z.core.$ZodTypeDef & Record<string, unknown>;

export interface ReferenceRow {
  /** `provider.health.url`, `smoke[].name`, `environments.<name>`. */
  path: string;
  type: string;
  /** `required`, a default value, or `` for optional keys without one. */
  default: string;
  description: string;
}

/** String shapes worth naming instead of "string". */
const NAMED_PATTERNS: [RegExp, string][] = [
  [DURATION_RE, 'duration'],
  [HOURS_RE, '`"HH:MM-HH:MM"`'],
  [DATE_RE, 'date `YYYY-MM-DD`'],
];

/** Schemas with a name of their own, by definition (`.describe()` clones share it). */
const NAMED_DEFS = new Map<unknown, string>([
  [CommandSchema._zod.def, 'command'],
  [HttpUrlSchema._zod.def, 'http(s) URL'],
  [NameSchema._zod.def, 'name'],
]);

const INTRO = [
  'Generated from `src/config/schema/` by `npm run docs:config`; do not edit by hand.',
  '',
  '* Config lives in `shipgate.yaml`, found in the working folder or the nearest parent folder',
  '  (not above a git repository\'s root), or in `--config FILE` / `$SHIPGATE_CONFIG`. Relative',
  '  paths in it start at its folder. Unknown keys are rejected, and every error names its key',
  '  path: `gates.window.hours: expected "HH:MM-HH:MM" (got "9-5")`.',
  '* `environments.<name>` blocks are deep-merged over the base (maps merge, lists and values',
  '  replace); `false` turns a gate off. `app` cannot vary per environment; `__proto__`,',
  '  `constructor` and `prototype` cannot name one.',
  '* The config file must be a regular file of at most 1 MiB.',
  '* `${VAR}` and `${VAR:-default}` in any string come from the environment; a missing variable',
  '  is an error naming its key path, and so is any other `${…}` (`${A-B}`, `${1}`, an unclosed',
  '  `${`): write `$${` for a literal `${` (a shell script\'s own `$${1}`).',
  '* A *duration* is a whole number and a unit: `250ms`, `10s`, `5m`, `1h`, `2d`; at most `365d`.',
  '* A *command* is an argv list, run directly (`["./deploy.sh", "--fast"]`), or a string,',
  '  run through `/bin/sh -c`.',
  '* A *name* is up to 63 letters, digits, `.`, `_` or `-`, starting with a letter or digit.',
  '* Editors: `shipgate config schema > shipgate.schema.json`, then start the file with',
  '  `# yaml-language-server: $schema=./shipgate.schema.json` for completion and checks as you type.',
  '* Paths ending in `[]` are keys of each item of a list; `<name>` stands for any key.',
];

/** Every documented key of `schema`, depth first, in declaration order. */
export function referenceRows(schema: z.ZodType = ConfigSchema): ReferenceRow[] {
  const rows: ReferenceRow[] = [];
  walkObject(schema as unknown as Schema, '', rows, new Map());
  return rows;
}

/** The Markdown between the README markers (without the markers). */
export function renderConfigReference(schema: z.ZodType = ConfigSchema): string {
  const rows = referenceRows(schema);
  const top = rows.filter((r) => !/[.[]/.test(r.path));
  const sections = top
    .map((t) => ({ key: t.path, rows: rows.filter((r) => r.path.startsWith(`${t.path}.`) || r.path.startsWith(`${t.path}[]`)) }))
    .filter((s) => s.rows.length > 0);
  const parts = [INTRO.join('\n'), `### Top level\n\n${table(top)}`, ...sections.map((s) => `### \`${s.key}\`\n\n${table(s.rows)}`)];
  return `${parts.join('\n\n')}\n`;
}

/** `readme` with the text between the markers replaced by `reference`. */
export function replaceReferenceSection(readme: string, reference: string): string {
  const start = readme.indexOf(DOCS_START_MARKER);
  const end = readme.indexOf(DOCS_END_MARKER);
  if (start < 0 || end < start) throw new Error(`README has no ${DOCS_START_MARKER} ... ${DOCS_END_MARKER} section`);
  return `${readme.slice(0, start + DOCS_START_MARKER.length)}\n${reference}${readme.slice(end)}`;
}

/** The text between the README markers, as `replaceReferenceSection` writes it. */
export function extractReferenceSection(readme: string): string | undefined {
  const start = readme.indexOf(DOCS_START_MARKER);
  const end = readme.indexOf(DOCS_END_MARKER);
  return start < 0 || end < start ? undefined : readme.slice(start + DOCS_START_MARKER.length + 1, end);
}

function table(rows: ReferenceRow[]): string {
  const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = rows.map((r) => `| \`${r.path}\` | ${cell(r.type)} | ${cell(r.default)} | ${cell(r.description)} |`);
  return ['| Key | Type | Default | Description |', '|---|---|---|---|', ...lines].join('\n');
}

// --- walking the schema -------------------------------------------------------

interface Unwrapped {
  node: Schema;
  description: string | undefined;
  optional: boolean;
  defaultValue?: unknown;
  hasDefault: boolean;
}

/** Looks through optional/default/nullable wrappers, keeping the outermost description. */
function unwrap(schema: Schema): Unwrapped {
  const out: Unwrapped = { node: schema, description: undefined, optional: false, hasDefault: false };
  for (let n = schema; ; ) {
    out.description ??= z.globalRegistry.get(n)?.description;
    const def = n._zod.def as Def;
    if (def.type === 'optional' || def.type === 'nullable') out.optional ||= def.type === 'optional';
    else if (def.type === 'default' || def.type === 'prefault') {
      out.hasDefault = true;
      out.defaultValue = def.defaultValue;
    } else {
      out.node = n;
      return out;
    }
    n = def.innerType as Schema;
  }
}

function walkObject(schema: Schema, prefix: string, rows: ReferenceRow[], seen: Map<unknown, string>): void {
  const shape = (schema._zod.def as unknown as z.core.$ZodObjectDef).shape;
  for (const [key, child] of Object.entries(shape)) walkKey(child, prefix ? `${prefix}.${key}` : key, rows, seen);
}

function walkKey(schema: Schema, path: string, rows: ReferenceRow[], seen: Map<unknown, string>): void {
  const u = unwrap(schema);
  const dflt = u.hasDefault ? formatValue(u.defaultValue) : u.optional ? '' : 'required';
  const row: ReferenceRow = { path, type: typeName(u.node), default: dflt, description: u.description ?? '' };
  rows.push(row);
  const children = nestedObjects(u.node, path);
  for (const c of children) {
    const already = seen.get(c.schema._zod.def);
    if (already !== undefined) {
      const note = c.path.endsWith('[]') ? `Each item has the keys of \`${already}\`.` : `Has the keys of \`${already}\`.`;
      row.description = row.description ? `${row.description} ${note}` : note;
      continue;
    }
    seen.set(c.schema._zod.def, c.path);
    walkObject(c.schema, c.path, rows, seen);
  }
}

/** The object schemas inside a key (directly, as list items, record values or union branches). */
function nestedObjects(node: Schema, path: string): { schema: Schema; path: string }[] {
  const def = node._zod.def as Def;
  switch (def.type) {
    case 'object':
      return [{ schema: node, path }];
    case 'array':
      return nestedObjects(unwrap(def.element as Schema).node, `${path}[]`);
    case 'record': {
      const value = unwrap(def.valueType as Schema).node;
      return (value._zod.def as Def).type === 'object' ? nestedObjects(value, `${path}.<name>`) : [];
    }
    case 'union':
      return (def.options as Schema[]).flatMap((o) => nestedObjects(unwrap(o).node, path));
    default:
      return [];
  }
}

function typeName(node: Schema): string {
  const named = NAMED_DEFS.get(node._zod.def);
  if (named) return named;
  const def = node._zod.def as Def;
  switch (def.type) {
    case 'string':
      return stringType(node);
    case 'number':
      return numberType(node);
    case 'boolean':
      return 'boolean';
    case 'literal':
      return (def.values as unknown[]).map((v) => formatValue(v)).join(' or ');
    case 'enum':
      return `one of ${Object.values(def.entries as Record<string, string>).map((v) => `\`${v}\``).join(', ')}`;
    case 'array':
      return listType(typeName(unwrap(def.element as Schema).node));
    case 'object':
      return 'map';
    case 'record': {
      const value = typeName(unwrap(def.valueType as Schema).node);
      return value === 'any' ? 'map' : `map of ${plural(value)}`;
    }
    case 'union':
      return unionType(def.options as Schema[]);
    case 'unknown':
    case 'any':
      return 'any';
    default:
      return def.type;
  }
}

function unionType(options: Schema[]): string {
  const names = options.map((o) => typeName(unwrap(o).node));
  // `false` last reads better: "map, or `false` (off)".
  const off = names.filter((n) => n === '`false`');
  const rest = names.filter((n) => n !== '`false`');
  return [...rest, ...off.map(() => '`false` (off)')].join(', or ');
}

/** The definitions of a schema's checks (`.regex()`, `.int()`, `.min()` ...). */
function checks(node: Schema): Record<string, unknown>[] {
  const list = ((node._zod.def as Def).checks ?? []) as z.core.$ZodCheck[];
  return list.map((c) => c._zod.def as unknown as Record<string, unknown>);
}

function stringType(node: Schema): string {
  const patterns = checks(node).flatMap((c) => (c.pattern instanceof RegExp ? [c.pattern.source] : []));
  for (const [re, name] of NAMED_PATTERNS) if (patterns.includes(re.source)) return name;
  return 'string';
}

function numberType(node: Schema): string {
  const defs = checks(node);
  const kind = defs.some((c) => c.check === 'number_format' && String(c.format).includes('int')) ? 'integer' : 'number';
  const bound = (check: string): number | undefined => defs.find((c) => c.check === check && c.inclusive === true)?.value as number | undefined;
  const min = bound('greater_than');
  const max = bound('less_than');
  if (min !== undefined && max !== undefined) return `${kind}, ${min} to ${max}`;
  if (min !== undefined) return `${kind}, at least ${min}`;
  if (max !== undefined) return `${kind}, at most ${max}`;
  return kind;
}

function listType(element: string): string {
  return element.startsWith('one of ') ? `list, each ${element}` : `list of ${plural(element)}`;
}

function plural(type: string): string {
  if (/^(map|string|integer|number|boolean|command|duration|date|name)\b/.test(type)) return type.replace(/^(\w+)/, '$1s');
  return type;
}

/** A default as it would be written in YAML flow style: `10s`, `[200]`, `{ url: sqlite:x }`. */
function formatValue(v: unknown): string {
  if (Array.isArray(v)) return `\`[${v.map(flow).join(', ')}]\``;
  return `\`${flow(v)}\``;
}

function flow(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(flow).join(', ')}]`;
  if (v && typeof v === 'object') return `{ ${Object.entries(v).map(([k, x]) => `${k}: ${flow(x)}`).join(', ')} }`;
  if (typeof v === 'string') return /^[\w./:@-]+$/.test(v) && !/^(true|false|null|[-+]?\d+(\.\d+)?)$/.test(v) ? v : JSON.stringify(v);
  return String(v);
}
