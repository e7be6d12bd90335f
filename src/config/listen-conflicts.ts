import { DEFAULT_LISTEN, LISTEN_RE } from './schema/local.js';
import { environmentNames, environmentOverlay } from './environments.js';
import { interpolate, type KeyPath } from './interpolate.js';
import { deepMerge, isPlainObject } from './merge.js';
import { formatPath } from './paths.js';

/**
 * Each environment of a project has an agent of its own (`.shipgate/agent/<env>/`),
 * and so a router of its own. Two routers (or TCP control ports) on one address
 * cannot both listen; worse, before per-environment agents, two environments
 * shared one weight table. So the config is refused, naming both key paths.
 */

/** Where one environment's agent would listen. */
export interface ListenClaim {
  environment: string;
  what: 'router' | 'control API';
  /** The address, interpolated. */
  address: string;
  /** Where it is written (`environments.<env>.provider.listen`, `provider.listen`, or the default's path). */
  path: KeyPath;
  /** Not written anywhere: the default. */
  isDefault: boolean;
}

const WILDCARD_HOSTS = new Set(['', '0.0.0.0', '::', '[::]']);
const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/** Pure: could two `host:port` addresses not both be bound? Same port, and the same host, a wildcard, or `localhost` against a loopback address. */
export function addressesOverlap(a: string, b: string): boolean {
  const ma = LISTEN_RE.exec(a);
  const mb = LISTEN_RE.exec(b);
  if (!ma || !mb || Number(ma[2]) !== Number(mb[2])) return false;
  const [ha, hb] = [ma[1]!.toLowerCase(), mb[1]!.toLowerCase()];
  if (ha === hb || WILDCARD_HOSTS.has(ha) || WILDCARD_HOSTS.has(hb)) return true;
  return (ha === 'localhost' || hb === 'localhost') && LOOPBACK_NAMES.has(ha) && LOOPBACK_NAMES.has(hb);
}

/** The router and control addresses of one environment's local provider, read from the raw document. */
export function listenClaims(doc: Record<string, unknown>, environment: string, env: NodeJS.ProcessEnv): ListenClaim[] {
  const base = isPlainObject(doc.provider) ? doc.provider : {};
  const overlayBlock = environmentOverlay(doc, environment).overlay.provider;
  const overlay = isPlainObject(overlayBlock) ? overlayBlock : {};
  const provider = deepMerge(base, overlay).value as Record<string, unknown>;
  if (provider.type !== 'local') return [];
  const claims: ListenClaim[] = [];
  const router = claimAt(environment, 'router', ['listen'], base, overlay, env);
  claims.push(router ?? { environment, what: 'router', address: DEFAULT_LISTEN, path: ['provider', 'listen'], isDefault: true });
  const control = claimAt(environment, 'control API', ['control', 'listen'], base, overlay, env);
  if (control) claims.push(control);
  return claims;
}

function claimAt(environment: string, what: ListenClaim['what'], keys: string[], base: Record<string, unknown>, overlay: Record<string, unknown>, env: NodeJS.ProcessEnv): ListenClaim | null {
  const fromOverlay = dig(overlay, keys);
  const raw = fromOverlay ?? dig(base, keys);
  if (typeof raw !== 'string') return null;
  const { value, errors } = interpolate(raw, env);
  // A variable that is not set, or an address that is not one, is reported where it is written.
  if (errors.length > 0 || typeof value !== 'string' || !LISTEN_RE.test(value)) return null;
  const path = fromOverlay !== undefined ? ['environments', environment, 'provider', ...keys] : ['provider', ...keys];
  return { environment, what, address: value, path, isDefault: false };
}

function dig(obj: Record<string, unknown>, keys: string[]): unknown {
  let v: unknown = obj;
  for (const k of keys) v = isPlainObject(v) && Object.hasOwn(v, k) ? v[k] : undefined;
  return v;
}

/** Pure: error lines (`path: message`) for every claim of `environment` that another claim overlaps. */
export function describeListenConflicts(claims: readonly ListenClaim[], environment: string): string[] {
  const mine = claims.filter((c) => c.environment === environment);
  return mine.flatMap((c) =>
    claims
      .filter((o) => o !== c && addressesOverlap(c.address, o.address))
      .map((o) => `${formatPath(c.path)}: ${describeClaim(c)} and ${describeClaim(o)} would listen on the same address; each environment has an agent and a router of its own: give each its own address (environments.<name>.provider.listen)`),
  );
}

function describeClaim(c: ListenClaim): string {
  const where = c.isDefault ? `the default ${formatPath(c.path)}` : formatPath(c.path);
  return `the ${c.what} of environment "${c.environment}" (${c.address}, ${where})`;
}

/** Error lines for `environment` against every environment of the document (itself included: router against control API). */
export function listenConflicts(doc: Record<string, unknown>, environment: string, env: NodeJS.ProcessEnv): string[] {
  const claims = environmentNames(doc).flatMap((name) => listenClaims(doc, name, env));
  return describeListenConflicts(claims, environment);
}
