import { expect } from 'vitest';
import { processRunner, type RunRequest, type Runner } from '../../src/runtime/process.js';

/**
 * A runner that notes each proof scratch database a restore command targets, and
 * a check that every one noted is gone from the server afterwards (also on failure).
 */
export function scratchTracker(scratchOf: (req: RunRequest) => string | null, existing: () => Promise<string[]>): { run: Runner; expectDropped(): Promise<void> } {
  const scratches: string[] = [];
  return {
    run: (req) => {
      const name = scratchOf(req);
      if (name !== null) scratches.push(name);
      return processRunner(req);
    },
    async expectDropped() {
      expect(scratches.length).toBeGreaterThan(0);
      const left = await existing();
      expect(scratches.filter((name) => left.includes(name))).toEqual([]);
      scratches.length = 0;
    },
  };
}
