/*
 * What each provider type can do, as the CLI needs to know it before it loads
 * the provider (read-only commands start fast). A rollout composes the
 * capabilities in rollout/contract.ts; a provider that lacks one says so here,
 * with what to do instead. Light on purpose: no imports.
 */

export interface ProviderCapabilities {
  /**
   * How a running rollout is steered (`shipgate promote|abort|pause|resume`):
   * `agent`, through the local agent's control socket; `store`, through the
   * deployment's journal in the store, which the deploy process reads; null: none.
   */
  session: 'agent' | 'store' | null;
  /** How traffic is split: by any weight, or only by instance counts. */
  split: 'percent' | 'count' | null;
  /** Where a rollout's figures come from. */
  metrics: 'router' | 'prometheus' | null;
  /** Where `shipgate logs` reads instance output: files this host keeps, or nothing it can read. */
  logs: 'files' | null;
}

export const CAPABILITIES: Record<string, ProviderCapabilities> = {
  local: { session: 'agent', split: 'percent', metrics: 'router', logs: 'files' },
  fly: { session: 'store', split: 'count', metrics: 'prometheus', logs: null },
  command: { session: null, split: null, metrics: null, logs: null },
};

/** The capabilities of `type` (a config without a provider is a local one by default). */
export function capabilitiesOf(type: string | null): ProviderCapabilities {
  return CAPABILITIES[type ?? 'local'] ?? CAPABILITIES.command!;
}

/** What to do instead, per provider type, when it lacks a capability a command needs. */
const INSTEAD: Record<string, Partial<Record<keyof ProviderCapabilities, string>>> = {
  command: {
    session: 'its scripts switch all at once; stop a deploy in progress with Ctrl-C, which undoes it',
    logs: 'read them where your scripts send them',
  },
  fly: {
    logs: 'Fly.io keeps them: `flyctl logs -a APP` (or its log shipper)',
  },
};

/** A clear refusal: `provider type fly has no instance logs on this host (…): …`. */
export function lacking(type: string | null, capability: keyof ProviderCapabilities, what: string): string {
  const name = type ?? 'local';
  const instead = INSTEAD[name]?.[capability];
  const having = Object.entries(CAPABILITIES)
    .filter(([, c]) => c[capability] !== null)
    .map(([t]) => t)
    .join(' and ');
  return `provider type ${name} has ${what}${having ? ` (provider type ${having} ${having.includes(' and ') ? 'have' : 'has'})` : ''}${instead ? `: ${instead}` : ''}`;
}
