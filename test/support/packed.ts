/**
 * shipgate as a user gets it: `npm pack` of this repository, installed with `npm install ./shipgate-*.tgz`
 * into an empty project in a temporary folder, without the network.
 *
 * Two things make that work offline, here and in CI (which runs `npm ci` first, so npm's cache holds every
 * tarball of our lockfile):
 * - The consumer gets a lockfile pinning the dependency tree to the one this repository installs and tests
 *   (our package-lock.json without its dev packages). Without it npm resolves each range anew, which needs
 *   full registry documents that `npm ci` never fetched: `npm install --offline` then fails with ENOTCACHED.
 * - Install scripts are skipped: the only runtime one is better-sqlite3's, which downloads a prebuilt addon
 *   or compiles SQLite for minutes. The addon this repository built for the same version is copied in.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './project.js';

const exec = promisify(execFile);

/** One file of `npm pack --json`. */
export interface PackedFile {
  path: string;
  size: number;
  mode: number;
}

export interface Packed {
  tarball: string;
  files: PackedFile[];
}

interface Lockfile {
  packages: Record<string, { dev?: boolean; version?: string; license?: string; dependencies?: Record<string, string>; bin?: unknown; engines?: unknown }>;
}

/** The environment for npm: none of the `npm_*` variables of an `npm test` around us (they name this repository). */
export function npmEnv(extra: Record<string, string> = {}, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(base)) if (!k.toLowerCase().startsWith('npm_') || k.toLowerCase() === 'npm_config_cache') env[k] = v;
  return { ...env, npm_config_update_notifier: 'false', npm_config_audit: 'false', npm_config_fund: 'false', ...extra };
}

/** `npm pack` into `dest`, without running `prepare` (the tests' global set-up has built dist/). */
export async function packRepository(dest: string): Promise<Packed> {
  const { stdout } = await exec('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dest], { cwd: REPO_ROOT, env: npmEnv(), maxBuffer: 64 * 1024 * 1024 });
  const [report] = JSON.parse(stdout) as [{ filename: string; files: PackedFile[] }];
  return { tarball: join(dest, report.filename), files: report.files };
}

/** Pure: the consumer's lockfile, our runtime tree under `node_modules/shipgate`'s parent, shipgate from the tarball. */
export function consumerLockfile(ours: Lockfile, tarballName: string): object {
  const root = ours.packages[''] ?? {};
  const spec = `file:${tarballName}`;
  const packages: Record<string, unknown> = {
    '': { name: 'consumer', dependencies: { shipgate: spec } },
    'node_modules/shipgate': { version: root.version, resolved: spec, license: root.license, dependencies: root.dependencies, bin: root.bin, engines: root.engines },
  };
  for (const [path, entry] of Object.entries(ours.packages)) if (path !== '' && !entry.dev) packages[path] = entry;
  return { name: 'consumer', lockfileVersion: 3, requires: true, packages };
}

/** An empty project in `dir` with shipgate installed from the tarball, as the README says; resolves to npm's output. */
export async function installTarball(dir: string, tarball: string): Promise<string> {
  const ours = JSON.parse(await readFile(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as Lockfile;
  const name = tarball.slice(tarball.lastIndexOf('/') + 1);
  await copyFile(tarball, join(dir, name));
  await writeFile(join(dir, 'package.json'), `${JSON.stringify({ name: 'consumer', private: true }, null, 2)}\n`);
  await writeFile(join(dir, 'package-lock.json'), `${JSON.stringify(consumerLockfile(ours, name), null, 2)}\n`);
  const { stdout, stderr } = await exec('npm', ['install', '--offline', '--ignore-scripts', `./${name}`], { cwd: dir, env: npmEnv(), maxBuffer: 16 * 1024 * 1024 });
  await copyNativeAddon(dir);
  return stdout + stderr;
}

/** better-sqlite3's addon, as built for this repository (the lockfile pins the same version). */
async function copyNativeAddon(dir: string): Promise<void> {
  const ours = dirname(createRequire(join(REPO_ROOT, 'package.json')).resolve('better-sqlite3/package.json'));
  const rel = join('build', 'Release', 'better_sqlite3.node');
  const target = join(dir, 'node_modules', 'better-sqlite3', rel);
  await mkdir(dirname(target), { recursive: true });
  await copyFile(join(ours, rel), target);
}
