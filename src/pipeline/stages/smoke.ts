import type { SmokeTest } from '../../config/schema/index.js';
import { StageFailed } from '../../errors.js';
import { runSmokeTest, type SmokeResult } from '../../health/smoke.js';
import type { Stage } from '../stage.js';

/** HTTP checks after the rollout. All run; any failure fails the stage (and triggers undo). */
export function createSmokeStage(tests: SmokeTest[]): Stage {
  return {
    name: 'smoke',
    plan: (ctx) => tests.map((t) => ({ step: t.name, detail: `${t.method} ${ctx.masker.mask(t.url)} expect ${t.expect.join('/')}` })),
    async run(ctx) {
      const results: SmokeResult[] = [];
      for (const test of tests) {
        const result = await ctx.step(test.name, () => runSmokeTest(test, { http: ctx.http, clock: ctx.clock, signal: ctx.signal }), `${test.method} ${ctx.masker.mask(test.url)}`);
        results.push({ ...result, reason: ctx.masker.mask(result.reason) });
      }
      const failed = results.filter((r) => !r.passed);
      if (failed.length > 0) {
        throw new StageFailed('smoke', failed.map((f) => `${f.name}: ${f.reason}`).join('; '), { output: { results } });
      }
      return { results };
    },
  };
}
