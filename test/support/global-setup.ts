import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The newest modification time under `dir` (files only). */
function newestUnder(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** Whether dist was built after every source file and build setting last changed (`npm ci` has just built it, say). */
function distIsFresh(): boolean {
  const main = resolve(root, 'dist/cli/main.js');
  if (!existsSync(main)) return false;
  const sources = Math.max(newestUnder(resolve(root, 'src')), ...['tsconfig.json', 'tsconfig.build.json', 'package.json'].map((f) => statSync(resolve(root, f)).mtimeMs));
  return statSync(main).mtimeMs > sources;
}

/**
 * End-to-end tests drive the built CLI, so build once before any test, unless the
 * build is newer than every source (a minute saved where `npm ci` just built it).
 * Type errors are the lint step's job (`npm run lint` runs tsc); tsc still emits
 * JavaScript with them, so only a build that produced nothing stops the tests.
 */
export default function setup(): void {
  if (distIsFresh()) return;
  const r = spawnSync(process.execPath, [resolve(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) process.stderr.write(`note: the build reported type errors (npm run lint shows them):\n${r.stdout.split('\n').slice(0, 10).join('\n')}\n`);
  if (!existsSync(resolve(root, 'dist/cli/main.js'))) throw new Error(`the build produced no dist/cli/main.js:\n${r.stdout}${r.stderr}`);
}
