import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that take longest (a minute or more on a loaded 2-core machine): started first, so
 * that none of them is still running alone at the end while the other workers have nothing left.
 */
const LONGEST = [
  'test/e2e/local-rollouts.test.ts',
  'test/e2e/data-crash.test.ts',
  'test/e2e/agent-dataplane.test.ts',
  'test/e2e/database-secrets.test.ts',
  'test/e2e/crash-resume.test.ts',
  'test/e2e/crash-rollback.test.ts',
  'test/e2e/backup-age.test.ts',
  'test/e2e/rollback-types.test.ts',
];

/**
 * Order of the run: the unit tests first (they share workers and finish in seconds; vitest's own
 * order runs them last, on one worker, while the other cores wait), then the longest files, then
 * the rest in vitest's order.
 */
export default class Sequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification): number => {
      if (f.project.name === 'unit') return 0;
      const i = LONGEST.indexOf(relative(f.project.config.root, f.moduleId));
      return i < 0 ? LONGEST.length + 1 : i + 1;
    };
    return sorted.map((f, i) => ({ f, i, r: rank(f) })).sort((a, b) => a.r - b.r || a.i - b.i).map(({ f }) => f);
  }
}
