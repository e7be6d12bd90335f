import type { TargetFacts, WorkflowFacts } from '../facts.js';
import { PREVIEW_COMMENT_SCRIPT, PREVIEW_DOWN_SCRIPT, PREVIEW_UP_SCRIPT } from './scripts.js';
import { BASH, setupSteps, targetEnv, type Workflow } from './steps.js';

/** The GitHub environment of previews: its own secrets and rules, never production's. */
export const PREVIEW_ENVIRONMENT = 'preview';

const PR_ENV = { PR_NUMBER: '${{ github.event.pull_request.number }}', HEAD_SHA: '${{ github.event.pull_request.head.sha }}' };

/** Pure: `.github/workflows/preview.yml`: a preview per pull request, its URL commented, removed on close. */
export function previewWorkflow(f: WorkflowFacts, t: TargetFacts): Workflow {
  const env = { ...targetEnv(t), ...PR_ENV };
  return {
    name: `Preview ${f.app}`,
    on: { pull_request: { types: ['opened', 'reopened', 'synchronize', 'closed'] } },
    permissions: { contents: 'read', 'pull-requests': 'write' },
    defaults: BASH,
    // One run per pull request at a time: a close waits for a deployment in progress instead of racing it.
    concurrency: { group: `shipgate-${f.app}-preview-\${{ github.event.pull_request.number }}`, 'cancel-in-progress': false },
    jobs: {
      up: {
        name: 'Preview up',
        if: "github.event.action != 'closed'",
        'runs-on': f.runsOn,
        environment: { name: PREVIEW_ENVIRONMENT, url: '${{ steps.up.outputs.url }}' },
        steps: [
          ...setupSteps(f),
          { id: 'up', name: 'shipgate preview up', env, run: PREVIEW_UP_SCRIPT },
          { name: 'Comment the URL on the pull request', env: { ...PR_ENV, PREVIEW_URL: '${{ steps.up.outputs.url }}', GH_TOKEN: '${{ github.token }}' }, run: PREVIEW_COMMENT_SCRIPT },
        ],
      },
      down: {
        name: 'Preview down',
        if: "github.event.action == 'closed'",
        'runs-on': f.runsOn,
        environment: PREVIEW_ENVIRONMENT,
        steps: [...setupSteps(f), { name: 'shipgate preview down', env, run: PREVIEW_DOWN_SCRIPT }],
      },
    },
  };
}
