import type { TargetFacts, WorkflowFacts } from '../facts.js';
import { DEPLOY_SCRIPT } from './scripts.js';
import { BASH, concurrency, recordsStep, setupSteps, targetEnv, type Job, type Workflow } from './steps.js';

/** The inputs a step reads; on a tag push they are empty. */
const INPUT_ENV = { INPUT_VERSION: '${{ inputs.version }}', REASON: '${{ inputs.reason }}' };

function deployJob(f: WorkflowFacts, t: TargetFacts, extra: Record<string, string>): Job {
  return {
    name: `Deploy to ${t.name}`,
    'runs-on': f.runsOn,
    environment: t.name,
    concurrency: concurrency(f.app, t.name),
    steps: [...setupSteps(f), { name: `shipgate deploy (${t.name})`, env: { ...targetEnv(t), ...INPUT_ENV, ...extra }, run: DEPLOY_SCRIPT }, recordsStep(t.name)],
  };
}

/** Pure: `.github/workflows/deploy.yml`: on `v*` tags and by hand; staging first when the config has it. */
export function deployWorkflow(f: WorkflowFacts): Workflow {
  const inputs: Record<string, unknown> = {
    version: { description: 'Version to deploy, e.g. v1.2.3 (empty: the tag this run is on)', type: 'string', required: false },
    reason: { description: 'Why (recorded)', type: 'string', required: false },
    emergency: { description: 'Override the deploy window (needs a reason; recorded)', type: 'boolean', default: false },
  };
  const jobs: Record<string, Job> = {};
  if (f.staging) {
    inputs.skip_staging = { description: `Skip the ${f.staging.name} deployment before ${f.production.name} (emergencies only)`, type: 'boolean', default: false };
    jobs.staging = { if: "${{ github.event_name == 'push' || !inputs.skip_staging }}", ...deployJob(f, f.staging, {}) };
  }
  const production = deployJob(f, f.production, { EMERGENCY: '${{ inputs.emergency }}' });
  jobs.production = f.staging
    ? { needs: ['staging'], if: "${{ !cancelled() && (needs.staging.result == 'success' || needs.staging.result == 'skipped') }}", ...production }
    : production;
  return {
    name: `Deploy ${f.app}`,
    on: { push: { tags: ['v*'] }, workflow_dispatch: { inputs } },
    permissions: { contents: 'read', checks: 'read', statuses: 'read' },
    defaults: BASH,
    jobs,
  };
}
