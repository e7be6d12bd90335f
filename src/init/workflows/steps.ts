import type { TargetFacts, WorkflowFacts } from '../facts.js';

/** A workflow as plain data (what `yaml.dump` writes). */
export type Workflow = Record<string, unknown>;
export type Step = Record<string, unknown>;
export type Job = Record<string, unknown>;

/** `run:` steps in bash with -e and pipefail (`shell: bash`), whatever the runner's default. */
export const BASH = { run: { shell: 'bash' } };

/** Pinned major versions of the actions the jobs use. */
export const CHECKOUT_ACTION = 'actions/checkout@v4';
export const SETUP_NODE_ACTION = 'actions/setup-node@v4';
export const UPLOAD_ARTIFACT_ACTION = 'actions/upload-artifact@v4';
/** Fly.io's own action that puts flyctl on the PATH (as Fly.io's GitHub Actions guide uses it). */
export const SETUP_FLYCTL_ACTION = 'superfly/flyctl-actions/setup-flyctl@master';

/** Checkout with every tag (the version and the semver gate come from tags), Node.js, the project's dependencies. */
export function setupSteps(f: WorkflowFacts): Step[] {
  return [
    { uses: CHECKOUT_ACTION, with: { 'fetch-depth': 0 } },
    { uses: SETUP_NODE_ACTION, with: { 'node-version': f.nodeVersion } },
    { name: 'Install dependencies (shipgate among them)', run: `${f.install}\necho "$PWD/node_modules/.bin" >> "$GITHUB_PATH"\n` },
    ...(f.flyctl ? [{ name: 'Install flyctl (the build pushes the image with it)', uses: SETUP_FLYCTL_ACTION }] : []),
  ];
}

/** The deployment record and journal of the run, kept as an artifact whatever happened. */
export function recordsStep(target: string): Step {
  return {
    name: 'Keep the deployment records',
    if: 'always()',
    uses: UPLOAD_ARTIFACT_ACTION,
    with: { name: `shipgate-records-${target}-\${{ github.run_id }}`, path: '.shipgate/records/', 'if-no-files-found': 'ignore' },
  };
}

/** The environment a shipgate step gets: the shipgate environment, and each variable the config names, by name only. */
export function targetEnv(t: TargetFacts): Record<string, string> {
  const env: Record<string, string> = { SHIPGATE_ENV: t.name };
  for (const name of t.secrets) env[name] = `\${{ secrets.${name} }}`;
  for (const name of t.variables) env[name] = `\${{ vars.${name} }}`;
  return env;
}

/** One deployment at a time per environment, across all four workflows; a queued run never cancels a running one. */
export function concurrency(app: string, environment: string): Record<string, unknown> {
  return { group: `shipgate-${app}-${environment}`, 'cancel-in-progress': false };
}
