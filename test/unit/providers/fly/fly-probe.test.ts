import { describe, expect, it } from 'vitest';
import { FlyProviderSchema, RolloutSchema } from '../../../../src/config/schema/index.js';
import type { FlyMachine } from '../../../../src/providers/fly/client.js';
import { directProbeFor, directProbeRequest, directProbeSkipped, FORCE_INSTANCE_HEADER, machineProbe, probeMachine } from '../../../../src/providers/fly/probe.js';
import { watchStep } from '../../../../src/providers/fly/watch.js';
import type { Evaluation, InstanceProbe } from '../../../../src/rollout/contract.js';
import { FakeClock } from '../../../../src/runtime/clock.js';
import { HttpError, type HttpClient, type HttpRequest } from '../../../../src/runtime/http.js';

const HEALTH = { url: 'https://hotdash.fly.dev/health', timeout: '2s' };
const fly = (extra: Record<string, unknown> = {}) => FlyProviderSchema.parse({ type: 'fly', app: 'hotdash', regions: ['ams'], strategy: 'canary', health: HEALTH, ...extra });
const machine = (id: string, version = 'v2.0.0'): FlyMachine => ({ id, state: 'started', config: { image: `img:${version}`, metadata: { shipgate_version: version } } });

/** An HTTP client answering by machine id (the header) and URL; records every request. */
function edge(answer: (req: HttpRequest) => number | Error): HttpClient & { seen: HttpRequest[] } {
  const seen: HttpRequest[] = [];
  const http = async (req: HttpRequest) => {
    seen.push(req);
    const a = answer(req);
    if (a instanceof Error) throw a;
    return { status: a, headers: {}, body: '', ms: 12.4 };
  };
  return Object.assign(http, { seen });
}

describe('direct probe of a Fly.io machine: the request and its verdict (pure)', () => {
  it('the request is a GET of the health URL with fly-force-instance-id naming the machine, and the timeout', () => {
    expect(FORCE_INSTANCE_HEADER).toBe('fly-force-instance-id');
    expect(directProbeRequest('https://hotdash.fly.dev/health', '3d8d413b29d089', 2000)).toEqual({
      method: 'GET',
      url: 'https://hotdash.fly.dev/health',
      headers: { 'fly-force-instance-id': '3d8d413b29d089' },
      timeoutMs: 2000,
    });
  });

  it('2xx and 3xx pass; any other status fails the machine, naming the URL and what was expected', () => {
    expect(machineProbe('m1', 'v2.0.0', 'https://hotdash.fly.dev/health', { status: 200, ms: 12.4 })).toEqual({ instanceId: 'm1', version: 'v2.0.0', ok: true, status: 200, ms: 12, reason: 'direct probe: HTTP 200 from https://hotdash.fly.dev/health' });
    expect(machineProbe('m1', 'v2.0.0', 'https://hotdash.fly.dev/health', { status: 302, ms: 3 }).ok).toBe(true);
    expect(machineProbe('m1', 'v2.0.0', 'https://hotdash.fly.dev/health', { status: 500, ms: 7 })).toEqual({
      instanceId: 'm1',
      version: 'v2.0.0',
      ok: false,
      status: 500,
      ms: 7,
      reason: 'direct probe: HTTP 500 from https://hotdash.fly.dev/health (expected 2xx or 3xx)',
    });
    expect(machineProbe('m1', 'v2.0.0', 'https://hotdash.fly.dev/health', { status: 200, ms: 7 }, [204]).reason).toBe('direct probe: HTTP 200 from https://hotdash.fly.dev/health (expected one of 204)');
  });

  it('no answer in time fails the machine with why; credentials and query never reach the reason', () => {
    expect(machineProbe('m1', 'v2.0.0', 'https://u:pw@hotdash.fly.dev/health?token=s3cret', { error: 'no answer within 2000ms', ms: 2000 })).toEqual({
      instanceId: 'm1',
      version: 'v2.0.0',
      ok: false,
      status: null,
      ms: 2000,
      reason: 'direct probe: no answer from https://hotdash.fly.dev/health: no answer within 2000ms',
    });
  });

  it('is skipped without provider.health, and for blue-green (green is cordoned while watched: the proxy routes nothing to it)', () => {
    expect(directProbeSkipped(fly())).toBeNull();
    expect(directProbeSkipped(fly({ health: undefined }))).toBe("no direct probe of the new machines: provider.health.url is not set (the probe sends it to each machine through Fly's proxy)");
    expect(directProbeSkipped(fly({ strategy: 'bluegreen' }))).toBe("no direct probe of the green machines: they are cordoned while watched, and Fly's proxy routes no request to a cordoned machine");
    const deps = { http: edge(() => 200), clock: new FakeClock(0) };
    expect(directProbeFor(fly({ health: undefined }), 'v2.0.0', deps)).toBeNull();
    expect(directProbeFor(fly({ strategy: 'bluegreen' }), 'v2.0.0', deps)).toBeNull();
  });
});

