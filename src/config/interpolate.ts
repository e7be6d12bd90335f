import { SECRET_KEY_RE, SECRET_NAME_RE } from '../runtime/secrets.js';
import { formatPath } from './paths.js';

/**
 * `${VAR}` and `${VAR:-default}` in string values are read from the environment.
 * `$${` writes a literal `${`. A missing variable is an error naming the key path.
 */

const REF_RE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export interface InterpolationResult {
  value: unknown;
  errors: string[];
  /** Values that must be masked: interpolated secrets and literal values at secret keys. */
  secrets: string[];
}

export function interpolate(value: unknown, env: NodeJS.ProcessEnv, extraSecretNames: ReadonlySet<string> = new Set()): InterpolationResult {
  const errors: string[] = [];
  const secrets: string[] = [];
  const walk = (v: unknown, path: (string | number)[]): unknown => {
    if (typeof v === 'string') return interpolateString(v, path);
    if (Array.isArray(v)) return v.map((item, i) => walk(item, [...path, i]));
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v)) out[k] = walk(item, [...path, k]);
      return out;
    }
    return v;
  };
  const interpolateString = (s: string, path: (string | number)[]): string => {
    const key = String(path[path.length - 1] ?? '');
    const out = s.replace(REF_RE, (whole, name: string | undefined, fallback: string | undefined) => {
      if (whole === '$${') return '${';
      const found = env[name!];
      const value = found !== undefined && found !== '' ? found : fallback;
      if (value === undefined) {
        errors.push(`${formatPath(path)}: environment variable ${name} is not set (used as \${${name}})`);
        return '';
      }
      if (found !== undefined && (SECRET_NAME_RE.test(name!) || extraSecretNames.has(name!) || SECRET_KEY_RE.test(key))) {
        secrets.push(value);
      }
      return value;
    });
    if (SECRET_KEY_RE.test(key)) secrets.push(out);
    return out;
  };
  return { value: walk(value, []), errors, secrets };
}
