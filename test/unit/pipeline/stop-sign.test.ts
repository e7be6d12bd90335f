import { describe, expect, it } from 'vitest';
import { ackCommand, stopSignMessage } from '../../../src/pipeline/stop-sign.js';
import { makeRow } from './helpers.js';

describe('the stop sign', () => {
  it('names each failed rollback, what failed, what to look at and the command that lifts it', () => {
    const failure = makeRow({ id: 'dep_20261123T170000Z_00aaa', status: 'rollback_failed', version: 'v1.1.0', previousVersion: 'v1.0.0', finishedAt: '2026-11-23T17:02:00.000Z', error: 'stage "deploy" failed: deploy: exited with code 7; then undo of stage "deploy" failed: rollback: exited with code 9' });
    expect(stopSignMessage('shop', 'production', [failure]).split('\n')).toEqual([
      'shop/production is stopped: what runs there is unknown, so nothing new starts on top of it.',
      '  deploy v1.1.0 (replacing v1.0.0) failed and its rollback failed too (dep_20261123T170000Z_00aaa, 2026-11-23T17:02:00.000Z): stage "deploy" failed: deploy: exited with code 7; then undo of stage "deploy" failed: rollback: exited with code 9',
      'Look first: shipgate show dep_20261123T170000Z_00aaa --events, and the target itself (what it runs, whether it is healthy); put it right by hand.',
      'Then say so: shipgate ack dep_20261123T170000Z_00aaa --reason "what you found and did"',
    ]);
    expect(ackCommand('dep_x')).toBe('shipgate ack dep_x --reason "what you found and did"');
  });
});
