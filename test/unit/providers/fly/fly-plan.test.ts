import { describe, expect, it } from 'vitest';
import { FlyProviderSchema, RolloutSchema } from '../../../../src/config/schema/index.js';
import { planFly } from '../../../../src/providers/fly/plan.js';
import { networkRetryDelay, retryAfterMs, retryDelay, MAX_FLY_ATTEMPTS } from '../../../../src/providers/fly/retry.js';
import { appMachines, batchSize, imageFor, machineConfig, majorityVersion, releaseMachineConfig, targetCount } from '../../../../src/providers/fly/machine-config.js';
import { exitCodeOf } from '../../../../src/providers/fly/release.js';
import { queryFor, sampleValue } from '../../../../src/providers/fly/prometheus.js';
import { checkProbes } from '../../../../src/providers/fly/watch.js';
import type { FlyMachine } from '../../../../src/providers/fly/client.js';

const rollout = RolloutSchema.parse({ steps: [{ weight: 5, pause: '1m' }, { weight: 50, pause: '2m' }, { weight: 100, pause: '0s' }], pause: '30s' });
const fly = FlyProviderSchema.parse({ type: 'fly', app: 'hotdash', regions: ['ams'] });
const NOW = Date.parse('2026-12-03T12:00:00Z');

const machine = (id: string, version: string | null, extra: Partial<FlyMachine> = {}): FlyMachine => ({ id, state: 'started', config: { image: `img:${version}`, metadata: version ? { shipgate_version: version } : {} }, ...extra });

describe('planFly: strategies as machine counts', () => {
  it('canary: 5/50/100 on 4 machines become 1, 2, 4 machines; the steps carry the weights reached', () => {
    const plan = planFly('canary', rollout, 4, 1, false);
    expect(plan.steps.map((s) => [s.name, s.requested, s.count, s.reached, s.pauseMs])).toEqual([
      ['canary', 5, 1, 25, 60_000],
      ['progressive', 50, 2, 50, 120_000],
      ['full', 100, 4, 100, 0],
    ]);
    expect(plan.notes).toEqual([]);
  });

  it('canary: on 2 machines 5% and 50% are the same machine, so the steps merge and a note says so', () => {
    const plan = planFly('canary', rollout, 2, 1, false);
    expect(plan.steps.map((s) => [s.name, s.count, s.reached])).toEqual([
      ['canary', 1, 50],
      ['full', 2, 100],
    ]);
    expect(plan.notes).toEqual(['2 machines cannot show every canary weight apart: steps reaching no more machines than the one before were merged']);
  });

  it('rolling: batches of maxUnavailable, each watched for rollout.pause', () => {
    expect(planFly('rolling', rollout, 5, batchSize(2, 5), false).steps.map((s) => [s.name, s.count, s.reached, s.pauseMs])).toEqual([
      ['batch-1', 2, 40, 30_000],
      ['batch-2', 4, 80, 30_000],
      ['batch-3', 5, 100, 30_000],
    ]);
  });

  it('bluegreen: a preview at 0% (green cordoned), then the switch; immediate and a first deployment: one full step', () => {
    expect(planFly('bluegreen', rollout, 3, 1, false).steps.map((s) => [s.name, s.count, s.reached])).toEqual([
      ['preview', 3, 0],
      ['switch', 3, 100],
    ]);
    expect(planFly('immediate', rollout, 3, 1, false).steps.map((s) => [s.name, s.reached])).toEqual([['full', 100]]);
    const first = planFly('canary', rollout, 3, 1, true);
    expect(first.steps.map((s) => s.name)).toEqual(['full']);
    expect(first.notes[0]).toContain('first deployment');
  });

  it('batchSize follows flyctl: below 1 a fraction (at least one machine), else a count', () => {
    expect(batchSize(0.33, 10)).toBe(3);
    expect(batchSize(0.33, 2)).toBe(1);
    expect(batchSize(2, 10)).toBe(2);
  });

  it('targetCount keeps the machines within min and max', () => {
    expect(targetCount(0, { min: 2 })).toBe(2);
    expect(targetCount(5, { min: 2 })).toBe(5);
    expect(targetCount(5, { min: 2, max: 3 })).toBe(3);
    expect(targetCount(1, { min: 2, max: 3 })).toBe(2);
  });
});

describe('retries of the Machines API', () => {
  it('429 waits what Retry-After says (seconds or a date); a 5xx backs off; 4xx is final; attempts are capped', () => {
    expect(retryDelay(429, '3', 1, NOW)).toBe(3000);
    expect(retryDelay(429, new Date(NOW + 2000).toUTCString(), 1, NOW)).toBe(2000);
    expect(retryDelay(429, undefined, 2, NOW)).toBe(500);
    expect(retryDelay(503, undefined, 1, NOW)).toBe(250);
    expect(retryDelay(502, undefined, 3, NOW)).toBe(1000);
    expect(retryDelay(409, undefined, 1, NOW)).toBeNull();
    expect(retryDelay(503, undefined, MAX_FLY_ATTEMPTS, NOW)).toBeNull();
    expect(retryDelay(429, '3600', 1, NOW)).toBeNull();
    expect(retryAfterMs('soon', NOW)).toBeNull();
  });

  it('a request without an answer: sent again when it never reached a server or repeating it is harmless; a lost POST is not', () => {
    expect(networkRetryDelay('POST', 'ECONNREFUSED', 1)).toBe(250);
    expect(networkRetryDelay('POST', 'ENOTFOUND', 2)).toBe(500);
    expect(networkRetryDelay('GET', 'UND_ERR_SOCKET', 1)).toBe(250);
    expect(networkRetryDelay('DELETE', 'ECONNRESET', 3)).toBe(1000);
    expect(networkRetryDelay('GET', 'no answer within 30000ms', 1)).toBe(250);
    // It may have created a machine or taken a lease: a second one would do it again.
    expect(networkRetryDelay('POST', 'ECONNRESET', 1)).toBeNull();
    expect(networkRetryDelay('POST', 'no answer within 30000ms', 1)).toBeNull();
    expect(networkRetryDelay('GET', 'ECONNREFUSED', MAX_FLY_ATTEMPTS)).toBeNull();
  });
});

