import { describe, expect, it } from 'vitest';
import { openFileLimit, parseOpenFileLimit } from '../../../src/runtime/fd-limit.js';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            1024                 524288               files
Max locked memory         8388608              8388608              bytes
`;

describe('open-file limit', () => {
  it('reads the soft limit from /proc/<pid>/limits', () => {
    expect(parseOpenFileLimit(LIMITS)).toBe(1024);
    expect(parseOpenFileLimit(LIMITS.replace('1024   ', 'unlimited'))).toBeNull();
    expect(parseOpenFileLimit('')).toBeNull();
  });

  it.runIf(process.platform === 'linux')("reads this process's own", () => {
    expect(openFileLimit()).toBeGreaterThan(0);
  });
});
