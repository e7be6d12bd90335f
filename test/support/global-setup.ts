import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * End-to-end tests drive the built CLI, so build once before any test. Type errors
 * are the lint step's job (`npm run lint` runs tsc); tsc still emits JavaScript
 * with them, so only a build that produced nothing stops the tests.
 */
export default function setup(): void {
  const r = spawnSync(process.execPath, [resolve(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) process.stderr.write(`note: the build reported type errors (npm run lint shows them):\n${r.stdout.split('\n').slice(0, 10).join('\n')}\n`);
  if (!existsSync(resolve(root, 'dist/cli/main.js'))) throw new Error(`the build produced no dist/cli/main.js:\n${r.stdout}${r.stderr}`);
}
