/**
 * The routing decision, rebuilt whenever the table, a backend's availability
 * or an ejection changes: per version its weight and available backends, and
 * the smooth weighted round-robin between versions that have both and are not
 * ejected (see table.ts). Picking is pure bookkeeping over these arrays; no I/O.
 */
import type { BackendState } from './backend.js';
import type { VersionReadiness } from './errors.js';
import type { VersionRing } from './metrics.js';
import { SmoothWeighted } from './weighted.js';

export interface VersionRoute {
  readonly version: string;
  readonly weight: number;
  readonly backends: readonly BackendState[];
  /** Ready, non-draining backends. */
  readonly available: readonly BackendState[];
  /** Round-robin position within `available`. */
  cursor: number;
  /** Where this version's figures go. */
  readonly ring: VersionRing;
}

export class Routing {
  readonly versions: ReadonlyMap<string, VersionRoute>;
  readonly picker: SmoothWeighted<VersionRoute>;
  /** `version:weight,...` of the picker's entries: a rebuild with the same key keeps the picker's place. */
  readonly pickerKey: string;

  /** Versions weighted routing skips for now (they failed again and again; see BackendTable.eject). */
  readonly ejected: ReadonlySet<string>;

  constructor(
    weights: Readonly<Record<string, number>>,
    backends: Iterable<BackendState>,
    ringOf: (version: string) => VersionRing,
    previous?: Routing,
    ejected: ReadonlySet<string> = new Set(),
  ) {
    const byVersion = new Map<string, BackendState[]>();
    for (const b of backends) {
      const list = byVersion.get(b.version);
      if (list) list.push(b);
      else byVersion.set(b.version, [b]);
    }
    const versions = new Map<string, VersionRoute>();
    for (const version of new Set([...Object.keys(weights), ...byVersion.keys()])) {
      const all = byVersion.get(version) ?? [];
      const before = previous?.versions.get(version);
      versions.set(version, { version, weight: weights[version] ?? 0, backends: all, available: all.filter((b) => b.available), cursor: before?.cursor ?? 0, ring: ringOf(version) });
    }
    this.versions = versions;
    const routable = [...versions.values()].filter((v) => v.weight > 0 && v.available.length > 0);
    const kept = routable.filter((v) => !ejected.has(v.version));
    // Ejection never leaves nothing to route to: with no other version left, the ejected ones serve again.
    this.ejected = kept.length > 0 ? ejected : new Set();
    const entries = (kept.length > 0 ? kept : routable).map((v) => [v, v.weight] as const);
    this.pickerKey = entries.map(([v, w]) => `${v.version}:${w}`).join(',');
    this.picker = previous !== undefined && previous.pickerKey === this.pickerKey ? rebind(previous.picker, versions) : new SmoothWeighted(entries);
  }

  /** Weighted routing may send to `route` (it has a weight and an instance, and is not ejected). */
  routable(route: VersionRoute): boolean {
    return route.weight > 0 && route.available.length > 0 && !this.ejected.has(route.version);
  }

  /** The next version by weight, among versions with an available backend. */
  byWeight(): VersionRoute | undefined {
    return this.picker.next();
  }

  /** Versions with a weight, and how many of their instances are ready (for 503 bodies). */
  readiness(): VersionReadiness[] {
    return [...this.versions.values()].filter((v) => v.weight > 0).map((v) => ({ version: v.version, ready: v.available.length, total: v.backends.length }));
  }
}

/** The previous picker's scores, pointing at the new routes of the same versions. */
function rebind(picker: SmoothWeighted<VersionRoute>, versions: ReadonlyMap<string, VersionRoute>): SmoothWeighted<VersionRoute> {
  return picker.map((old) => versions.get(old.version)!);
}

/**
 * An available backend of `route`: the one with the fewest requests in flight,
 * ties broken round-robin; never `exclude` (the one a retry moves away from).
 */
export function pickBackend(route: VersionRoute, exclude: BackendState | null): BackendState | null {
  const list = route.available;
  const n = list.length;
  let best: BackendState | null = null;
  let bestAt = 0;
  for (let i = 0, at = route.cursor < n ? route.cursor : 0; i < n; i++, at = at + 1 === n ? 0 : at + 1) {
    const b = list[at]!;
    if (b === exclude || !b.available) continue;
    if (best === null || b.inFlight < best.inFlight) {
      best = b;
      bestAt = at;
    }
  }
  if (best !== null) route.cursor = bestAt + 1 === n ? 0 : bestAt + 1;
  return best;
}
