import type { TargetFacts, WorkflowFacts } from '../facts.js';
import { STAGING_SCRIPT } from './scripts.js';
import { BASH, concurrency, recordsStep, setupSteps, targetEnv, type Workflow } from './steps.js';

/** Pure: `.github/workflows/staging.yml`: each push to the branch deploys to staging. */
export function stagingWorkflow(f: WorkflowFacts, t: TargetFacts): Workflow {
  return {
    name: `Deploy ${f.app} to ${t.name}`,
    on: { push: { branches: [f.branch] } },
    permissions: { contents: 'read', checks: 'read', statuses: 'read' },
    defaults: BASH,
    jobs: {
      staging: {
        name: `Deploy to ${t.name}`,
        'runs-on': f.runsOn,
        environment: t.name,
        concurrency: concurrency(f.app, t.name),
        steps: [...setupSteps(f), { name: `shipgate deploy (${t.name})`, env: targetEnv(t), run: STAGING_SCRIPT }, recordsStep(t.name)],
      },
    },
  };
}
