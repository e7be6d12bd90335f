/**
 * The backends behind the routing table. `set` swaps the table in one
 * synchronous step (requests already on their way keep their instance).
 * An instance that leaves the table, or that the table marks draining, gets
 * no new requests and its pool closes gracefully: in-flight requests finish,
 * idle keep-alive sockets close. `drain(id)` does the same on demand and is
 * final for that id while the table still lists it (a stale table from a
 * concurrent update cannot bring a draining instance back).
 *
 * Ejection: a version whose answers fail again and again (see router.ts) is
 * taken out of weighted routing for a while, but only while it carries less
 * weight than the other routable versions together: a failing canary loses
 * its traffic at once, stable never does. The version header still reaches it.
 */
import type { Backend, RoutingTable } from '../contract.js';
import { BackendState } from './backend.js';
import type { VersionRing } from './metrics.js';
import { Routing } from './routing.js';

export class BackendTable {
  routing: Routing;
  /** Called with the new routing after every change. */
  onChange: (routing: Routing) => void = () => undefined;
  private weights: Record<string, number> = {};
  private active = new Map<string, BackendState>();
  /** Removed or replaced backends with requests still in flight. */
  private readonly leaving = new Set<BackendState>();
  private readonly ejected = new Set<string>();

  constructor(private readonly ringOf: (version: string) => VersionRing) {
    this.routing = new Routing({}, [], ringOf);
  }

  set(table: RoutingTable): void {
    validateTable(table);
    const next = new Map<string, BackendState>();
    for (const b of table.backends) next.set(b.id, this.update(b));
    for (const [id, old] of this.active) if (next.get(id) !== old) this.retire(old);
    this.active = next;
    this.weights = { ...table.weights };
    for (const version of this.ejected) if (!(version in this.weights)) this.ejected.delete(version);
    this.rebuild();
  }

  /** The state for `b`: the current one updated, or a new one when the instance changed. */
  private update(b: Backend): BackendState {
    const old = this.active.get(b.id);
    if (old === undefined || !old.sameAs(b)) return new BackendState(b);
    const wasDraining = old.draining;
    old.ready = b.ready;
    old.draining = b.draining;
    if (b.draining && !wasDraining) void old.closePool();
    return old;
  }

  private retire(state: BackendState): void {
    state.retired = true;
    if (state.inFlight > 0) {
      this.leaving.add(state);
      void state.whenIdle(Infinity).then(() => this.leaving.delete(state));
    }
    void state.closePool();
  }

  private rebuild(): void {
    this.routing = new Routing(this.weights, this.active.values(), this.ringOf, this.routing, this.ejected);
    this.onChange(this.routing);
  }

  /**
   * Takes `version` out of weighted routing when it is a routable minority
   * (less weight than the other routable versions together); true when it did.
   */
  eject(version: string): boolean {
    const route = this.routing.versions.get(version);
    if (this.ejected.has(version) || route === undefined || !this.routing.routable(route)) return false;
    let others = 0;
    for (const v of this.routing.versions.values()) if (v !== route && this.routing.routable(v)) others += v.weight;
    if (route.weight >= others) return false;
    this.ejected.add(version);
    this.rebuild();
    return true;
  }

  /** Weighted routing may send to `version` again. */
  readmit(version: string): void {
    if (this.ejected.delete(version)) this.rebuild();
  }

  isEjected(version: string): boolean {
    return this.routing.ejected.has(version);
  }

  /** The table as set, with instances the router drains shown as draining. */
  table(): RoutingTable {
    const backends = [...this.active.values()].map((s) => ({ id: s.id, version: s.version, host: s.host, port: s.port, ready: s.ready, draining: s.draining || s.retired }));
    return { weights: { ...this.weights }, backends };
  }

  async drain(id: string, timeoutMs: number): Promise<void> {
    const state = this.active.get(id);
    if (state === undefined) return this.waitLeaving(id, timeoutMs);
    if (!state.retired) {
      state.retired = true;
      this.rebuild();
    }
    await state.whenIdle(timeoutMs);
    if (state.inFlight === 0) await state.closePool();
    else void state.closePool(); // timed out: the stragglers may still finish
  }

  private async waitLeaving(id: string, timeoutMs: number): Promise<void> {
    await Promise.all([...this.leaving].filter((s) => s.id === id).map((s) => s.whenIdle(timeoutMs)));
  }

  inFlight(id: string): number {
    let n = this.active.get(id)?.inFlight ?? 0;
    for (const s of this.leaving) if (s.id === id) n += s.inFlight;
    return n;
  }

  async destroy(): Promise<void> {
    const all = [...this.active.values(), ...this.leaving];
    for (const s of all) s.retired = true;
    this.rebuild();
    await Promise.all(all.map((s) => s.destroyPool()));
  }
}

function validateTable(table: RoutingTable): void {
  for (const [version, weight] of Object.entries(table.weights)) {
    if (!Number.isFinite(weight) || weight < 0) throw new TypeError(`routing table: weights.${version}: expected a number >= 0 (got ${weight})`);
  }
  const ids = new Set<string>();
  for (const b of table.backends) {
    if (ids.has(b.id)) throw new TypeError(`routing table: backend id "${b.id}" appears twice`);
    ids.add(b.id);
  }
}