describe('machine configs', () => {
  it('the image comes from the template with {version}, or the app\'s Fly.io registry repository', () => {
    expect(imageFor(fly, 'v1.2.3')).toBe('registry.fly.io/hotdash:v1.2.3');
    expect(imageFor({ app: 'x', image: 'ghcr.io/acme/x:{version}-slim' }, 'v2')).toBe('ghcr.io/acme/x:v2-slim');
  });

  it('an app machine carries its version; a release_command machine runs once and destroys itself', () => {
    expect(machineConfig(fly, 'v1').metadata).toEqual({ shipgate_version: 'v1' });
    const release = releaseMachineConfig({ ...fly, releaseCommand: 'bin/migrate' }, 'v1');
    expect(release).toMatchObject({ auto_destroy: true, restart: { policy: 'no' }, init: { cmd: ['/bin/sh', '-c', 'bin/migrate'] }, env: { RELEASE_COMMAND: '1' } });
  });

  it('the app\'s machines leave out destroyed, release and standby machines; the version most run is the live one', () => {
    const all = [
      machine('a', 'v1'),
      machine('b', 'v2'),
      machine('c', 'v2'),
      machine('d', 'v2', { state: 'destroyed' }),
      { ...machine('e', 'v3'), config: { image: 'x', metadata: { shipgate_version: 'v3', shipgate_role: 'release_command' } } },
      { ...machine('f', 'v0'), config: { image: 'x', metadata: { shipgate_version: 'v0', shipgate_standby_until: '2026-12-03T13:00:00Z' } } },
    ];
    expect(appMachines(all).map((m) => m.id)).toEqual(['a', 'b', 'c']);
    expect(majorityVersion(appMachines(all))).toBe('v2');
    expect(majorityVersion([])).toBeNull();
  });

  it('checks become probes: a critical check fails its machine', () => {
    const probes = checkProbes([machine('a', 'v2', { checks: [{ name: 'alive', status: 'passing' }] }), machine('b', 'v2', { checks: [{ name: 'http', status: 'critical', output: '503' }] })], 'v2');
    expect(probes.map((p) => [p.instanceId, p.ok, p.reason])).toEqual([
      ['a', true, 'all checks passing'],
      ['b', false, 'critical checks: http (503)'],
    ]);
  });
});

describe('release command exit codes and Prometheus answers', () => {
  it('reads the exit code from the newest exit event', () => {
    expect(exitCodeOf([{ type: 'exit', status: 'stopped', timestamp: 2, request: { exit_event: { exit_code: 1 } } }, { type: 'start', status: 'started', timestamp: 1 }])).toBe(1);
    expect(exitCodeOf([{ type: 'start', status: 'started', timestamp: 1 }])).toBeNull();
  });

  it('sums an instant vector, reads an empty one as no value, and raises the error shape', () => {
    expect(sampleValue({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1, '0.02'] }, { metric: {}, value: [1, '0.01'] }] } })).toBeCloseTo(0.03);
    expect(sampleValue({ status: 'success', data: { resultType: 'vector', result: [] } })).toBeNull();
    expect(sampleValue({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1, 'NaN'] }] } })).toBeNull();
    expect(() => sampleValue({ status: 'error', errorType: 'bad_data', error: 'parse error' })).toThrow('bad_data: parse error');
    expect(queryFor('x{version="{version}"}', 'v"1')).toBe('x{version="v\\"1"}');
  });
});

describe('status lines', () => {
  it('one line per machine: id, region, state, version, image, checks; kept blue says until when', async () => {
    const { machineLines } = await import('../../../../src/providers/fly/status.js');
    expect(
      machineLines([
        machine('m1', 'v2', { region: 'ams', checks: [{ name: 'alive', status: 'passing' }, { name: 'http', status: 'critical' }] }),
        { ...machine('m2', 'v1', { region: 'fra', state: 'stopped' }), config: { image: 'img:v1', metadata: { shipgate_version: 'v1', shipgate_standby_until: '2026-12-03T13:00:00.000Z' } } },
        machine('m3', null, { state: 'destroyed' }),
      ], NOW),
    ).toEqual(['m1 ams started v2 img:v2 checks 1/2 passing (http critical)', 'm2 fra stopped v1 img:v1 no checks, kept for rollback until 2026-12-03T13:00:00.000Z']);
    const kept = { ...machine('m2', 'v1', { state: 'stopped' }), config: { image: 'img:v1', metadata: { shipgate_version: 'v1', shipgate_standby_until: '2026-12-03T11:00:00.000Z' } } };
    expect(machineLines([kept], NOW)[0]).toBe('m2 ? stopped v1 img:v1 no checks, rollback window closed at 2026-12-03T11:00:00.000Z: `shipgate serve` or the next deploy destroys it');
    expect(machineLines([], NOW)).toEqual(['no machines']);
  });
});
