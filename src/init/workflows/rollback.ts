import type { WorkflowFacts } from '../facts.js';
import { ROLLBACK_SCRIPT } from './scripts.js';
import { BASH, concurrency, recordsStep, setupSteps, targetEnv, type Workflow } from './steps.js';

/** Pure: `.github/workflows/rollback.yml`: by hand, to a chosen version or the previous one, with a reason. */
export function rollbackWorkflow(f: WorkflowFacts): Workflow {
  const t = f.production;
  return {
    name: `Roll back ${f.app}`,
    on: {
      workflow_dispatch: {
        inputs: {
          version: { description: 'A kept release to return to, e.g. v1.2.2 (empty: the previous release)', type: 'string', required: false },
          reason: { description: 'Why (required; recorded)', type: 'string', required: true },
        },
      },
    },
    permissions: { contents: 'read' },
    defaults: BASH,
    jobs: {
      rollback: {
        name: `Roll back ${t.name}`,
        'runs-on': f.runsOn,
        environment: t.name,
        concurrency: concurrency(f.app, t.name),
        steps: [
          ...setupSteps(f),
          { name: `shipgate rollback (${t.name})`, env: { ...targetEnv(t), TARGET_VERSION: '${{ inputs.version }}', REASON: '${{ inputs.reason }}' }, run: ROLLBACK_SCRIPT },
          recordsStep(t.name),
        ],
      },
    },
  };
}
