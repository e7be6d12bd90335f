import { SECRET_KEY_RE, isSecretName } from '../runtime/secrets.js';

/**
 * `${VAR}` and `${VAR:-default}` in string values are read from the environment.
 * `$${` writes a literal `${`. A missing variable is an error naming the key path,
 * and so is any other `${...}` (`${A-B}`, `${}`, `${1BAD}`, an unclosed `${`):
 * passed through as text, a typo would reach a script or a URL unnoticed.
 */

/** `$${`, or `${` with what follows up to the first `}` (group 1), or an unclosed `${`. */
const REF_RE = /\$\$\{|\$\{([^}]*)\}|\$\{/g;
const INNER_RE = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;
const QUOTED_MAX = 40;
const SYNTAX = 'expected ${NAME} or ${NAME:-default}, NAME made of letters, digits and "_" and not starting with a digit; $${ writes a literal "${"';

export type KeyPath = (string | number)[];

export interface InterpolationIssue {
  path: KeyPath;
  message: string;
}

export interface InterpolationResult {
  value: unknown;
  /** One per missing variable, at the key path where it is used. */
  errors: InterpolationIssue[];
  /** Values that must be masked: interpolated secrets and literal values at secret keys. */
  secrets: string[];
}

export function interpolate(value: unknown, env: NodeJS.ProcessEnv, extraSecretNames: ReadonlySet<string> = new Set()): InterpolationResult {
  const errors: InterpolationIssue[] = [];
  const secrets: string[] = [];
  const walk = (v: unknown, path: KeyPath): unknown => {
    if (typeof v === 'string') return interpolateString(v, path);
    if (Array.isArray(v)) return v.map((item, i) => walk(item, [...path, i]));
    // fromEntries defines own properties, so a `__proto__` key stays a key.
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, walk(item, [...path, k])]));
    return v;
  };
  const interpolateString = (s: string, path: KeyPath): string => {
    const key = String(path[path.length - 1] ?? '');
    const out = s.replace(REF_RE, (whole: string, inner: string | undefined) => {
      if (whole === '$${') return '${';
      const ref = inner === undefined ? null : INNER_RE.exec(inner);
      if (!ref) {
        errors.push({ path, message: inner === undefined ? `"\${" is never closed (${SYNTAX})` : `"${shorten(whole)}" is not a variable reference (${SYNTAX})` });
        return '';
      }
      const [, name, fallback] = ref;
      const found = lookup(env, name!);
      const value = found !== undefined && found !== '' ? found : fallback;
      if (value === undefined) {
        errors.push({ path, message: `environment variable ${name} is ${found === '' ? 'empty' : 'not set'} (used as \${${name}})` });
        return '';
      }
      if (found !== undefined && (isSecretName(name!) || extraSecretNames.has(name!) || SECRET_KEY_RE.test(key))) {
        secrets.push(value);
      }
      return value;
    });
    if (SECRET_KEY_RE.test(key)) secrets.push(out);
    return out;
  };
  return { value: walk(value, []), errors, secrets };
}

/** The well-formed `${NAME}` and `${NAME:-default}` references in `s` (`$${` and bad ones are left out). */
export function variableReferences(s: string): { name: string; fallback: string | undefined }[] {
  const out: { name: string; fallback: string | undefined }[] = [];
  for (const m of s.matchAll(REF_RE)) {
    const ref = m[0] === '$${' || m[1] === undefined ? null : INNER_RE.exec(m[1]);
    if (ref) out.push({ name: ref[1]!, fallback: ref[2] });
  }
  return out;
}

/** What a message quotes of a bad reference. */
function shorten(text: string): string {
  return text.length > QUOTED_MAX ? `${text.slice(0, QUOTED_MAX - 2)}…}` : text;
}

/** Own string values only: `${constructor}` is a missing variable, not Object. */
export function lookup(env: NodeJS.ProcessEnv, name: string): string | undefined {
  if (!Object.hasOwn(env, name)) return undefined;
  const value = env[name];
  return typeof value === 'string' ? value : undefined;
}
