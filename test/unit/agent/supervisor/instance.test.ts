import { describe, expect, it } from 'vitest';
import { fromRecord, instanceId, instanceNumber, newManaged, toInfo, toRecord, type AdoptRecord } from '../../../../src/agent/supervisor/instance.js';
import { isBindFailure } from '../../../../src/agent/supervisor/ports.js';
import { instanceEnv } from '../../../../src/agent/supervisor/spawn.js';

describe('instance ids', () => {
  it('are <version>#<n>; the number is read back from ids and log file names', () => {
    expect(instanceId('v1.2.0', 3)).toBe('v1.2.0#3');
    expect(instanceNumber('v1.2.0', 'v1.2.0#3')).toBe(3);
    expect(instanceNumber('v1.2.0', 'v1.2.0#12.log')).toBe(12);
    expect(instanceNumber('v1.2.0', 'v1.2.0#12.log.1')).toBeNull();
    expect(instanceNumber('v1', 'v1.2.0#1')).toBeNull();
    expect(instanceNumber('v1', 'v1#x')).toBeNull();
  });
});

describe('adopt records', () => {
  const record: AdoptRecord = {
    id: 'v1#2',
    version: 'v1',
    pid: 4242,
    port: 40123,
    startToken: 'boot:123',
    state: 'ready',
    restarts: 1,
    startedAt: '2025-01-01T10:00:00.000Z',
    readyAt: '2025-01-01T10:00:01.000Z',
  };

  it('round-trip through the managed form (with a live process attached)', () => {
    const m = fromRecord(record, 0);
    expect(m).toMatchObject({ state: 'ready', phase: 'ready', restarts: 1, port: 40123 });
    m.proc = { pid: 4242, startToken: 'boot:123', adopted: true, exited: new Promise(() => undefined), exit: null, kill: () => undefined, release: () => undefined };
    expect(toRecord(m)).toEqual(record);
  });

  it('an instance without a running process has no pid', () => {
    const m = newManaged('v1#1', 'v1', 5000, Date.parse('2025-01-01T00:00:00Z'));
    expect(toInfo(m)).toEqual({ id: 'v1#1', version: 'v1', pid: null, port: 5000, state: 'starting', restarts: 0, startedAt: '2025-01-01T00:00:00.000Z', readyAt: null, lastExit: null });
    expect(toRecord(m).startToken).toBeNull();
  });

  it('a starting or crash-looping record is watched from the starting phase', () => {
    expect(fromRecord({ ...record, state: 'crashloop', readyAt: null }, 0).phase).toBe('starting');
    expect(fromRecord({ ...record, state: 'unhealthy' }, 0).phase).toBe('unhealthy');
  });
});

describe('instance environment and ports', () => {
  it('is the agent environment, then the spec env, then PORT, SHIPGATE_VERSION and SHIPGATE_INSTANCE', () => {
    const env = instanceEnv({ version: 'v1', env: { A: 'spec', PORT: 'ignored', B: 'b' } }, 4000, 'v1#1', { A: 'agent', C: 'c', D: undefined });
    expect(env).toEqual({ A: 'spec', B: 'b', C: 'c', PORT: '4000', SHIPGATE_VERSION: 'v1', SHIPGATE_INSTANCE: 'v1#1' });
  });

  it('recognises "port taken" in the output of common runtimes', () => {
    expect(isBindFailure('Error: listen EADDRINUSE: address already in use 127.0.0.1:4000')).toBe(true);
    expect(isBindFailure('OSError: [Errno 98] Address already in use')).toBe(true);
    expect(isBindFailure('listen tcp :4000: bind: address already in use')).toBe(true);
    expect(isBindFailure('database connection refused')).toBe(false);
  });
});
