import { environmentOverlay } from '../config/environments.js';
import { variableReferences, type KeyPath } from '../config/interpolate.js';
import { deepMerge, isPlainObject } from '../config/merge.js';
import { formatPath } from '../config/paths.js';
import { FLY_TOKEN_ENV } from '../config/schema/fly.js';
import { isSecretName, SECRET_KEY_RE } from '../runtime/secrets.js';

/**
 * Which secrets a config refers to, read from the document as written (before
 * interpolation), so it works on a machine where none of them is set.
 */

export const SECRET_SOURCES = ['env', 'file'] as const;
export type SecretSource = (typeof SECRET_SOURCES)[number];

export interface SecretReference {
  /** The variable (`env`), or the key path of a value written into the config file (`file`). */
  name: string;
  source: SecretSource;
  /** Key paths that use it (`provider.env.FLY_API_TOKEN`); `secrets` for a name only listed there; `provider` for the fly provider's FLY_API_TOKEN. */
  keys: string[];
  /** A `${NAME}` without a default somewhere: the config does not load without it (or, FLY_API_TOKEN, the fly provider does not deploy). */
  required: boolean;
  /** Defaults written as `${NAME:-default}`, and the value written into the file (`file`). */
  written: string[];
}

/** Values at these paths are secrets whatever their variables are called: connection URLs carry passwords, encryption keys are keys. */
function isSecretPath(path: KeyPath): boolean {
  const p = path.map(String);
  if (p.length === 2 && p[0] === 'store' && p[1] === 'url') return true;
  if (p[0] !== 'databases' || p.length < 3) return false;
  return (p.length === 3 && p[2] === 'url') || (p.length === 5 && p[2] === 'backup' && p[3] === 'encryption' && p[4] === 'key');
}

/** The document as an environment sees it: the base with the environment's block merged over it. */
export function mergedFor(doc: Record<string, unknown>, environment: string): Record<string, unknown> {
  const { environments: _e, ...base } = doc;
  return deepMerge(base, environmentOverlay(doc, environment).overlay).value as Record<string, unknown>;
}

/** Pure: every secret the config refers to under `environment`, in order of first use. */
export function secretReferences(doc: Record<string, unknown>, environment: string): SecretReference[] {
  const merged = mergedFor(doc, environment);
  const listed = new Set(Array.isArray(merged.secrets) ? merged.secrets.filter((n): n is string => typeof n === 'string') : []);
  const refs = new Map<string, SecretReference>();
  const add = (name: string, source: SecretSource, key: string, required: boolean, written?: string): void => {
    const ref = refs.get(`${source}:${name}`) ?? { name, source, keys: [], required: false, written: [] };
    refs.set(`${source}:${name}`, ref);
    if (!ref.keys.includes(key)) ref.keys.push(key);
    ref.required ||= required;
    if (written !== undefined && !ref.written.includes(written)) ref.written.push(written);
  };
  const visit = (s: string, path: KeyPath): void => {
    const key = formatPath(path);
    const secretKey = SECRET_KEY_RE.test(String(path.at(-1) ?? '')) || isSecretPath(path);
    const vars = variableReferences(s);
    for (const v of vars) if (secretKey || isSecretName(v.name) || listed.has(v.name)) add(v.name, 'env', key, v.fallback === undefined, v.fallback);
    if (vars.length === 0 && SECRET_KEY_RE.test(String(path.at(-1) ?? '')) && s !== '') add(key, 'file', key, true, s);
  };
  const walk = (v: unknown, path: KeyPath): void => {
    if (typeof v === 'string') visit(v, path);
    else if (Array.isArray(v)) v.forEach((item, i) => walk(item, [...path, i]));
    else if (isPlainObject(v)) for (const [k, item] of Object.entries(v)) if (!(path.length === 0 && k === 'secrets')) walk(item, [...path, k]);
  };
  // The fly provider reads its token from the environment itself, with no `${VAR}` in the config.
  if (isPlainObject(merged.provider) && merged.provider.type === 'fly') add(FLY_TOKEN_ENV, 'env', 'provider', true);
  walk(merged, []);
  for (const name of listed) if (!refs.has(`env:${name}`)) add(name, 'env', 'secrets', false);
  return [...refs.values()];
}
