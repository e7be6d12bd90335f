import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { readConfigDocument } from '../../config/document.js';
import { DEFAULT_CONFIG_FILE } from '../../config/environments.js';
import { resolveConfigPath } from '../../config/load-path.js';
import { UsageError } from '../../errors.js';
import { workflowFacts } from '../../init/facts.js';
import { DEFAULT_SCAFFOLD_ENVIRONMENTS, DEFAULT_SCAFFOLD_PROVIDER, SCAFFOLD_PROVIDERS, scaffoldYaml, type ScaffoldOptions, type ScaffoldProvider } from '../../init/scaffold.js';
import { generateWorkflows, workflowYaml } from '../../init/workflows/index.js';
import { EXIT } from '../exit-codes.js';
import type { GlobalOptions, Output } from '../output.js';

export interface InitFlags extends GlobalOptions {
  app?: string;
  provider?: string;
  deploy?: string;
  rollback?: string;
  healthUrl?: string;
  regions?: string;
  environments?: string;
  force?: boolean;
}

export interface InitGithubFlags extends GlobalOptions {
  branch?: string;
  runsOn?: string;
  nodeVersion?: string;
  install?: string;
  dir?: string;
  force?: boolean;
}

/** Refuses to replace any of `paths` without --force, before anything is written. */
function ensureWritable(paths: string[], force: boolean | undefined): void {
  const existing = paths.filter((p) => existsSync(p));
  if (existing.length > 0 && !force) throw new UsageError(`${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''} (--force overwrites)`);
}

function parseProvider(value: string): ScaffoldProvider {
  if ((SCAFFOLD_PROVIDERS as readonly string[]).includes(value)) return value as ScaffoldProvider;
  throw new UsageError(`--provider: expected one of ${SCAFFOLD_PROVIDERS.join(', ')} (got "${value}")`);
}

/** In a terminal, asks for what the flags left out; elsewhere (CI) the flags must say it. */
async function askMissing(flags: InitFlags, cwd: string): Promise<InitFlags> {
  if (flags.app !== undefined) return flags;
  if (!process.stdin.isTTY || !process.stdout.isTTY) throw new UsageError('--app is required when not run in a terminal (e.g. shipgate init --app myapp --provider command)');
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const ask = async (q: string, fallback: string): Promise<string> => (await rl.question(`${q} [${fallback}]: `)).trim() || fallback;
    const app = await ask('App name', basename(cwd).toLowerCase().replace(/[^a-z0-9._-]/g, '-'));
    const provider = flags.provider ?? (await ask(`Provider (${SCAFFOLD_PROVIDERS.join(', ')})`, DEFAULT_SCAFFOLD_PROVIDER));
    const deploy = flags.deploy ?? (provider === 'command' ? await ask('Deploy command', './scripts/deploy.sh') : undefined);
    const regions = flags.regions ?? (provider === 'fly' ? await ask('Fly.io regions, comma-separated', 'iad') : undefined);
    return { ...flags, app, provider, ...(deploy === undefined ? {} : { deploy }), ...(regions === undefined ? {} : { regions }) };
  } finally {
    rl.close();
  }
}

/** Pure: the scaffold options of the flags. A command flag is an argv of one path, else a /bin/sh line. */
export function scaffoldOptions(flags: InitFlags): ScaffoldOptions {
  const argv = (cmd: string | undefined): string | string[] | undefined => (cmd === undefined ? undefined : /\s/.test(cmd.trim()) ? cmd : [cmd.trim()]);
  const envs = flags.environments === undefined ? [...DEFAULT_SCAFFOLD_ENVIRONMENTS] : flags.environments.split(',').map((e) => e.trim()).filter((e) => e !== '' && e !== 'none');
  const command = argv(flags.deploy);
  const rollback = argv(flags.rollback);
  const provider = parseProvider(flags.provider ?? DEFAULT_SCAFFOLD_PROVIDER);
  const regions = flags.regions?.split(',').map((r) => r.trim()).filter((r) => r !== '');
  if (provider === 'fly' && (regions === undefined || regions.length === 0)) throw new UsageError('--regions is required with --provider fly: the Fly.io regions machines are created in (e.g. --regions iad,ord)');
  if (provider !== 'fly' && regions !== undefined) throw new UsageError(`--regions: only for --provider fly (got --provider ${provider})`);
  if (provider === 'fly' && (command !== undefined || rollback !== undefined)) throw new UsageError('--deploy and --rollback: not for --provider fly (it deploys the image build pushes, through the Machines API)');
  return {
    app: flags.app ?? '',
    provider,
    ...(regions === undefined ? {} : { regions }),
    environments: envs,
    ...(command === undefined ? {} : { command }),
    ...(rollback === undefined ? {} : { rollback }),
    ...(flags.healthUrl === undefined ? {} : { healthUrl: flags.healthUrl }),
  };
}

/** `shipgate init`: writes shipgate.yaml (or --config FILE). */
export async function initCommand(flags: InitFlags, out: Output): Promise<number> {
  const path = resolve(flags.config ?? DEFAULT_CONFIG_FILE);
  ensureWritable([path], flags.force);
  const text = scaffoldYaml(scaffoldOptions(await askMissing(flags, dirname(path))));
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  if (out.json) out.result({ path });
  else out.line(`wrote ${path}\nnext: shipgate config validate, then shipgate init github`);
  return EXIT.ok;
}

/** `shipgate init github`: the deploy, rollback, staging and preview workflows of the config. */
export async function initGithubCommand(flags: InitGithubFlags, out: Output): Promise<number> {
  const configPath = resolveConfigPath({ configPath: flags.config });
  const doc = readConfigDocument(configPath);
  if (typeof doc.app !== 'string') throw new UsageError(`${configPath}: app: expected the application name`);
  const facts = workflowFacts(doc, {
    ...(flags.branch === undefined ? {} : { branch: flags.branch }),
    ...(flags.runsOn === undefined ? {} : { runsOn: flags.runsOn }),
    ...(flags.nodeVersion === undefined ? {} : { nodeVersion: flags.nodeVersion }),
    ...(flags.install === undefined ? {} : { install: flags.install }),
  });
  const root = resolve(flags.dir ?? dirname(configPath));
  const { files, notes } = generateWorkflows(facts);
  ensureWritable(files.map((f) => join(root, f.path)), flags.force);
  for (const f of files) {
    mkdirSync(dirname(join(root, f.path)), { recursive: true });
    writeFileSync(join(root, f.path), workflowYaml(f.workflow));
  }
  const targets = [facts.production, facts.staging, facts.preview].filter((t, i, all) => t !== null && all.findIndex((o) => o?.name === t.name) === i);
  const secrets = Object.fromEntries(targets.map((t) => [t!.name, t!.secrets]));
  if (out.json) out.result({ files: files.map((f) => f.path), notes, secrets });
  else {
    for (const f of files) out.line(`wrote ${f.path}`);
    for (const n of notes) out.line(`note: ${n}`);
    for (const [env, names] of Object.entries(secrets)) if (names.length > 0) out.line(`secrets to set (GitHub environment ${env}): ${names.join(', ')}`);
  }
  return EXIT.ok;
}
