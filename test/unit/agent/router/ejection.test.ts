/** Ejection: which versions the table takes out of weighted routing, and what still reaches them. */
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../../../src/agent/contract.js';
import { chooseVersion } from '../../../../src/agent/router/choose.js';
import { Metrics } from '../../../../src/agent/router/metrics.js';
import { BackendTable } from '../../../../src/agent/router/table.js';

const metrics = new Metrics();

function backend(id: string, version: string, extra: Partial<Backend> = {}): Backend {
  return { id, version, host: '127.0.0.1', port: 2000 + Number(id.replace(/\D/g, '') || 0), ready: true, draining: false, ...extra };
}

function table(weights: Record<string, number>, backends: Backend[] = Object.keys(weights).map((v, i) => backend(`${v}-${i + 1}`, v))): BackendTable {
  const t = new BackendTable((v) => metrics.ring(v));
  t.set({ weights, backends });
  return t;
}

function picks(t: BackendTable, n: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const v = t.routing.byWeight()!.version;
    counts[v] = (counts[v] ?? 0) + 1;
  }
  return counts;
}

describe('BackendTable.eject', () => {
  it('takes a minority version out of weighted routing until it is readmitted', () => {
    const t = table({ v1: 95, v2: 5 });
    expect(t.eject('v2')).toBe(true);
    expect(t.isEjected('v2')).toBe(true);
    expect(picks(t, 100)).toEqual({ v1: 100 });
    expect(t.eject('v2')).toBe(false); // already out
    t.readmit('v2');
    expect(t.isEjected('v2')).toBe(false);
    expect(picks(t, 100)).toEqual({ v1: 95, v2: 5 });
  });

  it('never ejects the version that carries half the weight or more, nor one without weight', () => {
    expect(table({ v1: 95, v2: 5 }).eject('v1')).toBe(false);
    expect(table({ v1: 50, v2: 50 }).eject('v2')).toBe(false);
    expect(table({ v1: 100 }).eject('v1')).toBe(false);
    expect(table({ v1: 100, v2: 0 }).eject('v2')).toBe(false);
    expect(table({ v1: 100 }).eject('nope')).toBe(false);
  });

  it('counts only routable versions as the others: a stable version with no ready instance does not make the canary a minority', () => {
    const t = table({ v1: 95, v2: 5 }, [backend('a1', 'v1', { ready: false }), backend('b1', 'v2')]);
    expect(t.eject('v2')).toBe(false);
    expect(picks(t, 10)).toEqual({ v2: 10 });
  });

  it('routes to an ejected version again when nothing else is left to route to', () => {
    const t = table({ v1: 95, v2: 5 }, [backend('a1', 'v1'), backend('b1', 'v2')]);
    expect(t.eject('v2')).toBe(true);
    t.set({ weights: { v1: 95, v2: 5 }, backends: [backend('a1', 'v1', { ready: false }), backend('b1', 'v2')] });
    expect(t.isEjected('v2')).toBe(false); // not in effect while it is the only one
    expect(picks(t, 10)).toEqual({ v2: 10 });
    t.set({ weights: { v1: 95, v2: 5 }, backends: [backend('a1', 'v1'), backend('b1', 'v2')] });
    expect(t.isEjected('v2')).toBe(true); // back in effect: still out until readmitted
    expect(picks(t, 20)).toEqual({ v1: 20 });
  });

  it('forgets the ejection of a version that leaves the table', () => {
    const t = table({ v1: 90, v2: 10 });
    t.eject('v2');
    t.set({ weights: { v1: 100 }, backends: [backend('a1', 'v1')] });
    t.set({ weights: { v1: 90, v2: 10 }, backends: [backend('a1', 'v1'), backend('b1', 'v2')] });
    expect(t.isEjected('v2')).toBe(false);
  });

  it('the version header still reaches an ejected version; a sticky cookie for it does not', () => {
    const t = table({ v1: 90, v2: 10 });
    t.eject('v2');
    const opts = { stickyCookie: 'sg', versionHeader: true };
    expect(chooseVersion(t.routing, { version: 'v2', cookie: '', setCookie: '' }, opts)?.version).toBe('v2');
    const sticky = { version: '', cookie: 'sg=v2', setCookie: '' };
    expect(chooseVersion(t.routing, sticky, opts)?.version).toBe('v1');
    expect(sticky.setCookie).toBe('v1');
  });
});

describe('VersionRing.streak', () => {
  it('counts failed answers in a row; any other answer resets it', () => {
    const ring = new Metrics().ring('v1');
    ring.response(0, 500, 1);
    ring.connError(0);
    ring.response(0, 503, 1);
    expect(ring.streak).toBe(3);
    ring.response(0, 404, 1);
    expect(ring.streak).toBe(0);
    ring.response(0, 502, 1);
    expect(ring.streak).toBe(1);
  });
});
