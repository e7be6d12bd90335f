import { dump } from 'js-yaml';
import { UsageError } from '../errors.js';
import { ConfigSchema } from '../config/schema/index.js';

export const SCAFFOLD_PROVIDERS = ['command', 'local', 'fly'] as const;
export type ScaffoldProvider = (typeof SCAFFOLD_PROVIDERS)[number];

/** The store a scaffold names: PostgreSQL from $SHIPGATE_STORE_URL in CI (a runner forgets its files), else the local file. */
export const SCAFFOLD_STORE_URL = '${SHIPGATE_STORE_URL:-sqlite:.shipgate/state.db}';
export const DEFAULT_SCAFFOLD_PROVIDER: ScaffoldProvider = 'command';
export const DEFAULT_SCAFFOLD_ENVIRONMENTS = ['staging', 'production'] as const;

export interface ScaffoldOptions {
  app: string;
  provider: ScaffoldProvider;
  /** command: the deploy command (argv, or a string run by /bin/sh); local: the app's start command. */
  command?: string | string[];
  rollback?: string | string[];
  /** Health URL of the deployed app (command provider; fly: production's, default https://<app>.fly.dev/health). */
  healthUrl?: string;
  /** fly: the regions machines are created in. */
  regions?: string[];
  environments: string[];
}

/** The Fly.io app of an environment: the app itself in production (or the only one), `<app>-<environment>` elsewhere. */
export function flyAppOf(app: string, environment: string | null): string {
  return environment === null || environment === 'production' ? app : `${app}-${environment}`;
}

const flyHealth = (app: string): { url: string } => ({ url: `https://${app}.fly.dev/health` });

/** The fly provider: the image pushed once by build, deployed to each environment's app as a canary. */
function flyBlock(o: ScaffoldOptions): Record<string, unknown> {
  return {
    type: 'fly',
    app: o.app,
    image: `registry.fly.io/${o.app}:{version}`,
    regions: o.regions ?? [],
    strategy: 'canary',
    health: o.healthUrl ? { url: o.healthUrl } : flyHealth(o.app),
  };
}

/** Per environment: staging may deploy pre-releases; on Fly.io each environment but production is an app of its own. */
function environmentBlock(o: ScaffoldOptions, e: string): Record<string, unknown> {
  const block: Record<string, unknown> = e === 'staging' ? { gates: { semver: { allowPrerelease: true } } } : {};
  if (o.provider === 'fly' && flyAppOf(o.app, e) !== o.app) block.provider = { app: flyAppOf(o.app, e), health: flyHealth(flyAppOf(o.app, e)) };
  return block;
}

function providerBlock(o: ScaffoldOptions): Record<string, unknown> {
  if (o.provider === 'fly') return flyBlock(o);
  if (o.provider === 'local') return { type: 'local', command: o.command ?? ['node', 'server.js'], instances: 2, listen: '127.0.0.1:3000', readiness: { path: '/health' } };
  return {
    type: 'command',
    deploy: o.command ?? ['./scripts/deploy.sh'],
    rollback: o.rollback ?? ['./scripts/rollback.sh'],
    ...(o.healthUrl ? { health: { url: o.healthUrl } } : {}),
  };
}

/** Pure: the config document of a scaffold (staging, when there is one, may deploy pre-releases). */
export function scaffoldDocument(o: ScaffoldOptions): Record<string, unknown> {
  const environments = Object.fromEntries(o.environments.map((e) => [e, environmentBlock(o, e)]));
  return {
    app: o.app,
    store: { url: SCAFFOLD_STORE_URL },
    provider: providerBlock(o),
    ...(o.provider === 'fly' ? { build: { command: `flyctl deploy --build-only --push --app ${o.app} --image-label "$SHIPGATE_VERSION"` } } : {}),
    gates: { semver: {} },
    rollback: { auto: true, window: '60m' },
    ...(o.environments.length > 0 ? { environments } : {}),
  };
}

/** The flag a user gave for each top-level key of the scaffold. */
const FLAG_OF_KEY: Record<string, string> = { app: '--app', provider: '--provider, --deploy, --rollback, --health-url or --regions', environments: '--environments' };

const HEADER = `# shipgate.yaml, written by \`shipgate init\`. Every key: the README's config reference.
# \`shipgate config validate\` checks it; \`shipgate init github\` writes GitHub workflows from it.
`;

/** Pure: the scaffold as YAML, checked against the schema first (a bad --app is named, not written). */
export function scaffoldYaml(o: ScaffoldOptions): string {
  const doc = scaffoldDocument(o);
  const parsed = ConfigSchema.safeParse({ ...doc, store: { url: 'sqlite:.shipgate/state.db' } });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = String(issue.path[0] ?? '');
    const within = key === 'provider' && issue.path.length > 1 ? ` (provider.${issue.path.slice(1).join('.')})` : '';
    throw new UsageError(`init: ${FLAG_OF_KEY[key] ?? key}${within}: ${issue.message}`);
  }
  return HEADER + dump(doc, { lineWidth: -1, noRefs: true, flowLevel: 3, quotingType: '"' });
}
