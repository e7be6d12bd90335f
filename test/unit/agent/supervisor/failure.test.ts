import { describe, expect, it } from 'vitest';
import { exitReason, notReadyReason, startFailureMessage } from '../../../../src/agent/supervisor/failure.js';

describe('failure messages', () => {
  it('says how a process ended', () => {
    expect(exitReason({ code: 3, signal: null, at: 0 })).toBe('exited with code 3');
    expect(exitReason({ code: null, signal: 'SIGKILL', at: 0 })).toBe('was killed by SIGKILL');
    expect(exitReason({ code: null, signal: null, at: 0, error: 'spawn ./app ENOENT' })).toBe('could not start: spawn ./app ENOENT');
    expect(exitReason({ code: null, signal: null, at: 0 })).toBe('exited');
    expect(notReadyReason(30_000, 'HTTP 503 from http://127.0.0.1:4000/health')).toBe('was not ready within 30s (last probe: HTTP 503 from http://127.0.0.1:4000/health)');
    expect(notReadyReason(500, null)).toBe('was not ready within 500ms');
  });

  it('names each failed instance with the end of its log, and leaves out the ones stopped because of it', () => {
    const message = startFailureMessage('v1.2.0', 3, [
      { id: 'v1.2.0#1', reason: 'exited with code 3 before it was ready', logTail: ['starting', 'boom'] },
      { id: 'v1.2.0#2', reason: 'was not ready within 1s', logTail: [] },
      { id: 'v1.2.0#3', reason: 'was stopped before it was ready', logTail: [], stopped: true },
    ]);
    expect(message).toBe(
      [
        '2 of 3 instances of v1.2.0 did not come up:',
        '  v1.2.0#1 exited with code 3 before it was ready; last lines of its log:',
        '    | starting',
        '    | boom',
        '  v1.2.0#2 was not ready within 1s (it wrote nothing to its log)',
        '(shipgate logs --version v1.2.0 shows more)',
      ].join('\n'),
    );
  });
});