describe('direct probe of Fly.io machines through an injected HTTP client', () => {
  it('one request per machine, each forced to its machine with the health timeout; each machine gets its own verdict', async () => {
    const http = edge((req) => (req.headers?.[FORCE_INSTANCE_HEADER] === 'm2' ? 500 : 200));
    const probe = directProbeFor(fly(), 'v2.0.0', { http, clock: new FakeClock(0) })!;
    const probes = await probe([machine('m1'), machine('m2')]);
    expect(probes.map((p) => [p.instanceId, p.version, p.ok, p.status])).toEqual([
      ['m1', 'v2.0.0', true, 200],
      ['m2', 'v2.0.0', false, 500],
    ]);
    expect(http.seen.map((r) => [r.method, r.url, r.headers, r.timeoutMs])).toEqual([
      ['GET', 'https://hotdash.fly.dev/health', { 'fly-force-instance-id': 'm1' }, 2000],
      ['GET', 'https://hotdash.fly.dev/health', { 'fly-force-instance-id': 'm2' }, 2000],
    ]);
  });

  it('tries fallbackUrl when url fails; both failing name both', async () => {
    const target = fly({ health: { ...HEALTH, fallbackUrl: 'https://hotdash.fly.dev/' } }).health!;
    const clock = new FakeClock(0);
    const ok = await probeMachine(machine('m1'), 'v2.0.0', target, { http: edge((req) => (req.url.endsWith('/health') ? 404 : 200)), clock });
    expect([ok.ok, ok.status, ok.reason]).toEqual([true, 200, 'direct probe: HTTP 200 from https://hotdash.fly.dev/']);
    const bad = await probeMachine(machine('m1'), 'v2.0.0', target, { http: edge((req) => (req.url.endsWith('/health') ? 404 : 503)), clock });
    expect(bad.reason).toBe('direct probe: HTTP 404 from https://hotdash.fly.dev/health (expected 2xx or 3xx); then HTTP 503 from https://hotdash.fly.dev/ (expected 2xx or 3xx)');
  });

  it('a timeout fails the machine (ms from the injected clock); an abort (the deploy stopping) is not a verdict', async () => {
    const clock = new FakeClock(0);
    const slow: HttpClient = async (req) => {
      await clock.advance(req.timeoutMs);
      throw new HttpError(`no answer within ${req.timeoutMs}ms`, 'timeout');
    };
    const p = await probeMachine(machine('m1'), 'v2.0.0', fly().health!, { http: slow, clock });
    expect(p).toEqual({ instanceId: 'm1', version: 'v2.0.0', ok: false, status: null, ms: 2000, reason: 'direct probe: no answer from https://hotdash.fly.dev/health: no answer within 2000ms' });
    const aborted = edge(() => new HttpError('request aborted', 'aborted'));
    await expect(probeMachine(machine('m1'), 'v2.0.0', fly().health!, { http: aborted, clock })).rejects.toThrow('request aborted');
  });
});

describe('watchStep: the direct probe joins the checks as probes of the window', () => {
  const run = async (analysisProbe: boolean, direct: (ms: FlyMachine[]) => Promise<InstanceProbe[]>): Promise<{ evaluations: Evaluation[]; failure: string | null; asked: number }> => {
    const clock = new FakeClock(0);
    const analysis = RolloutSchema.parse({ analysis: { interval: '10s', failureLimit: 1, minRequests: 1, probe: analysisProbe } }).analysis;
    let asked = 0;
    const probe = async (ms: FlyMachine[]) => {
      asked++;
      return direct(ms);
    };
    const watching = watchStep('canary', 'v2.0.0', 20_000, { clock, analysis, metrics: null, machines: async () => [machine('m1')], probe, tick: async () => undefined, onEvaluation: async () => undefined });
    for (let i = 0; i < 5; i++) await clock.advance(10_000);
    return { ...(await watching), asked };
  };
  const answer = (ok: boolean) => async (ms: FlyMachine[]) => ms.map((m) => machineProbe(m.id, 'v2.0.0', 'https://hotdash.fly.dev/health', { status: ok ? 200 : 500, ms: 5 }));

  it('a machine answering 500 fails the window while its checks pass; the reason names the direct probe', async () => {
    const r = await run(true, answer(false));
    expect(r.evaluations[0]!.probes.map((p) => [p.instanceId, p.ok, p.reason])).toEqual([
      ['m1', true, 'all checks passing'],
      ['m1', false, 'direct probe: HTTP 500 from https://hotdash.fly.dev/health (expected 2xx or 3xx)'],
    ]);
    expect(r.failure).toBe('analysis failed 1 times (failureLimit 1), last in step canary: probe of instance m1 (v2.0.0) failed: direct probe: HTTP 500 from https://hotdash.fly.dev/health (expected 2xx or 3xx)');
  });

  it('passing probes are kept in the evaluations; analysis.probe: false turns the direct probe off with the checks', async () => {
    const ok = await run(true, answer(true));
    expect(ok.failure).toBeNull();
    expect(ok.evaluations.length).toBeGreaterThan(0);
    for (const e of ok.evaluations) expect(e.probes.map((p) => [p.ok, p.status])).toEqual([[true, null], [true, 200]]);
    const off = await run(false, answer(false));
    expect(off.failure).toBeNull();
    expect(off.asked).toBe(0);
    expect(off.evaluations.every((e) => e.probes.length === 0)).toBe(true);
  });
});
