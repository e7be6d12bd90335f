import { environmentNames } from '../config/environments.js';
import { variableReferences } from '../config/interpolate.js';
import { isPlainObject } from '../config/merge.js';
import { mergedFor, secretReferences } from '../secrets/references.js';
import { FLY_TOKEN_ENV } from '../config/schema/fly.js';

/** Runner label of the generated jobs. */
export const DEFAULT_RUNS_ON = 'ubuntu-latest';
/** The branch whose pushes deploy to staging. */
export const DEFAULT_BRANCH = 'main';
/** Node.js of the generated jobs (shipgate needs >= 20.19). */
export const DEFAULT_NODE_VERSION = '20';
/** Installs the project's dependencies, shipgate among them; its `node_modules/.bin` then goes on the PATH. */
export const DEFAULT_INSTALL = 'npm ci';

/** Where one workflow deploys: a shipgate environment, and the variables its config refers to. */
export interface TargetFacts {
  /** The shipgate environment, also the GitHub environment (its protection rules are the approvals). */
  name: string;
  /** `${NAME}` references that are secrets: passed as `${{ secrets.NAME }}`. */
  secrets: string[];
  /** The other `${NAME}` references: passed as `${{ vars.NAME }}` (a repository or environment variable). */
  variables: string[];
}

/** Everything the workflow generators need, read from the config document as written. */
export interface WorkflowFacts {
  app: string;
  production: TargetFacts;
  staging: TargetFacts | null;
  preview: TargetFacts | null;
  branch: string;
  runsOn: string;
  nodeVersion: string;
  install: string;
  /** An environment's build runs `flyctl` (e.g. `flyctl deploy --build-only --push`): the jobs install it. */
  flyctl: boolean;
}

export interface WorkflowFactsOptions {
  branch?: string;
  runsOn?: string;
  nodeVersion?: string;
  install?: string;
}

/**
 * Secrets a provider reads from the environment by a name of its own, not through a
 * `${NAME}` in the config: the workflow must pass them all the same.
 */
const PROVIDER_SECRETS: Record<string, readonly string[]> = { fly: [FLY_TOKEN_ENV] };

const providerTypeOf = (merged: Record<string, unknown>): string | null => (isPlainObject(merged.provider) && typeof merged.provider.type === 'string' ? merged.provider.type : null);

/** Pure: whether an environment's build command runs flyctl. */
export function buildUsesFlyctl(merged: Record<string, unknown>): boolean {
  const command = isPlainObject(merged.build) ? merged.build.command : undefined;
  const text = Array.isArray(command) ? command.join(' ') : typeof command === 'string' ? command : '';
  return /(^|[\s;&|(/])(flyctl|fly)\s/.test(text);
}

/** Pure: the variables an environment's config refers to, secrets apart from the rest. */
export function targetFacts(doc: Record<string, unknown>, name: string): TargetFacts {
  const merged = mergedFor(doc, name);
  const referenced = secretReferences(doc, name)
    .filter((r) => r.source === 'env')
    .map((r) => r.name);
  const secrets = [...new Set([...referenced, ...(PROVIDER_SECRETS[providerTypeOf(merged) ?? ''] ?? [])])];
  const all = new Set<string>();
  const walk = (v: unknown): void => {
    if (typeof v === 'string') for (const r of variableReferences(v)) all.add(r.name);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (isPlainObject(v)) Object.values(v).forEach(walk);
  };
  walk(merged);
  return { name, secrets, variables: [...all].filter((n) => !secrets.includes(n)) };
}

/** Pure: production is the environment called so (or the last one declared); staging and preview when declared. */
export function workflowFacts(doc: Record<string, unknown>, opts: WorkflowFactsOptions = {}): WorkflowFacts {
  const names = environmentNames(doc);
  const production = names.includes('production') ? 'production' : names.at(-1)!;
  const staging = names.includes('staging') && production !== 'staging' ? 'staging' : null;
  const preview = names.includes('preview') ? 'preview' : staging;
  return {
    app: String(doc.app),
    production: targetFacts(doc, production),
    staging: staging === null ? null : targetFacts(doc, staging),
    preview: preview === null ? null : targetFacts(doc, preview),
    branch: opts.branch ?? DEFAULT_BRANCH,
    runsOn: opts.runsOn ?? DEFAULT_RUNS_ON,
    nodeVersion: opts.nodeVersion ?? DEFAULT_NODE_VERSION,
    install: opts.install ?? DEFAULT_INSTALL,
    flyctl: names.some((n) => buildUsesFlyctl(mergedFor(doc, n))),
  };
}
